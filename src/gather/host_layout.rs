//! Where this host keeps etcd's configuration and CA: what the member forms propose.

use std::path::PathBuf;

use crate::connection::{ConnectionSettings, Source};
use crate::facts::ProcessCluster;

/// The paths a member procedure reads on this host. An empty path leaves the choice to the
/// gather layer: a surviving member's of the process cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostLayout {
    pub etcd_conf: PathBuf,
    /// `ca.crt` and `ca.key` of the etcd CA.
    pub ca_dir: PathBuf,
    /// Members run as processes by a supervisor (`LIFEBOAT_PROCESS_CLUSTER`).
    pub process_cluster: Option<PathBuf>,
}

/// An etcd.conf found on this host names its directory; a process cluster names its CA and
/// lets the gather layer pick a surviving member's etcd.conf; otherwise the procedure's paths.
pub fn host_layout(
    connection: Option<&ConnectionSettings>,
    process_cluster: Option<PathBuf>,
) -> HostLayout {
    if let Some(Source::EtcdConf(conf)) = connection.map(|c| &c.source) {
        return HostLayout {
            etcd_conf: conf.clone(),
            ca_dir: conf.parent().map(|d| d.join("ca")).unwrap_or_default(),
            process_cluster,
        };
    }
    if let Some(file) = process_cluster {
        let ca_dir = ProcessCluster::load(&file)
            .map(|cluster| cluster.ca_dir)
            .unwrap_or_default();
        return HostLayout {
            etcd_conf: PathBuf::new(),
            ca_dir,
            process_cluster: Some(file),
        };
    }
    HostLayout {
        etcd_conf: "/etc/etcd/etcd.conf".into(),
        ca_dir: "/etc/etcd/ca".into(),
        process_cluster: None,
    }
}
