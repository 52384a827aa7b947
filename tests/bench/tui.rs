//! TUI: time to the first frame, and the CPU an idle dashboard uses while it refreshes every
//! 2 s. The peer is what an engineer watches today: `watch -n 2 etcdctl endpoint status
//! --cluster -w table`, whose first table and idle CPU are measured the same way, in tmux.

use std::process::Command;
use std::time::{Duration, Instant};

use super::common::Sandbox;
use super::measure::{alternate, cpu_seconds, median, report};

const SOCKET: &str = "lifeboat-bench";

pub fn run() {
    let sandbox = Sandbox::up(3);
    let env = sandbox.env();
    let exports: String = env.iter().map(|(k, v)| format!("{k}='{v}' ")).collect();
    let home = sandbox.lifeboat.home.path().display().to_string();
    let ours = format!(
        "env {exports} HOME={home} XDG_STATE_HOME={home}/state XDG_CONFIG_HOME={home}/config {}",
        env!("CARGO_BIN_EXE_lifeboat")
    );
    let theirs = format!("env {exports} watch -n 2 etcdctl endpoint status --cluster -w table");

    // The first frame (lifeboat draws at once and fills in; watch draws once etcdctl is done),
    // and the first frame with the cluster's members on it.
    for (metric, ours_marker, theirs_marker) in [
        ("first frame", " lifeboat ", "Every 2.0s"),
        ("members shown", "Members (", "IS LEADER"),
    ] {
        let (mine, peer) = alternate(
            super::rounds(),
            |_| first_frame(&ours, ours_marker),
            |_| first_frame(&theirs, theirs_marker),
        );
        report("TUI", metric, median(mine), median(peer), "s");
    }

    let idle = if super::quick() { 10 } else { 60 };
    let ours_cpu = idle_cpu(&ours, "Members", idle);
    let theirs_cpu = idle_cpu(&theirs, "IS LEADER", idle);
    report(
        &format!("TUI idle {idle} s, refresh 2 s"),
        "CPU",
        ours_cpu,
        theirs_cpu,
        "s",
    );
}

pub(super) fn tmux(args: &[&str]) -> std::process::Output {
    Command::new("tmux")
        .args(["-L", SOCKET])
        .args(args)
        .output()
        .expect("tmux runs")
}

/// Starts `command` in a fresh 140x38 terminal; returns its pid.
pub(super) fn start(command: &str) -> u32 {
    let _ = tmux(&["kill-server"]);
    let out = tmux(&[
        "new-session",
        "-d",
        "-s",
        "bench",
        "-x",
        "140",
        "-y",
        "38",
        &format!("exec {command}"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pid = tmux(&["display", "-p", "-t", "bench", "#{pane_pid}"]);
    String::from_utf8_lossy(&pid.stdout)
        .trim()
        .parse()
        .expect("tmux reports the pane's pid")
}

pub(super) fn screen() -> String {
    String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "bench"]).stdout).into_owned()
}

/// Seconds from start until the screen shows `marker`: the first useful frame.
fn first_frame(command: &str, marker: &str) -> f64 {
    let started = Instant::now();
    start(command);
    while !screen().contains(marker) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no {marker:?} on screen:\n{}",
            screen()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let seconds = started.elapsed().as_secs_f64();
    let _ = tmux(&["kill-server"]);
    seconds
}

/// CPU seconds used over `seconds` once the first frame is up.
fn idle_cpu(command: &str, marker: &str, seconds: u64) -> f64 {
    let pid = start(command);
    let deadline = Instant::now() + Duration::from_secs(20);
    while !screen().contains(marker) {
        assert!(
            Instant::now() < deadline,
            "no {marker:?} on screen:\n{}",
            screen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let before = cpu_seconds(pid);
    std::thread::sleep(Duration::from_secs(seconds));
    let used = cpu_seconds(pid) - before;
    let _ = tmux(&["kill-server"]);
    used
}
