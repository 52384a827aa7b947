//! Status: `lifeboat status --output json` against what an engineer types for the same facts,
//! `etcdctl endpoint status --cluster -w json` and `etcdctl endpoint health --cluster`, on a
//! five-member TLS sandbox.

use std::process::Command;

use super::common::Sandbox;
use super::measure::{Run, measure, median, report};

pub fn run() {
    let sandbox = Sandbox::up(5);
    let env = sandbox.env();
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for round in 0..super::rounds() {
        let lifeboat = || {
            measure(
                sandbox
                    .lifeboat
                    .command()
                    .envs(env.clone())
                    .args(["status", "--output", "json"]),
            )
        };
        let etcdctl = || {
            let status = measure(Command::new("etcdctl").envs(env.clone()).args([
                "endpoint",
                "status",
                "--cluster",
                "-w",
                "json",
            ]));
            let health = measure(Command::new("etcdctl").envs(env.clone()).args([
                "endpoint",
                "health",
                "--cluster",
            ]));
            Run {
                wall: status.wall + health.wall,
                peak_rss_kib: status.peak_rss_kib.max(health.peak_rss_kib),
            }
        };
        if round % 2 == 0 {
            ours.push(lifeboat());
            theirs.push(etcdctl());
        } else {
            theirs.push(etcdctl());
            ours.push(lifeboat());
        }
    }
    let secs = |runs: &[Run]| median(runs.iter().map(|r| r.wall.as_secs_f64()).collect());
    let mib = |runs: &[Run]| {
        median(
            runs.iter()
                .map(|r| r.peak_rss_kib as f64 / 1024.0)
                .collect(),
        )
    };
    report(
        "status, 5 members, TLS",
        "wall",
        secs(&ours),
        secs(&theirs),
        "s",
    );
    report(
        "status, 5 members, TLS",
        "peak RSS",
        mib(&ours),
        mib(&theirs),
        "MiB",
    );
}
