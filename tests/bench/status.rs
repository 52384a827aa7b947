//! Status: `lifeboat status --output json` against what an engineer types for the same facts,
//! `etcdctl endpoint status --cluster -w json` and `etcdctl endpoint health --cluster`, on a
//! five-member TLS sandbox.

use std::process::Command;

use super::common::Sandbox;
use super::measure::{Run, alternate, measure, report_runs};

pub fn run() {
    let sandbox = Sandbox::up(5);
    let env = sandbox.env();
    let lifeboat = |_round| {
        measure(
            sandbox
                .lifeboat
                .command()
                .envs(env.clone())
                .args(["status", "--output", "json"]),
        )
    };
    let etcdctl = |_round| {
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
    let (ours, theirs) = alternate(super::rounds(), lifeboat, etcdctl);
    report_runs("status, 5 members, TLS", &ours, &theirs);
}
