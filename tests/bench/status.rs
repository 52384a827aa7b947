//! Status at the size the procedure recommends: `lifeboat status --output json` against what
//! an engineer types for the same facts, `etcdctl endpoint status --cluster -w json` and
//! `etcdctl endpoint health --cluster`, on a seven-member TLS sandbox: healthy, then with one
//! member hung (SIGSTOP: it accepts connections and never answers, the hardest case for a
//! timeout). With the member hung, the dashboard's answer to a key is timed too: its refresh
//! waits on the hung member in the background, never in front of the keys.

use std::process::Command;
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::common::Sandbox;
use super::measure::{Run, alternate, measure_any, median, report_runs};
use super::tui::{screen, start, tmux};

const MEMBERS: u16 = 7;

/// A member stopped with SIGSTOP, continued when dropped (a stopped process would not stop
/// for the sandbox's SIGTERM).
struct Hung(Pid);

impl Drop for Hung {
    fn drop(&mut self) {
        let _ = kill(self.0, Signal::SIGCONT);
    }
}

pub fn run() {
    let sandbox = Sandbox::up(MEMBERS);
    let env = sandbox.env();
    let lifeboat = |_round| {
        measure_any(
            sandbox
                .lifeboat
                .command()
                .envs(env.clone())
                .args(["status", "--output", "json"]),
        )
    };
    let etcdctl = |_round| {
        let status = measure_any(Command::new("etcdctl").envs(env.clone()).args([
            "endpoint",
            "status",
            "--cluster",
            "-w",
            "json",
        ]));
        let health = measure_any(Command::new("etcdctl").envs(env.clone()).args([
            "endpoint",
            "health",
            "--cluster",
        ]));
        Run {
            wall: status.wall + health.wall,
            peak_rss_kib: status.peak_rss_kib.max(health.peak_rss_kib),
        }
    };
    let (ours, theirs) = alternate(super::rounds(), lifeboat, etcdctl);
    report_runs(&format!("status, {MEMBERS} members, TLS"), &ours, &theirs);

    let state = lifeboat_sandbox::SandboxState::load_if_present(&sandbox.dir)
        .expect("the sandbox state")
        .expect("a sandbox");
    let pid = state
        .members
        .last()
        .and_then(|m| m.pid)
        .expect("the last member runs");
    let hung = Hung(Pid::from_raw(i32::try_from(pid).expect("pid fits")));
    kill(hung.0, Signal::SIGSTOP).expect("stops the member");
    let (ours, theirs) = alternate(super::rounds(), lifeboat, etcdctl);
    report_runs(&format!("status, {MEMBERS}, one hung"), &ours, &theirs);
    dashboard_keys(&sandbox);
    drop(hung);
}

/// Opens the dashboard with the member hung and times `?` (help) until it shows, ten times
/// over several refreshes; prints the median and the slowest.
fn dashboard_keys(sandbox: &Sandbox) {
    let exports: String = sandbox
        .env()
        .iter()
        .map(|(k, v)| format!("{k}='{v}' "))
        .collect();
    let home = sandbox.lifeboat.home.path().display().to_string();
    start(&format!(
        "env {exports} HOME={home} XDG_STATE_HOME={home}/state XDG_CONFIG_HOME={home}/config \
         LIFEBOAT_REFRESH_INTERVAL=2s {}",
        env!("CARGO_BIN_EXE_lifeboat")
    ));
    wait_for(|s| s.contains("Members ("), "the dashboard");
    let mut answers = Vec::new();
    for _ in 0..10 {
        let pressed = Instant::now();
        let _ = tmux(&["send-keys", "-t", "bench", "?"]);
        wait_for(|s| s.contains("Help — Esc to close"), "the help");
        answers.push(pressed.elapsed().as_secs_f64());
        let _ = tmux(&["send-keys", "-t", "bench", "Escape"]);
        wait_for(|s| !s.contains("Help — Esc to close"), "the help closed");
        std::thread::sleep(Duration::from_millis(700));
    }
    let _ = tmux(&["kill-server"]);
    let slowest = answers.iter().copied().fold(0.0, f64::max);
    println!(
        "{:<28} {:<18} lifeboat {:>10.3} s     (median of 10; slowest {slowest:.3} s, tmux round trip included)",
        format!("dashboard, {MEMBERS}, one hung"),
        "key answered",
        median(answers),
    );
}

fn wait_for(shown: impl Fn(&str) -> bool, what: &str) {
    let started = Instant::now();
    loop {
        let screen = screen();
        if shown(&screen) {
            return;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no {what} on screen:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}
