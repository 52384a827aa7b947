use std::path::PathBuf;

use super::{CommandLine, push};
use crate::kube::ExistingPolicy;

/// `lifeboat project export`: projects into `out/PROJECT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectExportRequest {
    pub projects: Vec<String>,
    pub out: PathBuf,
    /// Only these kinds; `None`: every listable kind but the regenerated ones.
    pub kinds: Option<Vec<String>>,
    pub secrets: bool,
}

/// `lifeboat project restore`: one project's export recreated, in an order that works.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProjectRestoreRequest {
    pub from: PathBuf,
    pub rename: Option<String>,
    pub existing: ExistingPolicy,
    pub preview: bool,
    pub dry_run: bool,
}

impl CommandLine for ProjectExportRequest {
    fn argv(&self) -> Vec<String> {
        let mut argv = vec!["lifeboat".into(), "project".into(), "export".into()];
        argv.extend(self.projects.iter().cloned());
        push(&mut argv, "--out", self.out.display());
        if let Some(kinds) = &self.kinds {
            push(&mut argv, "--kinds", kinds.join(","));
        }
        if !self.secrets {
            argv.push("--no-secrets".into());
        }
        argv
    }
}

impl CommandLine for ProjectRestoreRequest {
    fn argv(&self) -> Vec<String> {
        let mut argv = vec!["lifeboat".into(), "project".into(), "restore".into()];
        push(&mut argv, "--from", self.from.display());
        if let Some(name) = &self.rename {
            push(&mut argv, "--as", name);
        }
        if self.existing != ExistingPolicy::Skip {
            let policy = serde_json::to_value(self.existing)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default();
            push(&mut argv, "--existing", policy);
        }
        if self.preview {
            argv.push("--preview".into());
        }
        if self.dry_run {
            argv.push("--dry-run".into());
        }
        argv
    }
}
