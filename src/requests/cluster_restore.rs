use std::path::PathBuf;

use super::cluster_backup::DEFAULT_MASTER_DIR;
use super::{CommandLine, push, push_path_unless};

/// `lifeboat restore cluster`: which bundle, into which member, and whether every member of a
/// lost cluster is restored from it (disaster recovery).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterRestoreRequest {
    pub bundle: PathBuf,
    /// `None` reads ETCD_DATA_DIR from etcd.conf.
    pub data_dir: Option<PathBuf>,
    /// `None` uses /etc/etcd/etcd.conf (or the container's environment).
    pub etcd_conf: Option<PathBuf>,
    pub master_dir: PathBuf,
    pub disaster_recovery: bool,
    /// Restore the etcd of this container; `None` on this host.
    pub container: Option<String>,
}

impl ClusterRestoreRequest {
    pub fn from_bundle(bundle: PathBuf) -> Self {
        ClusterRestoreRequest {
            bundle,
            data_dir: None,
            etcd_conf: None,
            master_dir: DEFAULT_MASTER_DIR.into(),
            disaster_recovery: false,
            container: None,
        }
    }
}

impl CommandLine for ClusterRestoreRequest {
    fn argv(&self) -> Vec<String> {
        let mut argv = vec!["lifeboat".into(), "restore".into(), "cluster".into()];
        push(&mut argv, "--from", self.bundle.display());
        if let Some(dir) = &self.data_dir {
            push(&mut argv, "--data-dir", dir.display());
        }
        if let Some(conf) = &self.etcd_conf {
            push(&mut argv, "--etcd-conf", conf.display());
        }
        push_path_unless(
            &mut argv,
            "--master-dir",
            &self.master_dir,
            DEFAULT_MASTER_DIR,
        );
        if self.disaster_recovery {
            argv.push("--disaster-recovery".into());
        }
        if let Some(container) = &self.container {
            push(&mut argv, "--docker", container);
        }
        argv
    }
}
