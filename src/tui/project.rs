//! State of the project pickers: projects (filter as you type, multi-select, object counts),
//! kinds (discovered, the regenerated ones excluded and toggleable), and exports to restore.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};
use tui_textarea::TextArea;

use super::msg::Effect;
use crate::kube::{KindCounts, KindRef, ProjectSummary, default_exclusion};

/// What the cluster holds, loaded in the background: the projects first, their counts kind
/// by kind after.
#[derive(Clone, Debug, Default)]
pub struct ProjectCatalog {
    pub projects: Vec<ProjectSummary>,
    pub kinds: Vec<KindRef>,
    /// Which load this is: counts from an earlier one (a picker left and opened again) are
    /// not added to it.
    pub load: u64,
    /// Kinds whose counts are still on their way.
    pub counting: usize,
    /// Why some counts are missing.
    pub count_error: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PickerStage {
    Projects,
    Kinds,
}

#[derive(Debug)]
pub struct ProjectPicker {
    pub catalog: Option<ProjectCatalog>,
    pub error: Option<String>,
    pub filter: TextArea<'static>,
    pub cursor: usize,
    pub chosen: BTreeSet<String>,
    pub stage: PickerStage,
    pub kind_cursor: usize,
    /// Keys of the kinds left out.
    pub excluded: BTreeSet<String>,
}

impl Default for ProjectPicker {
    fn default() -> Self {
        let mut filter = TextArea::default();
        filter.set_placeholder_text("type to filter");
        ProjectPicker {
            catalog: None,
            error: None,
            filter,
            cursor: 0,
            chosen: BTreeSet::new(),
            stage: PickerStage::Projects,
            kind_cursor: 0,
            excluded: BTreeSet::new(),
        }
    }
}

impl ProjectPicker {
    pub fn loaded(&mut self, catalog: ProjectCatalog) {
        self.excluded = catalog
            .kinds
            .iter()
            .filter(|k| default_exclusion(k).is_some())
            .map(KindRef::key)
            .collect();
        self.catalog = Some(catalog);
    }

    /// One kind's counts arrived (or failed): added to every project of the same load.
    pub fn counted(&mut self, load: u64, counts: Result<KindCounts, String>) {
        let Some(catalog) = self.catalog.as_mut().filter(|c| c.load == load) else {
            return;
        };
        catalog.counting = catalog.counting.saturating_sub(1);
        match counts {
            Ok(counts) => counts.apply(&mut catalog.projects),
            Err(error) => catalog.count_error = Some(error),
        }
    }

    pub fn filter_text(&self) -> String {
        self.filter.lines().join("").to_lowercase()
    }

    /// The projects matching the filter (name or display name).
    pub fn visible(&self) -> Vec<&ProjectSummary> {
        let filter = self.filter_text();
        self.catalog
            .as_ref()
            .map(|c| {
                c.projects
                    .iter()
                    .filter(|p| {
                        p.name.contains(&filter) || p.display_name.to_lowercase().contains(&filter)
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn kinds(&self) -> &[KindRef] {
        self.catalog.as_ref().map_or(&[], |c| c.kinds.as_slice())
    }

    /// Handles a key; `Some(effects)` when the picker is done with it, `None` to leave.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        match self.stage {
            PickerStage::Projects => self.on_project_key(key),
            PickerStage::Kinds => self.on_kind_key(key),
        }
    }

    fn on_project_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        let visible = self.visible().len();
        match key.code {
            KeyCode::Esc if !self.filter_text().is_empty() => {
                self.filter = ProjectPicker::default().filter;
            }
            KeyCode::Esc => return None,
            KeyCode::Up => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Down => self.cursor = (self.cursor + 1).min(visible.saturating_sub(1)),
            KeyCode::Char(' ') | KeyCode::Tab => {
                if let Some(name) = self.visible().get(self.cursor).map(|p| p.name.clone()) {
                    if !self.chosen.remove(&name) {
                        self.chosen.insert(name);
                    }
                }
            }
            KeyCode::Enter => {
                if self.chosen.is_empty() {
                    if let Some(name) = self.visible().get(self.cursor).map(|p| p.name.clone()) {
                        self.chosen.insert(name);
                    }
                }
                if !self.chosen.is_empty() && self.catalog.is_some() {
                    self.stage = PickerStage::Kinds;
                }
            }
            // Everything else is typed into the filter.
            _ => {
                self.filter.input(key);
                self.cursor = 0;
            }
        }
        Some(vec![])
    }

    fn on_kind_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        let last = self.kinds().len().saturating_sub(1);
        match key.code {
            KeyCode::Esc => self.stage = PickerStage::Projects,
            KeyCode::Up | KeyCode::Char('k') => {
                self.kind_cursor = self.kind_cursor.saturating_sub(1)
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.kind_cursor = (self.kind_cursor + 1).min(last)
            }
            KeyCode::Char(' ') => {
                if let Some(key) = self.kinds().get(self.kind_cursor).map(KindRef::key) {
                    if !self.excluded.remove(&key) {
                        self.excluded.insert(key);
                    }
                }
            }
            KeyCode::Enter => {
                let kinds: Vec<KindRef> = self
                    .kinds()
                    .iter()
                    .filter(|k| !self.excluded.contains(&k.key()))
                    .cloned()
                    .collect();
                let excluded = self
                    .kinds()
                    .iter()
                    .filter(|k| self.excluded.contains(&k.key()))
                    .map(|k| {
                        (
                            k.key(),
                            default_exclusion(k)
                                .unwrap_or("left out in the kind picker")
                                .to_string(),
                        )
                    })
                    .collect();
                return Some(vec![Effect::StartProjectExport {
                    projects: self.chosen.iter().cloned().collect(),
                    kinds,
                    excluded,
                }]);
            }
            _ => {}
        }
        Some(vec![])
    }
}

/// One project export found under the backups directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackupEntry {
    pub path: PathBuf,
    pub namespace: String,
    pub created: String,
    pub objects: u64,
    pub secrets: bool,
}

#[derive(Debug)]
pub struct BackupPicker {
    pub entries: Option<Vec<BackupEntry>>,
    pub error: Option<String>,
    pub cursor: usize,
    /// `--as`: empty restores under the exported name.
    pub rename: TextArea<'static>,
    pub editing_name: bool,
    /// A server-side dry run of every object before creating any.
    pub preview: bool,
}

impl Default for BackupPicker {
    fn default() -> Self {
        let mut rename = TextArea::default();
        rename.set_placeholder_text("same name");
        BackupPicker {
            entries: None,
            error: None,
            cursor: 0,
            rename,
            editing_name: false,
            preview: true,
        }
    }
}

impl BackupPicker {
    pub fn new_name(&self) -> Option<String> {
        Some(self.rename.lines().join("").trim().to_string()).filter(|n| !n.is_empty())
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        if self.editing_name {
            match key.code {
                KeyCode::Enter | KeyCode::Esc => self.editing_name = false,
                _ => {
                    self.rename.input(key);
                }
            }
            return Some(vec![]);
        }
        let count = self.entries.as_ref().map_or(0, Vec::len);
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => return None,
            KeyCode::Up | KeyCode::Char('k') => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.cursor = (self.cursor + 1).min(count.saturating_sub(1))
            }
            KeyCode::Char('n') => self.editing_name = true,
            KeyCode::Char('p') => self.preview = !self.preview,
            KeyCode::Enter => {
                if let Some(entry) = self.entries.as_ref().and_then(|e| e.get(self.cursor)) {
                    return Some(vec![Effect::StartProjectRestore {
                        from: entry.path.clone(),
                        rename: self.new_name(),
                        preview: self.preview,
                    }]);
                }
            }
            _ => {}
        }
        Some(vec![])
    }
}

/// Every project export under `dir` (`dir/*/PROJECT/manifest.json`), newest first, from the
/// one scanner of the backups directory.
pub fn find_exports(dir: &std::path::Path) -> Vec<BackupEntry> {
    crate::gather::backups::project_exports(dir)
        .into_iter()
        .filter_map(|found| {
            let contents = found.manifest.project?;
            Some(BackupEntry {
                path: found.path,
                namespace: contents.namespace.clone(),
                created: found.manifest.created,
                objects: contents.total_objects(),
                secrets: contents.secrets_included,
            })
        })
        .collect()
}
