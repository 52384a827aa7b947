//! Members run as plain processes on this host by a supervisor that is neither systemd nor
//! docker (a rehearsal cluster, for one). The supervisor writes a file saying where each
//! member lives and which commands stop and start it; lifeboat reads it like any other host
//! configuration and acts on the members only through those commands, so it needs to know
//! nothing of the supervisor itself.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};

/// The variable naming the file, as `ETCDCTL_ENDPOINTS` names the endpoints.
pub const PROCESS_CLUSTER_ENV: &str = "LIFEBOAT_PROCESS_CLUSTER";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessCluster {
    /// The CA (`ca.crt`, `ca.key`) that signs the members' certificates.
    pub ca_dir: PathBuf,
    /// Where a new member's host lives: `<hosts_dir>/<name>` holds `etc/etcd` and
    /// `var/lib/etcd`, laid out like a real host.
    pub hosts_dir: PathBuf,
    pub members: Vec<ProcessMember>,
    /// Registers and starts a new member whose files are in place: lifeboat appends
    /// `--member NAME --client-port P --peer-port Q` and `--replaces OLD` per member it replaces.
    pub join: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcessMember {
    pub name: String,
    pub client_url: String,
    pub peer_url: String,
    /// Its etcd.conf.
    pub conf: PathBuf,
    pub data_dir: PathBuf,
    /// The running process, `None` once stopped.
    pub pid: Option<u32>,
    /// Starts it without waiting for it to answer.
    pub start: Vec<String>,
    /// Stops it cleanly (SIGTERM), as `systemctl stop` does.
    pub stop: Vec<String>,
}

impl ProcessCluster {
    /// The file named by `LIFEBOAT_PROCESS_CLUSTER`, if set.
    pub fn path_from(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
        env(PROCESS_CLUSTER_ENV)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    }

    /// The file named by this process's `LIFEBOAT_PROCESS_CLUSTER`, if set.
    pub fn path_from_env() -> Option<PathBuf> {
        Self::path_from(&|name| std::env::var(name).ok())
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("reading the process cluster {}", path.display()))?;
        serde_json::from_str(&text)
            .wrap_err_with(|| format!("parsing the process cluster {}", path.display()))
    }

    pub fn member(&self, name: &str) -> Option<&ProcessMember> {
        self.members.iter().find(|m| m.name == name)
    }

    /// The host directory of a member named `name`.
    pub fn host_of(&self, name: &str) -> PathBuf {
        self.hosts_dir.join(name)
    }

    /// The command that joins `name` (ports as given), dropping `replaces` from the list.
    pub fn join_command(
        &self,
        name: &str,
        client_port: u16,
        peer_port: u16,
        replaces: &[String],
    ) -> Vec<String> {
        join_command(&self.join, name, client_port, peer_port, replaces)
    }
}

/// `join` (the supervisor's argv prefix) for the member `name` on these ports, replacing
/// `replaces`.
pub fn join_command(
    join: &[String],
    name: &str,
    client_port: u16,
    peer_port: u16,
    replaces: &[String],
) -> Vec<String> {
    let mut argv = join.to_vec();
    argv.extend([
        "--member".to_string(),
        name.to_string(),
        "--client-port".into(),
        client_port.to_string(),
        "--peer-port".into(),
        peer_port.to_string(),
    ]);
    for old in replaces {
        argv.extend(["--replaces".to_string(), old.clone()]);
    }
    argv
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_join_command_names_the_member_its_ports_and_what_it_replaces() {
        let cluster = ProcessCluster {
            ca_dir: "/c/ca".into(),
            hosts_dir: "/c".into(),
            members: vec![],
            join: vec!["supervisor".into(), "join".into()],
        };
        assert_eq!(
            cluster.join_command("new", 1, 2, &["old".into()]),
            [
                "supervisor",
                "join",
                "--member",
                "new",
                "--client-port",
                "1",
                "--peer-port",
                "2",
                "--replaces",
                "old"
            ]
        );
        assert_eq!(cluster.host_of("new"), Path::new("/c/new"));
    }

    #[test]
    fn the_variable_names_the_file() {
        let env = |name: &str| (name == PROCESS_CLUSTER_ENV).then(|| "/c/members.json".into());
        assert_eq!(
            ProcessCluster::path_from(&env),
            Some(PathBuf::from("/c/members.json"))
        );
        assert_eq!(ProcessCluster::path_from(&|_| None), None);
    }
}
