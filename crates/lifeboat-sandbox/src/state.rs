use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};

use super::kube_api::{KubeApiProcess, kubeconfig_path};
use lifeboat::connection::{ConnectionSettings, Endpoints, Source};
use lifeboat::facts::{PROCESS_CLUSTER_ENV, ProcessCluster, ProcessMember};
use lifeboat::fsutil::write_atomically;

const STATE_FILE: &str = "sandbox.json";
/// What lifeboat reads about the members (`LIFEBOAT_PROCESS_CLUSTER`), rewritten with the state.
const PROCESS_CLUSTER_FILE: &str = "process-cluster.json";

/// The default sandbox: `~/.local/share/lifeboat/sandbox`, beside lifeboat's own data.
pub fn default_dir() -> Result<PathBuf> {
    Ok(lifeboat::paths::data_dir()?.join("sandbox"))
}

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
        crate::layout::ca_dir(dir)
    }

    /// The client certificate that lifeboat and etcdctl use against the sandbox.
    pub fn client_files(dir: &Path) -> (PathBuf, PathBuf) {
        (dir.join("client.crt"), dir.join("client.key"))
    }

    /// The file lifeboat reads to know the members as plain processes on this host.
    pub fn process_cluster_path(dir: &Path) -> PathBuf {
        dir.join(PROCESS_CLUSTER_FILE)
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
        write_atomically(&Self::path(dir), &json, 0o644)?;
        let cluster = self.process_cluster(dir)?;
        let json =
            serde_json::to_vec_pretty(&cluster).wrap_err("serializing the process cluster")?;
        write_atomically(&Self::process_cluster_path(dir), &json, 0o644)
    }

    /// The members as lifeboat sees plain processes: stopped, started and joined by this very
    /// binary's subcommands.
    pub fn process_cluster(&self, dir: &Path) -> Result<ProcessCluster> {
        let exe = std::env::current_exe()
            .wrap_err("finding the lifeboat-sandbox binary")?
            .display()
            .to_string();
        let dir_arg = dir.display().to_string();
        let verb = |words: &[&str], member: &str| -> Vec<String> {
            std::iter::once(exe.clone())
                .chain(words.iter().map(|w| w.to_string()))
                .chain(["--member".into(), member.to_string()])
                .chain(["--dir".into(), dir_arg.clone()])
                .collect()
        };
        Ok(ProcessCluster {
            ca_dir: Self::ca_dir(dir),
            hosts_dir: dir.to_path_buf(),
            members: self
                .members
                .iter()
                .map(|m| ProcessMember {
                    name: m.name.clone(),
                    client_url: m.client_url(),
                    peer_url: m.peer_url(),
                    conf: m.conf_path(),
                    data_dir: m.data_dir(),
                    pid: m.pid,
                    start: verb(&["start", "--no-wait"], &m.name),
                    stop: verb(&["stop"], &m.name),
                })
                .collect(),
            join: vec![exe.clone(), "join".into(), "--dir".into(), dir_arg.clone()],
        })
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
            source: Source::Environment,
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
        vars.push((
            PROCESS_CLUSTER_ENV,
            Self::process_cluster_path(dir).display().to_string(),
        ));
        vars.iter()
            .map(|(name, value)| format!("export {name}={}\n", lifeboat::plan::shell_join([value])))
            .collect()
    }
}
