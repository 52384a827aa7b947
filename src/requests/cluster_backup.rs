use std::path::PathBuf;

use super::{CommandLine, push, push_path_unless};
use crate::procedures::BackupMethod;

/// `lifeboat backup cluster`: where the bundle goes and how etcd is copied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClusterBackupRequest {
    /// The bundle directory to create; it must not exist.
    pub out: PathBuf,
    pub method: BackupMethod,
    /// The data directory for a data-dir copy; `None` reads it from etcd.conf.
    pub data_dir: Option<PathBuf>,
    /// Stop etcd around a data-dir copy (and start it again, whatever happens).
    pub stop_etcd: bool,
    pub master_dir: PathBuf,
    pub etcd_config_dir: PathBuf,
    /// Run etcdctl inside this container with `docker exec`; `None` on this host.
    pub container: Option<String>,
}

pub const DEFAULT_MASTER_DIR: &str = "/etc/origin/master";
pub const DEFAULT_ETCD_CONFIG_DIR: &str = "/etc/etcd";

impl ClusterBackupRequest {
    /// The procedure's defaults: a snapshot on this host into `out`.
    pub fn snapshot_into(out: PathBuf) -> Self {
        ClusterBackupRequest {
            out,
            method: BackupMethod::Snapshot,
            data_dir: None,
            stop_etcd: false,
            master_dir: DEFAULT_MASTER_DIR.into(),
            etcd_config_dir: DEFAULT_ETCD_CONFIG_DIR.into(),
            container: None,
        }
    }
}

impl CommandLine for ClusterBackupRequest {
    fn argv(&self) -> Vec<String> {
        let mut argv = vec!["lifeboat".into(), "backup".into(), "cluster".into()];
        push(&mut argv, "--out", self.out.display());
        if self.method == BackupMethod::Datadir {
            push(&mut argv, "--method", "datadir");
        }
        if let Some(dir) = &self.data_dir {
            push(&mut argv, "--data-dir", dir.display());
        }
        if self.stop_etcd {
            argv.push("--stop-etcd".into());
        }
        push_path_unless(
            &mut argv,
            "--master-dir",
            &self.master_dir,
            DEFAULT_MASTER_DIR,
        );
        push_path_unless(
            &mut argv,
            "--etcd-config-dir",
            &self.etcd_config_dir,
            DEFAULT_ETCD_CONFIG_DIR,
        );
        if let Some(container) = &self.container {
            push(&mut argv, "--docker", container);
        }
        argv
    }
}
