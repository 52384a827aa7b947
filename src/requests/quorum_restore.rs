use std::path::PathBuf;

use super::{CommandLine, push};

/// `lifeboat restore quorum`: which survivor a new cluster is forced from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct QuorumRestoreRequest {
    /// The survivor by name; `None` takes the voting member with the highest raft index.
    pub member: Option<String>,
    /// The survivor's etcd.conf; `None` uses /etc/etcd/etcd.conf (or the process cluster's).
    pub etcd_conf: Option<PathBuf>,
}

impl CommandLine for QuorumRestoreRequest {
    fn argv(&self) -> Vec<String> {
        let mut argv = vec!["lifeboat".into(), "restore".into(), "quorum".into()];
        if let Some(member) = &self.member {
            push(&mut argv, "--member", member);
        }
        if let Some(conf) = &self.etcd_conf {
            push(&mut argv, "--etcd-conf", conf.display());
        }
        argv
    }
}
