//! "Browse a cluster backup": pick a cluster backup, see its projects with their object
//! counts and how each differs from the live cluster, pick one; its objects are read out of
//! the backup's etcd snapshot into a project export (a plan, run by the runner), and then
//! the project restore wizard opens on that export with its dry run first.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};

use super::app::App;
use super::msg::Effect;
use crate::plan::{Action, Procedure};
use crate::run::RunEvent;

/// A cluster backup that holds a snapshot to read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleRow {
    pub path: PathBuf,
    pub created: String,
    pub revision: Option<i64>,
}

/// One project of the backup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRow {
    pub namespace: String,
    pub objects: u64,
    /// `ConfigMap 2, Secret 3, ...`
    pub kinds: String,
    /// How it differs from the live cluster, in words.
    pub live: String,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BrowseStage {
    #[default]
    Bundles,
    Projects,
}

#[derive(Debug, Default)]
pub struct SnapshotBrowser {
    pub stage: BrowseStage,
    pub bundles: Option<Vec<BundleRow>>,
    pub projects: Option<Vec<ProjectRow>>,
    pub error: Option<String>,
    pub cursor: usize,
    /// The backup whose projects are shown.
    pub bundle: Option<PathBuf>,
}

impl SnapshotBrowser {
    fn count(&self) -> usize {
        match self.stage {
            BrowseStage::Bundles => self.bundles.as_ref().map_or(0, Vec::len),
            BrowseStage::Projects => self.projects.as_ref().map_or(0, Vec::len),
        }
    }

    /// `None` when the engineer leaves the browser.
    pub fn on_key(&mut self, key: KeyEvent) -> Option<Vec<Effect>> {
        match key.code {
            KeyCode::Esc | KeyCode::Char('q') => {
                if self.stage == BrowseStage::Bundles {
                    return None;
                }
                self.stage = BrowseStage::Bundles;
                self.projects = None;
                self.error = None;
                self.cursor = 0;
            }
            KeyCode::Up | KeyCode::Char('k') => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                self.cursor = (self.cursor + 1).min(self.count().saturating_sub(1));
            }
            KeyCode::Enter => return Some(self.choose()),
            _ => {}
        }
        Some(vec![])
    }

    fn choose(&mut self) -> Vec<Effect> {
        match self.stage {
            BrowseStage::Bundles => {
                let Some(bundle) = self.bundles.as_ref().and_then(|b| b.get(self.cursor)) else {
                    return vec![];
                };
                let path = bundle.path.clone();
                self.bundle = Some(path.clone());
                self.stage = BrowseStage::Projects;
                self.projects = None;
                self.error = None;
                self.cursor = 0;
                vec![Effect::LoadSnapshotProjects(path)]
            }
            BrowseStage::Projects => {
                let project = self.projects.as_ref().and_then(|p| p.get(self.cursor));
                match (project, &self.bundle) {
                    (Some(project), Some(bundle)) => vec![Effect::StartSnapshotExport {
                        source: bundle.clone(),
                        namespace: project.namespace.clone(),
                    }],
                    _ => vec![],
                }
            }
        }
    }
}

/// When a snapshot export the browser started has finished well: the project restore of
/// that export, with the server-side dry run of every object first.
pub fn after_export(app: &App, event: &RunEvent) -> Vec<Effect> {
    let RunEvent::PlanFinished { outcome } = event else {
        return vec![];
    };
    let Some(wizard) = app.wizard.as_ref() else {
        return vec![];
    };
    if wizard.plan.procedure != Procedure::SnapshotExport || !outcome.succeeded() {
        return vec![];
    }
    wizard
        .plan
        .steps
        .iter()
        .find_map(|step| match &step.action {
            Action::ExportFromSnapshot { out, .. } => Some(Effect::StartProjectRestore {
                from: out.clone(),
                rename: None,
                preview: true,
            }),
            _ => None,
        })
        .into_iter()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyModifiers;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn a_bundle_then_a_project_start_the_export_and_esc_goes_back() {
        let mut browser = SnapshotBrowser {
            bundles: Some(vec![
                BundleRow {
                    path: "/b/new".into(),
                    created: "2026-11-30T01:00:00Z".into(),
                    revision: Some(9),
                },
                BundleRow {
                    path: "/b/old".into(),
                    created: "2026-11-29T01:00:00Z".into(),
                    revision: Some(5),
                },
            ]),
            ..Default::default()
        };
        browser.on_key(key(KeyCode::Down));
        let effects = browser.on_key(key(KeyCode::Enter)).expect("stays");
        assert_eq!(effects, [Effect::LoadSnapshotProjects("/b/old".into())]);
        browser.projects = Some(vec![ProjectRow {
            namespace: "shop".into(),
            objects: 12,
            kinds: "ConfigMap 2".into(),
            live: "gone from the live cluster".into(),
        }]);
        let effects = browser.on_key(key(KeyCode::Enter)).expect("stays");
        assert_eq!(
            effects,
            [Effect::StartSnapshotExport {
                source: "/b/old".into(),
                namespace: "shop".into()
            }]
        );
        assert!(browser.on_key(key(KeyCode::Esc)).is_some());
        assert_eq!(browser.stage, BrowseStage::Bundles);
        assert!(browser.on_key(key(KeyCode::Esc)).is_none());
    }
}
