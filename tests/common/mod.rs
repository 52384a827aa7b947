//! Shared helpers for the integration tests: the real binary with an isolated home, real
//! sandboxes that are always stopped, and tool checks that fail in CI instead of skipping.
#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// `true` when `tool` is on PATH. Outside CI a missing tool skips the test with a note; in CI
/// (`CI=true`) it fails the test, since `make test` installs every tool the tests need.
pub fn have(tool: &str) -> bool {
    if which::which(tool).is_ok() {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{tool} is not installed; `make setup` installs it");
    }
    eprintln!("SKIPPED: {tool} is not installed (run `make setup`)");
    false
}

/// The lifeboat binary with its own config, data and state directories, and no `ETCDCTL_*`
/// from the developer's shell.
pub struct Lifeboat {
    pub home: TempDir,
}

impl Lifeboat {
    pub fn new() -> Self {
        Lifeboat {
            home: tempfile::tempdir().expect("temporary home"),
        }
    }

    pub fn command(&self) -> Command {
        self.isolated(Command::new(env!("CARGO_BIN_EXE_lifeboat")))
    }

    /// The `lifeboat-sandbox` binary (the rehearsal cluster's own crate) with the same isolated
    /// home, so the files it writes land where this lifeboat looks.
    pub fn sandbox_command(&self) -> Command {
        self.isolated(Command::new(sandbox_binary()))
    }

    fn isolated(&self, mut command: Command) -> Command {
        let home = self.home.path();
        command
            .env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join("config"))
            .env("XDG_DATA_HOME", home.join("data"))
            .env("XDG_STATE_HOME", home.join("state"))
            .env_remove("LIFEBOAT_DEBUG")
            .env_remove("LIFEBOAT_PROCESS_CLUSTER");
        // lifeboat's own settings come from the isolated config directory only.
        for var in [
            "LIFEBOAT_CONFIG",
            "LIFEBOAT_READONLY",
            "LIFEBOAT_BACKUPS_DIR",
            "LIFEBOAT_REFRESH_INTERVAL",
            "LIFEBOAT_LEARNER_THRESHOLD",
            "LIFEBOAT_DOCKER_CONTAINER",
        ] {
            command.env_remove(var);
        }
        for var in [
            "ETCDCTL_API",
            "ETCDCTL_ENDPOINTS",
            "ETCDCTL_CACERT",
            "ETCDCTL_CERT",
            "ETCDCTL_KEY",
        ] {
            command.env_remove(var);
        }
        command
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("lifeboat runs")
    }

    pub fn transcript(&self) -> PathBuf {
        self.home.path().join("state/lifeboat/transcript.jsonl")
    }
}

pub fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// A real TLS etcd cluster in a temporary directory, stopped when dropped.
pub struct Sandbox {
    pub lifeboat: Lifeboat,
    pub dir: PathBuf,
    _root: TempDir,
}

impl Sandbox {
    pub fn up(members: u16) -> Self {
        Sandbox::up_with(members, &[])
    }

    /// [`Sandbox::up`] with more arguments for `lifeboat-sandbox up` (`--quota-backend-bytes`).
    pub fn up_with(members: u16, extra: &[&str]) -> Self {
        let lifeboat = Lifeboat::new();
        let root = tempfile::tempdir().expect("sandbox root");
        let dir = root.path().join("sandbox");
        let output = lifeboat
            .sandbox_command()
            .args(["up", "--members", &members.to_string(), "--dir", path(&dir)])
            .args(extra)
            .output()
            .expect("lifeboat-sandbox runs");
        assert!(
            output.status.success(),
            "sandbox up failed:\n{}",
            text(&output)
        );
        Sandbox {
            lifeboat,
            dir,
            _root: root,
        }
    }

    /// Runs lifeboat against this sandbox through the `ETCDCTL_*` variables it exports.
    pub fn lifeboat(&self, args: &[&str]) -> Output {
        self.lifeboat
            .command()
            .envs(self.env())
            .args(args)
            .output()
            .expect("lifeboat runs")
    }

    /// The variables of `lifeboat-sandbox env`, parsed back from its `export` lines.
    pub fn env(&self) -> Vec<(String, String)> {
        let output = self.sandbox(&["env"]);
        assert!(output.status.success(), "{}", text(&output));
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| line.strip_prefix("export "))
            .filter_map(|assignment| assignment.split_once('='))
            .map(|(k, v)| (k.to_string(), v.trim_matches('\'').to_string()))
            .collect()
    }

    /// The sandbox's connection as lifeboat's library takes it, from `sandbox env`.
    pub fn endpoints(&self) -> lifeboat::connection::Endpoints {
        let env = self.env();
        let var = |name: &str| {
            env.iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_else(|| panic!("sandbox env exports no {name}"))
        };
        lifeboat::connection::Endpoints {
            endpoints: vec![var("ETCDCTL_ENDPOINTS")],
            cacert: Some(var("ETCDCTL_CACERT").into()),
            cert: Some(var("ETCDCTL_CERT").into()),
            key: Some(var("ETCDCTL_KEY").into()),
        }
    }

    /// `lifeboat-sandbox ARGS --dir DIR`.
    pub fn sandbox(&self, args: &[&str]) -> Output {
        self.lifeboat
            .sandbox_command()
            .args(args)
            .args(["--dir", path(&self.dir)])
            .output()
            .expect("lifeboat-sandbox runs")
    }

    /// The file `lifeboat-sandbox` writes for lifeboat: the members as plain processes.
    pub fn process_cluster(&self) -> PathBuf {
        self.dir.join("process-cluster.json")
    }

    pub fn etcdctl(&self, args: &[&str]) -> Output {
        Command::new("etcdctl")
            .envs(self.env())
            .args(args)
            .output()
            .expect("etcdctl runs")
    }

    /// The kubeconfig `sandbox up` wrote for the emulated API server.
    pub fn kubeconfig(&self) -> PathBuf {
        self.dir.join("kubeconfig")
    }

    /// Runs kubectl against the emulated API server through `sandbox env`'s KUBECONFIG, with
    /// its caches in the test's own home.
    pub fn kubectl(&self, args: &[&str]) -> Output {
        self.kubectl_command(args).output().expect("kubectl runs")
    }

    pub fn kubectl_command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("kubectl");
        command
            .envs(self.env())
            .env("HOME", self.lifeboat.home.path())
            .args(args);
        command
    }

    /// kubectl's stdout, after asserting that it succeeded.
    pub fn kubectl_ok(&self, args: &[&str]) -> String {
        let output = self.kubectl(args);
        assert!(
            output.status.success(),
            "kubectl {args:?} failed:\n{}",
            text(&output)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.sandbox(&["down"]);
    }
}

/// `lifeboat-sandbox`, built beside the lifeboat binary: `make test` (or `cargo build
/// --workspace`) builds it; a test binary cannot ask cargo for another package's binary.
pub fn sandbox_binary() -> PathBuf {
    let lifeboat = Path::new(env!("CARGO_BIN_EXE_lifeboat"));
    let sandbox = lifeboat.with_file_name("lifeboat-sandbox");
    assert!(
        sandbox.is_file(),
        "{} is missing: build it with `cargo build -p lifeboat-sandbox` (make test does)",
        sandbox.display()
    );
    sandbox
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("temporary paths are UTF-8")
}

/// A plain (no TLS) single etcd serving `data_dir` on free ports, killed when dropped: how the
/// tests prove that what a backup holds can really be served again.
pub struct ServedEtcd {
    child: std::process::Child,
    pub endpoint: String,
}

impl ServedEtcd {
    pub fn start(data_dir: &Path, extra: &[&str]) -> Self {
        let (client_port, peer_port) = free_port_pair();
        let client = format!("http://127.0.0.1:{client_port}");
        let peer = format!("http://127.0.0.1:{peer_port}");
        let log = std::fs::File::create(data_dir.with_extension("log")).expect("log file");
        let child = Command::new("etcd")
            .args(["--name", "restored", "--data-dir", path(data_dir)])
            .args([
                "--listen-client-urls",
                &client,
                "--advertise-client-urls",
                &client,
            ])
            .args([
                "--listen-peer-urls",
                &peer,
                "--initial-advertise-peer-urls",
                &peer,
            ])
            .arg(format!("--initial-cluster=restored={peer}"))
            .args(extra)
            .stdout(log.try_clone().expect("log handle"))
            .stderr(log)
            .spawn()
            .expect("etcd starts");
        let served = ServedEtcd {
            child,
            endpoint: client,
        };
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            if served.etcdctl(&["endpoint", "health"]).status.success() {
                return served;
            }
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        panic!("etcd on {} did not come up", data_dir.display());
    }

    pub fn etcdctl(&self, args: &[&str]) -> Output {
        plain_etcdctl(&self.endpoint)
            .args(args)
            .output()
            .expect("etcdctl runs")
    }

    /// Every key and value, as `etcdctl get --prefix ""` prints them.
    pub fn all_keys(&self) -> String {
        String::from_utf8_lossy(&self.etcdctl(&["get", "--prefix", ""]).stdout).into_owned()
    }
}

impl Drop for ServedEtcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// etcdctl (v3 API) for a plain-HTTP `endpoint`, with no `ETCDCTL_*` from the caller's shell.
pub fn plain_etcdctl(endpoint: &str) -> Command {
    let mut command = Command::new("etcdctl");
    command
        .env("ETCDCTL_API", "3")
        .env_remove("ETCDCTL_ENDPOINTS")
        .env_remove("ETCDCTL_CACERT")
        .env_remove("ETCDCTL_CERT")
        .env_remove("ETCDCTL_KEY")
        .arg(format!("--endpoints={endpoint}"));
    command
}

/// A docker container removed (with `docker rm -f`) when dropped, whatever the test did.
pub struct Container(pub String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = Command::new("docker").args(["rm", "-f", &self.0]).output();
    }
}

/// Two free ports on 127.0.0.1, for an etcd's client and peer URLs.
pub fn free_port_pair() -> (u16, u16) {
    let a = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let b = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    (
        a.local_addr().expect("address").port(),
        b.local_addr().expect("address").port(),
    )
}
pub mod screens;
pub mod tmux;
