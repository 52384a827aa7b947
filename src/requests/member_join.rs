use std::path::PathBuf;

use super::{CommandLine, push, push_path_unless};

/// How the new host starts etcd.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JoinStart {
    /// `systemctl enable etcd --now`.
    Systemd,
    /// OpenShift 3's `etcd_container` unit.
    Container,
    /// A detached process with etcd.conf as its environment.
    Process,
}

impl JoinStart {
    pub fn flag(self) -> &'static str {
        match self {
            JoinStart::Systemd => "systemd",
            JoinStart::Container => "container",
            JoinStart::Process => "process",
        }
    }
}

/// `lifeboat member join`, on the new host: the bundle `member replace` wrote, and how etcd
/// starts here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberJoinRequest {
    pub bundle: PathBuf,
    /// `None`: systemd when the host runs it.
    pub start: Option<JoinStart>,
    pub etc_dir: PathBuf,
    pub wait_timeout_secs: u64,
    /// Join the process cluster this file describes, started by its supervisor, instead of
    /// `etc_dir` and `start`.
    pub process_cluster: Option<PathBuf>,
}

pub const DEFAULT_ETC_DIR: &str = "/etc/etcd";
pub const DEFAULT_WAIT_SECS: u64 = 300;

impl CommandLine for MemberJoinRequest {
    fn argv(&self) -> Vec<String> {
        let mut argv = vec!["lifeboat".into(), "member".into(), "join".into()];
        push(&mut argv, "--bundle", self.bundle.display());
        match &self.process_cluster {
            Some(file) => push(&mut argv, "--process-cluster", file.display()),
            None => {
                if let Some(start) = self.start {
                    push(&mut argv, "--start", start.flag());
                }
                push_path_unless(&mut argv, "--etc-dir", &self.etc_dir, DEFAULT_ETC_DIR);
            }
        }
        if self.wait_timeout_secs != DEFAULT_WAIT_SECS {
            push(&mut argv, "--wait-timeout", self.wait_timeout_secs);
        }
        argv
    }
}
