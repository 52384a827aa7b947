//! Ctrl-C in the middle of a backup, as an engineer would press it: `lifeboat backup cluster
//! --yes` as a child process against a real etcd sandbox gets SIGINT while a step runs. The
//! step ends, the steps left are not run, and the always-run steps are: no `.partial` is left
//! and etcd runs afterwards, also after a `--stop-etcd` data-dir backup.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{Sandbox, have, path, text};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// Starts a backup and returns it with its output read so far, stopped (SIGSTOP) right after
/// the step whose title contains `step` has started, with SIGINT waiting for it.
fn interrupted_at(sandbox: &Sandbox, args: &[&str], step: &str) -> (Child, String) {
    let mut child = sandbox
        .lifeboat
        .command()
        .envs(sandbox.env())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("lifeboat starts");
    let pid = Pid::from_raw(i32::try_from(child.id()).expect("a pid"));
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        assert!(Instant::now() < deadline, "never reached {step}:\n{seen}");
        let Some(Ok(line)) = lines.next() else {
            panic!("the backup ended before {step}:\n{seen}");
        };
        seen.push_str(&line);
        seen.push('\n');
        if line.starts_with('▶') && line.contains(step) {
            break;
        }
    }
    // Frozen, so that SIGINT arrives while this step is still the current one.
    kill(pid, Signal::SIGSTOP).expect("stops");
    kill(pid, Signal::SIGINT).expect("interrupts");
    kill(pid, Signal::SIGCONT).expect("continues");
    for line in lines.map_while(Result::ok) {
        seen.push_str(&line);
        seen.push('\n');
    }
    (child, seen)
}

fn finish(mut child: Child, stdout: String) -> (Option<i32>, String) {
    use std::io::Read;
    let status = child.wait().expect("waits");
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    (status.code(), format!("{stdout}{stderr}"))
}

/// etcd answers again within `seconds` (a stopped member is started without waiting).
fn etcd_answers(sandbox: &Sandbox, seconds: u64) -> bool {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < deadline {
        if sandbox.etcdctl(&["endpoint", "health"]).status.success() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

fn assert_nothing_left(out: &Path, report: &str) {
    assert!(!out.exists(), "no bundle after an interruption:\n{report}");
    assert!(
        !lifeboat::bundle::staging_dir(out).exists(),
        "no .partial after an interruption:\n{report}"
    );
}

#[test]
fn sigint_during_a_snapshot_backup_leaves_no_partial() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let out = sandbox.dir.parent().expect("root").join("interrupted");
    let args = ["backup", "cluster", "--out", path(&out), "--yes"];
    let (child, stdout) = interrupted_at(&sandbox, &args, "Stream a v3 snapshot");
    let (code, report) = finish(child, stdout);
    assert_eq!(code, Some(2), "stopped, not failed:\n{report}");
    assert!(
        report.contains("SIGINT: stopping after the current step"),
        "{report}"
    );
    assert!(report.contains("interrupted"), "{report}");
    assert!(report.contains("Leave nothing half-written"), "{report}");
    assert_nothing_left(&out, &report);
    assert!(etcd_answers(&sandbox, 5), "{report}");
}

#[test]
fn sigint_during_a_stop_etcd_datadir_backup_starts_etcd_again() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let out = sandbox
        .dir
        .parent()
        .expect("root")
        .join("interrupted-datadir");
    let args = [
        "backup",
        "cluster",
        "--method",
        "datadir",
        "--stop-etcd",
        "--out",
        path(&out),
        "--yes",
    ];
    let (child, stdout) = interrupted_at(&sandbox, &args, "Stop etcd");
    let (code, report) = finish(child, stdout);
    assert_eq!(code, Some(2), "stopped, not failed:\n{report}");
    assert!(report.contains("interrupted"), "{report}");
    assert!(
        report.contains("Back up the etcd data directory: not run"),
        "{report}"
    );
    assert_nothing_left(&out, &report);
    assert!(
        etcd_answers(&sandbox, 30),
        "etcd must run again after an interrupted --stop-etcd backup:\n{report}\n{}",
        text(&sandbox.sandbox(&["status"]))
    );
}
