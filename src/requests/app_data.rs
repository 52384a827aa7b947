use std::path::PathBuf;

use super::{CommandLine, push};
use crate::plan::RestartHow;

/// Which workload, and which of its volumes (empty: every persistent one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppDataSelection {
    pub namespace: String,
    /// `dc/jenkins` or `deployment/NAME`.
    pub workload: String,
    pub volumes: Vec<String>,
}

impl AppDataSelection {
    fn push_onto(&self, argv: &mut Vec<String>) {
        push(argv, "-n", &self.namespace);
        push(argv, "--workload", &self.workload);
        for volume in &self.volumes {
            push(argv, "--volume", volume);
        }
    }
}

/// `lifeboat appdata backup`: a workload's volumes copied out of its running pod.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppDataBackupRequest {
    pub selection: AppDataSelection,
    pub out: PathBuf,
}

/// `lifeboat appdata restore`: a bundle copied into the workload's running pod, then a
/// restart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppDataRestoreRequest {
    pub selection: AppDataSelection,
    pub bundle: PathBuf,
    pub restart: RestartHow,
    pub timeout_secs: u64,
}

impl CommandLine for AppDataBackupRequest {
    fn argv(&self) -> Vec<String> {
        let mut argv = vec!["lifeboat".into(), "appdata".into(), "backup".into()];
        self.selection.push_onto(&mut argv);
        push(&mut argv, "--out", self.out.display());
        argv
    }
}

impl CommandLine for AppDataRestoreRequest {
    fn argv(&self) -> Vec<String> {
        let mut argv = vec!["lifeboat".into(), "appdata".into(), "restore".into()];
        self.selection.push_onto(&mut argv);
        push(&mut argv, "--from", self.bundle.display());
        let restart = match self.restart {
            RestartHow::Delete => None,
            RestartHow::Scale => Some("scale"),
            RestartHow::None => Some("none"),
        };
        if let Some(how) = restart {
            push(&mut argv, "--restart", how);
        }
        if self.timeout_secs != 300 {
            push(&mut argv, "--timeout", self.timeout_secs);
        }
        argv
    }
}

/// What the application data picker asked for: back up into a new bundle, or restore the
/// newest bundle of this workload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppDataPick {
    pub namespace: String,
    pub workload: String,
    pub volumes: Vec<String>,
    pub restore: bool,
}
