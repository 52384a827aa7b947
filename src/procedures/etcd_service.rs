//! How etcd runs on a host, and so how a procedure stops and starts it.

use crate::plan::CommandSpec;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EtcdService {
    /// The RPM install: the `etcd` systemd unit reading `/etc/etcd/etcd.conf`.
    Systemd,
    /// A container-based install: the container runs etcd with the data dir mounted from the host.
    Container(String),
    /// A plain process run by some other supervisor, stopped and started by the commands its
    /// process-cluster file gives (see [`crate::facts::ProcessCluster`]).
    Process {
        member: String,
        stop: Vec<String>,
        start: Vec<String>,
    },
}

impl EtcdService {
    /// Stops etcd cleanly (SIGTERM), as `systemctl stop` does.
    pub fn stop_command(&self) -> CommandSpec {
        match self {
            EtcdService::Systemd => CommandSpec::local(["systemctl", "stop", "etcd"]),
            EtcdService::Container(name) => CommandSpec::local(["docker", "stop", name.as_str()]),
            EtcdService::Process { stop, .. } => CommandSpec::local(stop.iter().cloned()),
        }
    }

    /// Starts etcd without waiting for it to be healthy: a member of a restored multi-member
    /// cluster cannot be healthy until enough of the others have started too, so waiting is a
    /// step of its own.
    pub fn start_command(&self) -> CommandSpec {
        match self {
            EtcdService::Systemd => CommandSpec::local(["systemctl", "start", "etcd"]),
            EtcdService::Container(name) => CommandSpec::local(["docker", "start", name.as_str()]),
            EtcdService::Process { start, .. } => CommandSpec::local(start.iter().cloned()),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            EtcdService::Systemd => "the etcd systemd unit".into(),
            EtcdService::Container(name) => format!("the etcd container {name}"),
            EtcdService::Process { member, .. } => format!("the etcd process of {member}"),
        }
    }
}
