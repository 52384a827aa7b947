use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};

use super::kube_api::{KubeApiProcess, kubeconfig_path};
use crate::connection::{ConnectionSettings, Endpoints, Source};
use crate::fsutil::write_atomically;

const STATE_FILE: &str = "sandbox.json";

/// One member, laid out like a host: `<home>/etc/etcd` holds its configuration and
/// certificates, `<home>/var/lib/etcd` its data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxMember {
    pub name: String,
    pub client_port: u16,
    pub peer_port: u16,
    /// The running process, `None` once stopped by lifeboat.
    pub pid: Option<u32>,
    pub home: PathBuf,
}

impl SandboxMember {
    pub fn etc_dir(&self) -> PathBuf {
        self.home.join("etc/etcd")
    }
    pub fn conf_path(&self) -> PathBuf {
        self.etc_dir().join("etcd.conf")
    }
    pub fn data_dir(&self) -> PathBuf {
        self.home.join("var/lib/etcd")
    }
    pub fn log_path(&self) -> PathBuf {
        self.home.join("etcd.log")
    }
    pub fn client_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.client_port)
    }
    pub fn peer_url(&self) -> String {
        format!("https://127.0.0.1:{}", self.peer_port)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SandboxState {
    pub members: Vec<SandboxMember>,
    /// The emulated Kubernetes API server; absent in sandboxes made before it existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kube_api: Option<KubeApiProcess>,
}

impl SandboxState {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(STATE_FILE)
    }

    pub fn ca_dir(dir: &Path) -> PathBuf {
        dir.join("ca")
    }

    /// The client certificate that lifeboat and etcdctl use against the sandbox.
    pub fn client_files(dir: &Path) -> (PathBuf, PathBuf) {
        (dir.join("client.crt"), dir.join("client.key"))
    }

    /// The sandbox directory `connection` leads to, if it is the sandbox. A sandbox reached
    /// through `sandbox env` variables is still the sandbox: its CA sits in `<dir>/ca/ca.crt`
    /// beside the state file.
    pub fn dir_of_connection(connection: &ConnectionSettings) -> Option<PathBuf> {
        match &connection.source {
            Source::Sandbox(dir) => Some(dir.clone()),
            _ => connection
                .target
                .cacert
                .as_deref()
                .and_then(|ca| ca.parent()?.parent())
                .filter(|dir| Self::path(dir).is_file())
                .map(Path::to_path_buf),
        }
    }

    pub fn load_if_present(dir: &Path) -> Result<Option<Self>> {
        let path = Self::path(dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .wrap_err_with(|| format!("reading sandbox state {}", path.display())),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error).wrap_err_with(|| format!("reading {}", path.display())),
        }
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        let json = serde_json::to_vec_pretty(self).wrap_err("serializing sandbox state")?;
        write_atomically(&Self::path(dir), &json, 0o644)
    }

    pub fn member(&self, name: &str) -> Option<&SandboxMember> {
        self.members.iter().find(|m| m.name == name)
    }

    pub fn endpoints(&self) -> Vec<String> {
        self.members.iter().map(SandboxMember::client_url).collect()
    }

    pub fn connection(&self, dir: &Path) -> ConnectionSettings {
        let (cert, key) = Self::client_files(dir);
        ConnectionSettings {
            target: Endpoints {
                endpoints: self.endpoints(),
                cacert: Some(Self::ca_dir(dir).join("ca.crt")),
                cert: Some(cert),
                key: Some(key),
            },
            source: Source::Sandbox(dir.to_path_buf()),
        }
    }

    /// `export` lines that make plain `etcdctl` (and `kubectl`, through the emulated API
    /// server's kubeconfig) talk to the sandbox.
    pub fn env_exports(&self, dir: &Path) -> String {
        let settings = self.connection(dir);
        let target = &settings.target;
        let path = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        };
        let mut vars = vec![
            ("ETCDCTL_API", "3".to_string()),
            ("ETCDCTL_ENDPOINTS", target.endpoints.join(",")),
            ("ETCDCTL_CACERT", path(&target.cacert)),
            ("ETCDCTL_CERT", path(&target.cert)),
            ("ETCDCTL_KEY", path(&target.key)),
        ];
        if self.kube_api.is_some() {
            vars.push(("KUBECONFIG", kubeconfig_path(dir).display().to_string()));
        }
        vars.iter()
            .map(|(name, value)| format!("export {name}={}\n", crate::plan::shell_join([value])))
            .collect()
    }
}
