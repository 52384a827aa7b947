//! Which command-line tools this host has, found with `which` once per run.

use std::path::PathBuf;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tools {
    pub etcd: Option<PathBuf>,
    pub etcdctl: Option<PathBuf>,
    pub etcdutl: Option<PathBuf>,
    pub docker: Option<PathBuf>,
    pub systemctl: Option<PathBuf>,
}

impl Tools {
    pub fn discover() -> Self {
        let find = |name| which::which(name).ok();
        Tools {
            etcd: find("etcd"),
            etcdctl: find("etcdctl"),
            etcdutl: find("etcdutl"),
            docker: find("docker"),
            systemctl: find("systemctl"),
        }
    }
}
