//! Where the health report looks, decided once from the connection and the host's files.

use std::path::{Path, PathBuf};

use crate::connection::ConnectionSettings;
use crate::facts::EtcdConf;
use crate::facts::ProcessCluster;
use crate::facts::host::KNOWN_DATA_DIRS;

use super::size::{DEFAULT_QUOTA, MEMBER_ADD_THRESHOLD};

#[derive(Clone, Debug)]
pub struct HealthSources {
    pub connection: ConnectionSettings,
    pub cert_files: Vec<PathBuf>,
    pub data_dirs: Vec<PathBuf>,
    pub quota: u64,
    pub member_add_threshold: u64,
    /// The process-cluster file (`LIFEBOAT_PROCESS_CLUSTER`) whose members run on this host as
    /// plain processes.
    pub process_cluster: Option<PathBuf>,
    /// Whether to ask the Kubernetes API (off in tests that must not depend on a kubeconfig).
    pub kubernetes: bool,
    /// Whether to compare the members' hashes (`hashkv`): it reads every member's whole
    /// keyspace, so the dashboard asks for it at a modest interval, not on every refresh.
    pub consistency: bool,
}

impl HealthSources {
    /// Looks at the connection, `etcd_conf` (the host's `/etc/etcd/etcd.conf`) and `master_dir`
    /// (`/etc/origin/master`) for certificates, data directories and the backend quota.
    pub fn discover(connection: ConnectionSettings, etcd_conf: &Path, master_dir: &Path) -> Self {
        let mut cert_files: Vec<PathBuf> = [&connection.target.cacert, &connection.target.cert]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        let mut data_dirs = Vec::new();
        let mut confs = Vec::new();
        if let Ok(conf) = EtcdConf::load(etcd_conf) {
            confs.push(conf);
        }
        let process_cluster = ProcessCluster::path_from_env();
        if let Some(cluster) = process_cluster
            .as_deref()
            .and_then(|p| ProcessCluster::load(p).ok())
        {
            for member in &cluster.members {
                if let Ok(conf) = EtcdConf::load(&member.conf) {
                    confs.push(conf);
                }
            }
        }
        let mut quota = DEFAULT_QUOTA;
        for conf in &confs {
            for key in [
                "ETCD_CERT_FILE",
                "ETCD_PEER_CERT_FILE",
                "ETCD_TRUSTED_CA_FILE",
                "ETCD_PEER_TRUSTED_CA_FILE",
            ] {
                if let Some(path) = conf.get(key) {
                    cert_files.push(PathBuf::from(path));
                }
            }
            if let Some(dir) = conf.get("ETCD_DATA_DIR") {
                data_dirs.push(PathBuf::from(dir));
            }
            if let Some(bytes) = conf
                .get("ETCD_QUOTA_BACKEND_BYTES")
                .and_then(|v| v.parse().ok())
            {
                quota = bytes;
            }
        }
        if let Ok(entries) = std::fs::read_dir(master_dir) {
            cert_files.extend(
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|ext| ext == "crt")),
            );
        }
        if data_dirs.is_empty() {
            data_dirs.extend(
                KNOWN_DATA_DIRS
                    .iter()
                    .map(PathBuf::from)
                    .filter(|p| p.is_dir()),
            );
        }
        cert_files.sort();
        cert_files.dedup();
        data_dirs.sort();
        data_dirs.dedup();
        HealthSources {
            connection,
            cert_files,
            data_dirs,
            quota,
            member_add_threshold: MEMBER_ADD_THRESHOLD,
            process_cluster,
            kubernetes: true,
            consistency: true,
        }
    }

    /// The host's own files.
    pub fn discover_on_host(connection: ConnectionSettings) -> Self {
        Self::discover(
            connection,
            Path::new("/etc/etcd/etcd.conf"),
            Path::new("/etc/origin/master"),
        )
    }
}
