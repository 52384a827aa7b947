//! `sandbox up`, `down`, `kill` and `start`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use thiserror::Error;

use super::kube_api::BulkSeed;
use super::ports::free_ports;
use super::process::{is_running, log_tail, signal_and_wait, spawn_etcd, stop};
use super::state::{SandboxMember, SandboxState};
use lifeboat::etcd::collect_snapshot;
use lifeboat::facts::EtcdConf;
use lifeboat::pki::{CertUse, CertificateAuthority};

/// Expected failures, each with what to do about it.
#[derive(Debug, Error)]
pub enum SandboxError {
    #[error(
        "etcd is not installed on this host.\n  Install Debian's etcd-server (`sudo apt-get install etcd-server etcd-client`) or run `make setup`."
    )]
    EtcdMissing,
    #[error(
        "a sandbox is already running in {dir} ({running} of {total} members up).\n  Use it as it is, or stop it first with `lifeboat-sandbox down --dir {dir}`."
    )]
    AlreadyRunning {
        dir: String,
        running: usize,
        total: usize,
    },
    #[error("there is no sandbox in {0}; start one with `lifeboat-sandbox up --dir {0}`")]
    NotFound(String),
    #[error("the sandbox has no member named {name:?}; its members are {known}")]
    UnknownMember { name: String, known: String },
    #[error(
        "member {name} did not become healthy within {seconds}s.\n  Its log ({log}) ends with:\n{tail}{hint}"
    )]
    NotHealthy {
        name: String,
        seconds: u64,
        log: String,
        tail: String,
        hint: &'static str,
    },
}

const HEALTH_TIMEOUT: Duration = Duration::from_secs(30);

fn load(dir: &Path) -> Result<SandboxState> {
    SandboxState::load_if_present(dir)?
        .ok_or_else(|| SandboxError::NotFound(dir.display().to_string()).into())
}

fn find_member<'a>(state: &'a mut SandboxState, name: &str) -> Result<&'a mut SandboxMember> {
    let known = state
        .members
        .iter()
        .map(|m| m.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    state
        .members
        .iter_mut()
        .find(|m| m.name == name)
        .ok_or_else(|| {
            SandboxError::UnknownMember {
                name: name.to_string(),
                known,
            }
            .into()
        })
}

/// Starts an `members`-strong cluster in `dir`, or restarts the stopped sandbox already there,
/// and waits until every member is healthy.
pub async fn up(dir: &Path, members: usize) -> Result<SandboxState> {
    up_with_quota(dir, members, None).await
}

/// [`up`], with every new member's backend quota (`ETCD_QUOTA_BACKEND_BYTES`) set to
/// `quota_backend_bytes` when given, so that the NOSPACE alarm can be rehearsed. A sandbox
/// that exists already keeps the quota it was created with.
pub async fn up_with_quota(
    dir: &Path,
    members: usize,
    quota_backend_bytes: Option<u64>,
) -> Result<SandboxState> {
    up_seeded(dir, members, quota_backend_bytes, &BulkSeed::default()).await
}

/// [`up_with_quota`], with a new emulated API server seeded with `bulk` projects and objects.
pub async fn up_seeded(
    dir: &Path,
    members: usize,
    quota_backend_bytes: Option<u64>,
    bulk: &BulkSeed,
) -> Result<SandboxState> {
    let etcd = which::which("etcd").map_err(|_| SandboxError::EtcdMissing)?;
    let mut state = match SandboxState::load_if_present(dir)? {
        Some(state) => {
            let running = state
                .members
                .iter()
                .filter(|m| m.pid.is_some_and(is_running))
                .count();
            if running > 0 {
                return Err(SandboxError::AlreadyRunning {
                    dir: dir.display().to_string(),
                    running,
                    total: state.members.len(),
                }
                .into());
            }
            state
        }
        None => create(dir, members, quota_backend_bytes)?,
    };
    for member in &mut state.members {
        let conf = EtcdConf::load(&member.conf_path())?;
        member.pid = Some(spawn_etcd(&etcd, &conf, &member.log_path())?);
    }
    state.save(dir)?;
    wait_until_healthy(
        dir,
        &state,
        &state
            .members
            .iter()
            .map(|m| m.name.clone())
            .collect::<Vec<_>>(),
    )
    .await?;
    // The etcd members are up: a failure of the emulated API server must not leave them
    // running unrecorded, so the state is saved first.
    let previous = state.kube_api.take();
    state.kube_api = Some(super::kube_api::start_seeded(dir, previous, bulk).await?);
    state.save(dir)?;
    Ok(state)
}

/// Writes the CA, certificates and one `etcd.conf` per member; starts nothing.
fn create(dir: &Path, count: usize, quota: Option<u64>) -> Result<SandboxState> {
    std::fs::create_dir_all(dir)
        .wrap_err_with(|| format!("creating sandbox directory {}", dir.display()))?;
    let ca = CertificateAuthority::generate("lifeboat sandbox etcd CA")?;
    ca.save(&SandboxState::ca_dir(dir))?;
    let (client_cert, client_key) = SandboxState::client_files(dir);
    let client = ca.issue("lifeboat", &[], CertUse::Client)?;
    lifeboat::fsutil::write_atomically(&client_cert, client.cert_pem.as_bytes(), 0o644)?;
    lifeboat::fsutil::write_atomically(&client_key, client.key_pem.as_bytes(), 0o600)?;

    let ports = free_ports(count * 2)?;
    let members: Vec<SandboxMember> = (0..count)
        .map(|i| SandboxMember {
            name: format!("etcd-{}", i + 1),
            client_port: ports[2 * i],
            peer_port: ports[2 * i + 1],
            pid: None,
            home: dir.join(format!("etcd-{}", i + 1)),
        })
        .collect();
    let initial_cluster = members
        .iter()
        .map(|m| format!("{}={}", m.name, m.peer_url()))
        .collect::<Vec<_>>()
        .join(",");
    let token = format!(
        "lifeboat-sandbox-{}",
        jiff::Timestamp::now().as_millisecond()
    );
    for member in &members {
        let etc = member.etc_dir();
        let sans = ["127.0.0.1".to_string(), "localhost".to_string()];
        ca.issue(&member.name, &sans, CertUse::Server)?
            .write(&etc, "server")?;
        ca.issue(&member.name, &sans, CertUse::Peer)?
            .write(&etc, "peer")?;
        lifeboat::fsutil::write_atomically(&etc.join("ca.crt"), ca.cert_pem().as_bytes(), 0o644)?;
        std::fs::create_dir_all(member.data_dir()).wrap_err("creating a member data directory")?;
        let mut conf = member_conf(member, &initial_cluster, &token);
        if let Some(bytes) = quota {
            conf.set("ETCD_QUOTA_BACKEND_BYTES", bytes.to_string());
        }
        lifeboat::fsutil::write_atomically(
            &member.conf_path(),
            conf.to_string().as_bytes(),
            0o644,
        )?;
    }
    let state = SandboxState {
        members,
        kube_api: None,
    };
    state.save(dir)?;
    Ok(state)
}

/// A member's configuration in the `/etc/etcd/etcd.conf` format of an OpenShift 3 etcd host.
fn member_conf(member: &SandboxMember, initial_cluster: &str, token: &str) -> EtcdConf {
    let etc = member.etc_dir();
    let file = |name: &str| etc.join(name).display().to_string();
    let mut conf = EtcdConf::parse("# [member]\n");
    let settings = [
        ("ETCD_NAME", member.name.clone()),
        ("ETCD_DATA_DIR", member.data_dir().display().to_string()),
        ("ETCD_LISTEN_PEER_URLS", member.peer_url()),
        ("ETCD_LISTEN_CLIENT_URLS", member.client_url()),
        ("ETCD_INITIAL_ADVERTISE_PEER_URLS", member.peer_url()),
        ("ETCD_INITIAL_CLUSTER", initial_cluster.to_string()),
        ("ETCD_INITIAL_CLUSTER_STATE", "new".to_string()),
        ("ETCD_INITIAL_CLUSTER_TOKEN", token.to_string()),
        ("ETCD_ADVERTISE_CLIENT_URLS", member.client_url()),
        ("ETCD_TRUSTED_CA_FILE", file("ca.crt")),
        ("ETCD_CERT_FILE", file("server.crt")),
        ("ETCD_KEY_FILE", file("server.key")),
        ("ETCD_CLIENT_CERT_AUTH", "true".to_string()),
        ("ETCD_PEER_TRUSTED_CA_FILE", file("ca.crt")),
        ("ETCD_PEER_CERT_FILE", file("peer.crt")),
        ("ETCD_PEER_KEY_FILE", file("peer.key")),
        ("ETCD_PEER_CLIENT_CERT_AUTH", "true".to_string()),
    ];
    for (key, value) in settings {
        conf.set(key, value);
    }
    conf
}

/// Polls until every named member answers its status call, or explains from its log why not.
async fn wait_until_healthy(dir: &Path, state: &SandboxState, names: &[String]) -> Result<()> {
    let connection = state.connection(dir);
    let started = Instant::now();
    loop {
        let snapshot = collect_snapshot(&connection.target).await;
        let pending: Vec<&SandboxMember> = state
            .members
            .iter()
            .filter(|m| names.contains(&m.name))
            .filter(|m| {
                !snapshot
                    .endpoints
                    .iter()
                    .any(|r| r.endpoint == m.client_url() && r.result.is_ok())
            })
            .collect();
        let Some(first) = pending.first() else {
            return Ok(());
        };
        let exited = pending.iter().find(|m| !m.pid.is_some_and(is_running));
        if exited.is_some() || started.elapsed() > HEALTH_TIMEOUT {
            let member = exited.unwrap_or(first);
            let tail = log_tail(&member.log_path(), 8);
            let hint = if tail.contains("address already in use") {
                "\n  Another program took one of its ports: run `lifeboat-sandbox down` and then `lifeboat-sandbox up` in a new directory."
            } else {
                ""
            };
            return Err(SandboxError::NotHealthy {
                name: member.name.clone(),
                seconds: started.elapsed().as_secs(),
                log: member.log_path().display().to_string(),
                tail,
                hint,
            }
            .into());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Stops every member this sandbox started, by pid; the data stays for the next `up`.
pub fn down(dir: &Path) -> Result<SandboxState> {
    let mut state = load(dir)?;
    if let Some(kube_api) = state.kube_api.as_mut() {
        super::kube_api::stop(kube_api);
    }
    for member in &mut state.members {
        if let Some(pid) = member.pid.take() {
            if is_running(pid) {
                stop(pid);
            }
        }
    }
    state.save(dir)?;
    Ok(state)
}

/// The failure drill: kills one member the hard way (SIGKILL, like a host losing power) and,
/// with `wipe`, deletes its data as if its disk were lost.
pub fn kill_member(dir: &Path, name: &str, wipe: bool) -> Result<SandboxMember> {
    let mut state = load(dir)?;
    let member = find_member(&mut state, name)?;
    if let Some(pid) = member.pid.take() {
        if is_running(pid) {
            signal_and_wait(
                pid,
                nix::sys::signal::Signal::SIGKILL,
                Duration::from_secs(5),
            );
        }
    }
    if wipe {
        let data = member.data_dir();
        if data.exists() {
            std::fs::remove_dir_all(&data)
                .wrap_err_with(|| format!("wiping {}", data.display()))?;
        }
        std::fs::create_dir_all(&data)
            .wrap_err_with(|| format!("recreating {}", data.display()))?;
    }
    let member = member.clone();
    state.save(dir)?;
    Ok(member)
}

/// Stops one member as `systemctl stop` would: SIGTERM, then waits for the process to exit.
pub fn stop_member(dir: &Path, name: &str) -> Result<SandboxMember> {
    let mut state = load(dir)?;
    let member = find_member(&mut state, name)?;
    if let Some(pid) = member.pid.take() {
        if is_running(pid) {
            stop(pid);
        }
    }
    let member = member.clone();
    state.save(dir)?;
    Ok(member)
}

/// Starts one stopped member again and, with `wait`, waits until it answers.
pub async fn start_member(dir: &Path, name: &str, wait: bool) -> Result<SandboxMember> {
    let etcd: PathBuf = which::which("etcd").map_err(|_| SandboxError::EtcdMissing)?;
    let mut state = load(dir)?;
    let member = find_member(&mut state, name)?;
    if !member.pid.is_some_and(is_running) {
        let conf = EtcdConf::load(&member.conf_path())?;
        member.pid = Some(spawn_etcd(&etcd, &conf, &member.log_path())?);
    }
    let member = member.clone();
    state.save(dir)?;
    if wait {
        wait_until_healthy(dir, &state, std::slice::from_ref(&member.name)).await?;
    }
    Ok(member)
}

/// Registers a member that joined the cluster from outside the sandbox (member recovery),
/// drops the members it replaced from the sandbox's list, then starts it like any other.
pub async fn join_member(
    dir: &Path,
    member: SandboxMember,
    replaces: &[String],
) -> Result<SandboxMember> {
    let mut state = load(dir)?;
    for gone in state.members.iter().filter(|m| replaces.contains(&m.name)) {
        // A removed member stops itself; one still running would hold its ports.
        if let Some(pid) = gone.pid.filter(|pid| is_running(*pid)) {
            stop(pid);
        }
    }
    state.members.retain(|m| !replaces.contains(&m.name));
    match state.members.iter_mut().find(|m| m.name == member.name) {
        Some(existing) => *existing = member.clone(),
        None => state.members.push(member.clone()),
    }
    std::fs::create_dir_all(member.data_dir())
        .wrap_err_with(|| format!("creating {}", member.data_dir().display()))?;
    state.save(dir)?;
    start_member(dir, &member.name, true).await
}
