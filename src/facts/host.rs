//! Where etcd runs on this host and how much room its data directory has left.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

/// Data directories by deployment type (the procedure's table, see NOTES.md): checked when the
/// host's configuration does not name one.
pub const KNOWN_DATA_DIRS: [&str; 3] = [
    "/var/lib/etcd",
    "/var/lib/origin/openshift.local.etcd",
    "/var/lib/origin/etcd",
];

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum EtcdRuntime {
    /// A systemd unit and what `systemctl is-active` says of it.
    Systemd { unit: String, state: String },
    /// A container from `docker ps`.
    Container {
        name: String,
        image: String,
        status: String,
    },
    /// A member run as a plain process by a supervisor (a process cluster, such as the sandbox).
    /// `pid` is `None` once its supervisor stopped it.
    Process {
        name: String,
        pid: Option<u32>,
        running: bool,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DiskSpace {
    pub path: PathBuf,
    pub free_bytes: u64,
    pub total_bytes: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct HostFacts {
    pub runtimes: Vec<EtcdRuntime>,
    pub data_dirs: Vec<Result<DiskSpace, String>>,
}

/// Free and total bytes of the filesystem holding `path`.
pub fn disk_space(path: &Path) -> Result<DiskSpace, String> {
    let stat = nix::sys::statvfs::statvfs(path).map_err(|e| format!("{}: {e}", path.display()))?;
    // The field types differ between targets (u32 or u64); widen them all to u64.
    #[allow(clippy::useless_conversion)]
    let (block, available, total) = (
        u64::from(stat.fragment_size()),
        u64::from(stat.blocks_available()),
        u64::from(stat.blocks()),
    );
    Ok(DiskSpace {
        path: path.to_path_buf(),
        free_bytes: available * block,
        total_bytes: total * block,
    })
}

/// Runs a read-only query command with a timeout; `None` when it is missing, fails or hangs.
async fn query(program: &str, args: &[&str]) -> Option<String> {
    let output = tokio::process::Command::new(program)
        .args(args)
        .kill_on_drop(true)
        .output();
    match tokio::time::timeout(Duration::from_secs(3), output).await {
        Ok(Ok(output)) => Some(String::from_utf8_lossy(&output.stdout).trim().to_string()),
        _ => None,
    }
}

/// Running containers from the Engine's socket, or from `docker ps` when the socket cannot be
/// used (a remote `DOCKER_HOST`, no permission); empty without docker.
async fn running_containers() -> Vec<super::docker_api::RunningContainer> {
    if let Some(listed) = super::docker_api::running_containers().await {
        return listed;
    }
    if which::which("docker").is_err() {
        return Vec::new();
    }
    let listing = query(
        "docker",
        &["ps", "--format", "{{.Names}}\t{{.Image}}\t{{.Status}}"],
    )
    .await;
    listing
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split('\t');
            Some(super::docker_api::RunningContainer {
                name: fields.next()?.to_string(),
                image: fields.next()?.to_string(),
                status: fields.next()?.to_string(),
            })
        })
        .collect()
}

/// The systemd unit and any etcd containers. Members of a process cluster are added by the
/// caller, who has its file (`LIFEBOAT_PROCESS_CLUSTER`).
pub async fn discover_runtimes() -> Vec<EtcdRuntime> {
    let mut runtimes = Vec::new();
    if which::which("systemctl").is_ok() {
        if let Some(state) = query("systemctl", &["is-active", "etcd"]).await {
            // "inactive" for a unit that does not exist either; only report units systemd knows.
            let known = query("systemctl", &["cat", "etcd"])
                .await
                .is_some_and(|text| !text.is_empty());
            if known {
                runtimes.push(EtcdRuntime::Systemd {
                    unit: "etcd".into(),
                    state,
                });
            }
        }
    }
    for container in running_containers().await {
        if container.name.contains("etcd") || container.image.contains("etcd") {
            runtimes.push(EtcdRuntime::Container {
                name: container.name,
                image: container.image,
                status: container.status,
            });
        }
    }
    runtimes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disk_space_of_a_real_directory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let space = disk_space(dir.path()).expect("statvfs works");
        assert!(space.total_bytes > 0 && space.free_bytes <= space.total_bytes);
        assert!(disk_space(Path::new("/nonexistent/dir")).is_err());
    }
}
