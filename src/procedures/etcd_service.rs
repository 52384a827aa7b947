//! How etcd runs on a host, and so how a procedure stops and starts it.

use std::path::{Path, PathBuf};

use crate::plan::CommandSpec;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EtcdService {
    /// The RPM install: the `etcd` systemd unit reading `/etc/etcd/etcd.conf`.
    Systemd,
    /// A container-based install: the container runs etcd with the data dir mounted from the host.
    Container(String),
    /// A member of lifeboat's local sandbox, stopped and started by lifeboat itself.
    Sandbox {
        lifeboat: PathBuf,
        dir: PathBuf,
        member: String,
    },
}

impl EtcdService {
    /// Stops etcd cleanly (SIGTERM), as `systemctl stop` does.
    pub fn stop_command(&self) -> CommandSpec {
        match self {
            EtcdService::Systemd => CommandSpec::local(["systemctl", "stop", "etcd"]),
            EtcdService::Container(name) => CommandSpec::local(["docker", "stop", name.as_str()]),
            EtcdService::Sandbox {
                lifeboat,
                dir,
                member,
            } => sandbox_command(lifeboat, dir, member, &["stop"]),
        }
    }

    /// Starts etcd without waiting for it to be healthy: a member of a restored multi-member
    /// cluster cannot be healthy until enough of the others have started too, so waiting is a
    /// step of its own.
    pub fn start_command(&self) -> CommandSpec {
        match self {
            EtcdService::Systemd => CommandSpec::local(["systemctl", "start", "etcd"]),
            EtcdService::Container(name) => CommandSpec::local(["docker", "start", name.as_str()]),
            EtcdService::Sandbox {
                lifeboat,
                dir,
                member,
            } => sandbox_command(lifeboat, dir, member, &["start", "--no-wait"]),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            EtcdService::Systemd => "the etcd systemd unit".into(),
            EtcdService::Container(name) => format!("the etcd container {name}"),
            EtcdService::Sandbox { member, .. } => format!("sandbox member {member}"),
        }
    }
}

/// `lifeboat sandbox VERB --member M [FLAGS] --dir D`: `verb_and_flags` starts with the verb.
fn sandbox_command(
    lifeboat: &Path,
    dir: &Path,
    member: &str,
    verb_and_flags: &[&str],
) -> CommandSpec {
    let (verb, flags) = verb_and_flags.split_first().unwrap_or((&"", &[]));
    CommandSpec::local(
        [
            lifeboat.display().to_string(),
            "sandbox".into(),
            verb.to_string(),
        ]
        .into_iter()
        .chain(["--member".into(), member.to_string()])
        .chain(flags.iter().map(|f| f.to_string()))
        .chain(["--dir".into(), dir.display().to_string()]),
    )
}
