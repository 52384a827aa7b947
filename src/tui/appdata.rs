//! The application data picker: a workload of any project, its volumes with mount paths and
//! claims (the procedure's `grep mountPath`), which of them to copy, and backup or restore.

use std::collections::BTreeSet;

use crossterm::event::{KeyCode, KeyEvent};

use super::msg::Effect;
use crate::kube::workload::Workload;

/// What the engineer asked for; the event loop finds the pod, plans and runs it.
pub use crate::requests::AppDataPick as AppDataRequest;

#[derive(Debug, Default)]
pub struct AppDataPicker {
    /// `None` while the workloads are being listed.
    pub workloads: Option<Result<Vec<Workload>, String>>,
    /// Index into [`AppDataPicker::rows`].
    pub selected: usize,
    /// `(workload index, volume name)` of the volumes ticked for copying.
    pub chosen: BTreeSet<(usize, String)>,
}

impl AppDataPicker {
    /// Every volume of every workload, as `(workload, volume)` indexes: what the cursor moves
    /// over.
    pub fn rows(&self) -> Vec<(usize, usize)> {
        let Some(Ok(workloads)) = &self.workloads else {
            return Vec::new();
        };
        workloads
            .iter()
            .enumerate()
            .flat_map(|(w, workload)| (0..workload.volumes.len()).map(move |v| (w, v)))
            .collect()
    }

    /// Persistent volumes are ticked at first: they hold what a restart keeps.
    pub fn loaded(&mut self, result: Result<Vec<Workload>, String>) {
        self.chosen.clear();
        if let Ok(workloads) = &result {
            for (w, workload) in workloads.iter().enumerate() {
                for volume in workload.volumes.iter().filter(|v| v.is_persistent()) {
                    self.chosen.insert((w, volume.name.clone()));
                }
            }
        }
        self.selected = 0;
        self.workloads = Some(result);
    }

    pub fn selected_workload(&self) -> Option<(usize, &Workload)> {
        let (w, _) = *self.rows().get(self.selected)?;
        match &self.workloads {
            Some(Ok(workloads)) => workloads.get(w).map(|workload| (w, workload)),
            _ => None,
        }
    }

    fn request(&self, restore: bool) -> Option<AppDataRequest> {
        let (w, workload) = self.selected_workload()?;
        let volumes: Vec<String> = workload
            .volumes
            .iter()
            .filter(|v| self.chosen.contains(&(w, v.name.clone())))
            .map(|v| v.name.clone())
            .collect();
        (!volumes.is_empty()).then(|| AppDataRequest {
            namespace: workload.namespace.clone(),
            workload: workload.reference.to_string(),
            volumes,
            restore,
        })
    }
}

/// Keys on the picker; `None` when the key leaves it.
pub fn on_key(picker: &mut AppDataPicker, key: KeyEvent) -> Option<Vec<Effect>> {
    let rows = picker.rows();
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') => return None,
        KeyCode::Up | KeyCode::Char('k') => picker.selected = picker.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            picker.selected = (picker.selected + 1).min(rows.len().saturating_sub(1));
        }
        KeyCode::Char(' ') => {
            if let (Some((w, v)), Some(Ok(workloads))) =
                (rows.get(picker.selected), &picker.workloads)
            {
                if let Some(volume) = workloads.get(*w).and_then(|wl| wl.volumes.get(*v)) {
                    let key = (*w, volume.name.clone());
                    if !picker.chosen.remove(&key) {
                        picker.chosen.insert(key);
                    }
                }
            }
        }
        KeyCode::Char('r') if picker.workloads.is_some() => {
            picker.workloads = None;
            return Some(vec![Effect::LoadWorkloads]);
        }
        KeyCode::Enter | KeyCode::Char('b') => {
            return Some(
                picker
                    .request(false)
                    .map(Effect::StartAppData)
                    .into_iter()
                    .collect(),
            );
        }
        KeyCode::Char('R') => {
            return Some(
                picker
                    .request(true)
                    .map(Effect::StartAppData)
                    .into_iter()
                    .collect(),
            );
        }
        _ => {}
    }
    Some(vec![])
}
