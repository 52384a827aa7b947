//! How lifeboat reaches etcd: the same flags and `ETCDCTL_*` variables as etcdctl, saved
//! profiles, and what the host's own configuration says.

mod profiles;
mod resolve;

pub use profiles::{Profile, Profiles};
pub use resolve::{ConnectionFlags, DiscoveryPaths, resolve};

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where the settings in use came from, shown in the UI header so nobody wonders which cluster
/// they are looking at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Flags,
    Environment,
    Profile(String),
    EtcdConf(PathBuf),
    MasterConfig(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flags => write!(f, "command-line flags"),
            Source::Environment => write!(f, "ETCDCTL_* environment"),
            Source::Profile(name) => write!(f, "profile {name}"),
            Source::EtcdConf(path) => write!(f, "{}", path.display()),
            Source::MasterConfig(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Endpoints and TLS files, as etcdctl takes them.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    pub endpoints: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cacert: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert: Option<PathBuf>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectionSettings {
    pub target: Endpoints,
    pub source: Source,
}

impl ConnectionSettings {
    /// The flags that give `etcdctl` the same connection, for runbooks and commands lifeboat
    /// runs through etcdctl.
    pub fn etcdctl_flags(&self) -> Vec<String> {
        let target = &self.target;
        let mut flags = vec![format!("--endpoints={}", target.endpoints.join(","))];
        let files = [
            ("--cacert", &target.cacert),
            ("--cert", &target.cert),
            ("--key", &target.key),
        ];
        for (flag, path) in files {
            if let Some(path) = path {
                flags.push(format!("{flag}={}", path.display()));
            }
        }
        flags
    }

    /// The same connection as `ETCDCTL_*` variables. Commands lifeboat runs through etcdctl
    /// get these rather than flags: etcdctl 3.4 refuses a flag whose variable is also set, and
    /// the engineer's shell may well have them exported.
    pub fn etcdctl_env(&self) -> Vec<(String, String)> {
        let target = &self.target;
        let mut env = vec![
            ("ETCDCTL_API".to_string(), "3".to_string()),
            ("ETCDCTL_ENDPOINTS".to_string(), target.endpoints.join(",")),
        ];
        let files = [
            ("ETCDCTL_CACERT", &target.cacert),
            ("ETCDCTL_CERT", &target.cert),
            ("ETCDCTL_KEY", &target.key),
        ];
        for (name, path) in files {
            if let Some(path) = path {
                env.push((name.to_string(), path.display().to_string()));
            }
        }
        env
    }
}
