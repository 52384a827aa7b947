//! What the engineer chose, one plain struct per procedure: filled by the CLI from its flags
//! or by the TUI from a form, and printed back as the command line that makes the same plan.
//!
//! No clap types here and no I/O: a request is only the choices. The gather layer turns a
//! request plus the host into the facts a planner takes.

mod app_data;
mod cluster_backup;
mod cluster_restore;
mod member_join;
mod member_replace;
mod project;
mod quorum_restore;
mod snapshot;

pub use app_data::{AppDataBackupRequest, AppDataPick, AppDataRestoreRequest, AppDataSelection};
pub use cluster_backup::{ClusterBackupRequest, DEFAULT_ETCD_CONFIG_DIR, DEFAULT_MASTER_DIR};
pub use cluster_restore::ClusterRestoreRequest;
pub use member_join::{
    DEFAULT_ETC_DIR, DEFAULT_WAIT_SECS, JoinStart as JoinStartChoice, MemberJoinRequest,
};
pub use member_replace::{
    DEFAULT_CLIENT_PORT, DEFAULT_LEARNER_THRESHOLD, DEFAULT_PEER_PORT, MemberReplaceRequest,
    format_size,
};
pub use project::{ProjectExportRequest, ProjectRestoreRequest};
pub use quorum_restore::QuorumRestoreRequest;
pub use snapshot::SnapshotExportRequest;

use std::path::Path;

/// The equivalent command line of a request, as argv and as one shell-quoted line.
pub trait CommandLine {
    fn argv(&self) -> Vec<String>;

    fn command_line(&self) -> String {
        crate::plan::shell_join(self.argv())
    }
}

/// Appends `--flag value` when the value differs from the flag's default.
fn push_path_unless(argv: &mut Vec<String>, flag: &str, value: &Path, default: &str) {
    if value != Path::new(default) {
        push(argv, flag, value.display());
    }
}

fn push(argv: &mut Vec<String>, flag: &str, value: impl std::fmt::Display) {
    argv.push(flag.to_string());
    argv.push(value.to_string());
}
