//! Where this host keeps etcd's configuration and CA: what the member forms propose.

use std::path::PathBuf;

use crate::connection::{ConnectionSettings, Source};

/// The paths a member procedure reads on this host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostLayout {
    pub etcd_conf: PathBuf,
    /// `ca.crt` and `ca.key` of the etcd CA.
    pub ca_dir: PathBuf,
}

impl Default for HostLayout {
    /// An OpenShift 3 etcd host.
    fn default() -> Self {
        HostLayout {
            etcd_conf: "/etc/etcd/etcd.conf".into(),
            ca_dir: "/etc/etcd/ca".into(),
        }
    }
}

/// The layout the connection came from: an etcd.conf found on this host names its directory;
/// otherwise the procedure's paths.
pub fn host_layout(connection: Option<&ConnectionSettings>) -> HostLayout {
    match connection.map(|c| &c.source) {
        Some(Source::EtcdConf(conf)) => HostLayout {
            etcd_conf: conf.clone(),
            ca_dir: conf
                .parent()
                .map_or_else(|| HostLayout::default().ca_dir, |dir| dir.join("ca")),
        },
        Some(Source::Sandbox(dir)) => HostLayout {
            etcd_conf: dir.join("etcd-1/etc/etcd/etcd.conf"),
            ca_dir: dir.join("ca"),
        },
        _ => HostLayout::default(),
    }
}
