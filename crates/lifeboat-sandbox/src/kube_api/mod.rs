//! An emulated Kubernetes/OpenShift API server for the sandbox and the tests: a stand-in, not
//! a cluster. It speaks the real HTTP API (discovery, CRUD with server-owned fields, Status
//! errors, selectors, dry run, watch, and the exec WebSocket) well enough that `kubectl` and
//! kube-rs work against it, with a few controllers that matter for backup and restore, and
//! pods whose file systems are directories on this machine.
//!
//! `lifeboat-sandbox up` starts it as its own detached process (`lifeboat-sandbox serve-kube`), like
//! the etcd members; it keeps its objects in the sandbox's etcd as OpenShift 3 does
//! (`etcd_store`), and a copy in `<sandbox>/kube/objects.json`.

mod admission;
mod bulk_seed;
mod controller;
pub mod discovery;
mod etcd_store;
mod exec;
mod handlers;
mod paging;
mod patch;
mod pod_checks;
mod pods;
mod protobuf;
mod routes;
mod seed;
mod selectors;
mod server;
mod status;
mod store;
mod table;
mod tls;
mod token;
mod watch;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr, bail};
use serde::{Deserialize, Serialize};

use super::pki::{CertUse, CertificateAuthority};
use lifeboat::fsutil::write_atomically;

pub use bulk_seed::BulkSeed;
pub use controller::PROJECT_SERVICE_ACCOUNTS;
pub use exec::exit_status;
pub use server::GIT_VERSION;

/// What the sandbox state records of the running server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KubeApiProcess {
    pub port: u16,
    /// The running process, `None` once stopped.
    pub pid: Option<u32>,
}

impl KubeApiProcess {
    pub fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }
}

/// `<sandbox>/kube`: certificates, token, objects, pods and volumes.
pub fn home(dir: &Path) -> PathBuf {
    dir.join("kube")
}

pub fn kubeconfig_path(dir: &Path) -> PathBuf {
    dir.join("kubeconfig")
}

pub fn token_path(dir: &Path) -> PathBuf {
    home(dir).join("token")
}

pub fn log_path(dir: &Path) -> PathBuf {
    home(dir).join("apiserver.log")
}

/// The process name `is_running` looks for: this very binary.
fn own_command_name() -> String {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .map(|n| n.chars().take(15).collect())
        .unwrap_or_else(|| "lifeboat-sandbo".into())
}

pub fn is_running(process: &KubeApiProcess) -> bool {
    process
        .pid
        .is_some_and(|pid| super::process::is_running_as(pid, &own_command_name()))
}

/// Runs the server in this process until it is killed: the hidden `lifeboat-sandbox serve-kube`.
pub async fn serve(dir: &Path, port: u16, etcd: lifeboat::connection::Endpoints) -> Result<()> {
    serve_seeded(dir, port, etcd, &BulkSeed::default()).await
}

/// [`serve`], seeding a new store with `bulk` projects and objects after the samples.
pub async fn serve_seeded(
    dir: &Path,
    port: u16,
    etcd: lifeboat::connection::Endpoints,
    bulk: &BulkSeed,
) -> Result<()> {
    let kube = home(dir);
    let ca = CertificateAuthority::load(&crate::layout::ca_dir(dir))?;
    let read = |name: &str| {
        let path = kube.join(name);
        std::fs::read_to_string(&path).wrap_err_with(|| format!("reading {}", path.display()))
    };
    let tls = tls::server_config(
        ca.cert_pem(),
        &read("apiserver.crt")?,
        &read("apiserver.key")?,
    )?;
    let token = read("token")?.trim().to_string();
    let (etcd, mut store, fresh) = open_store(etcd, &kube)?;
    let pods = pods::PodFiles::new(&kube)?;
    if fresh {
        seed::seed(&mut store)?;
        bulk_seed::seed(&mut store, bulk)?;
    }
    controller::reconcile(&mut store, ca.cert_pem());
    store.save()?;
    etcd.write(store.take_writes());
    pods.sync(&store)?;
    if fresh {
        seed::seed_files(&store, &pods)?;
    }
    store.take_changes();
    let api =
        Arc::new(handlers::ApiState::new(store, pods, ca.cert_pem().to_string()).with_etcd(etcd));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .wrap_err_with(|| format!("listening on 127.0.0.1:{port}"))?;
    eprintln!("emulated Kubernetes API server listening on https://127.0.0.1:{port}");
    tokio::spawn(api.clone().write_in_background());
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .wrap_err("listening for SIGTERM")?;
    tokio::select! {
        served = server::serve(listener, tls, api.clone(), token) => served,
        _ = terminate.recv() => {
            // `sandbox down`: what the last requests changed must be on disk before exiting.
            api.flush_etcd();
            api.save_now()
        }
    }
}

/// The objects as etcd holds them, as a real API server starts; from `objects.json` only
/// when etcd holds none yet (a sandbox made before the server stored in etcd, or a new one:
/// then `true`, to seed), and then all written to etcd.
fn open_store(
    target: lifeboat::connection::Endpoints,
    kube: &Path,
) -> Result<(etcd_store::EtcdWriter, store::Store, bool)> {
    let (etcd, loaded) = etcd_store::EtcdWriter::start(target)?;
    let path = kube.join("objects.json");
    if !loaded.objects.is_empty() {
        return Ok((etcd, store::Store::from_etcd(&path, loaded), false));
    }
    let (mut store, fresh) = store::Store::open(&path)?;
    store.write_all();
    Ok((etcd, store, fresh))
}

/// Writes the server's certificate, a client certificate, a bearer token and the kubeconfig
/// (the first time), starts the server detached, and waits until `/readyz` answers.
pub async fn start(dir: &Path, previous: Option<KubeApiProcess>) -> Result<KubeApiProcess> {
    start_seeded(dir, previous, &BulkSeed::default()).await
}

/// [`start`], asking a new server to seed `bulk` projects and objects (a benchmark's cluster).
pub async fn start_seeded(
    dir: &Path,
    previous: Option<KubeApiProcess>,
    bulk: &BulkSeed,
) -> Result<KubeApiProcess> {
    let kube = home(dir);
    let port = match &previous {
        Some(previous) => previous.port,
        None => super::ports::free_ports(1)?[0],
    };
    if previous.is_none() || !kubeconfig_path(dir).exists() {
        write_credentials(dir, port)?;
    }
    std::fs::create_dir_all(&kube).wrap_err_with(|| format!("creating {}", kube.display()))?;
    let exe = std::env::current_exe().wrap_err("finding the lifeboat-sandbox binary")?;
    let mut command = Command::new(exe);
    command
        .args(["serve-kube", "--port", &port.to_string(), "--dir"])
        .arg(dir)
        .args(bulk.args());
    let pid = super::process::spawn_detached(command, &log_path(dir))
        .wrap_err("starting the emulated API server")?;
    let process = KubeApiProcess {
        port,
        pid: Some(pid),
    };
    // Seeding takes about a second per ten thousand objects on a busy machine.
    let patience = Duration::from_secs(30 + (bulk.objects / 2000) as u64);
    if let Err(error) = wait_until_ready(dir, &process, patience).await {
        stop(&mut process.clone());
        return Err(error);
    }
    Ok(process)
}

pub fn stop(process: &mut KubeApiProcess) {
    if let Some(pid) = process.pid.take() {
        if is_running(&KubeApiProcess {
            pid: Some(pid),
            port: process.port,
        }) {
            super::process::stop(pid);
        }
    }
}

async fn wait_until_ready(dir: &Path, process: &KubeApiProcess, patience: Duration) -> Result<()> {
    let started = Instant::now();
    loop {
        if ready(dir).await {
            return Ok(());
        }
        if !is_running(process) || started.elapsed() > patience {
            let tail = super::process::log_tail(&log_path(dir), 8);
            bail!(
                "the emulated API server did not become ready within {}s.\n  Its log ({}) ends with:\n{tail}",
                started.elapsed().as_secs(),
                log_path(dir).display()
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `/readyz` through the written kubeconfig: proves the certificates as well as the socket.
async fn ready(dir: &Path) -> bool {
    let Ok(client) = client(dir).await else {
        return false;
    };
    let Ok(request) = http::Request::get("/readyz").body(Vec::new()) else {
        return false;
    };
    client
        .request_text(request)
        .await
        .is_ok_and(|text| text.trim() == "ok")
}

/// A kube client for the sandbox's server, from its kubeconfig.
pub async fn client(dir: &Path) -> Result<kube::Client> {
    let kubeconfig = kube::config::Kubeconfig::read_from(kubeconfig_path(dir))
        .wrap_err("reading the sandbox kubeconfig")?;
    let config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .wrap_err("loading the sandbox kubeconfig")?;
    kube::Client::try_from(config).wrap_err("building a kube client")
}

fn write_credentials(dir: &Path, port: u16) -> Result<()> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD as BASE64;
    let kube = home(dir);
    let ca = CertificateAuthority::load(&crate::layout::ca_dir(dir))?;
    let sans = ["127.0.0.1".to_string(), "localhost".to_string()];
    ca.issue("lifeboat-sandbox-apiserver", &sans, CertUse::Server)?
        .write(&kube, "apiserver")?;
    let admin = ca.issue("system:admin", &[], CertUse::Client)?;
    admin.write(&kube, "admin")?;
    let token = token::random_token(32).wrap_err("reading random bytes for the API token")?;
    write_atomically(&token_path(dir), token.as_bytes(), 0o600)?;
    let b64 = |text: &str| BASE64.encode(text);
    let kubeconfig = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "sandbox", "cluster": {
            "server": format!("https://127.0.0.1:{port}"),
            "certificate-authority-data": b64(ca.cert_pem()),
        }}],
        "users": [
            {"name": "system:admin", "user": {
                "client-certificate-data": b64(&admin.cert_pem),
                "client-key-data": b64(&admin.key_pem),
            }},
            {"name": "token", "user": {"token": token}},
        ],
        "contexts": [
            {"name": "sandbox", "context": {"cluster": "sandbox", "user": "system:admin", "namespace": "default"}},
            {"name": "sandbox-token", "context": {"cluster": "sandbox", "user": "token", "namespace": "default"}},
        ],
        "current-context": "sandbox",
    });
    let yaml = serde_yaml_ng::to_string(&kubeconfig).wrap_err("writing the kubeconfig")?;
    write_atomically(&kubeconfig_path(dir), yaml.as_bytes(), 0o600)
}
