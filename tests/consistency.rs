//! Members that disagree: a value's bytes changed in place in one stopped member's bbolt file
//! (same length, so etcd starts normally and serves them), then named by `lifeboat status`
//! and on the dashboard, where its action is "replace".

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::tmux::Tmux;
use common::{Sandbox, have, text};

const KEY: &str = "/registry/configmaps/shop/prices";
const GOOD: &[u8] = b"price-list-AAAAAAAAAAAAAAAAAAAAAAAA";
const FLIPPED: &[u8] = b"price-list-BBBBBBBBBBBBBBBBBBBBBBBB";

/// The bbolt file of one member of the sandbox, from the process cluster it writes.
fn member_db(sandbox: &Sandbox, member: &str) -> PathBuf {
    let cluster: serde_json::Value = serde_json::from_slice(
        &std::fs::read(sandbox.process_cluster()).expect("the process cluster file"),
    )
    .expect("the process cluster is JSON");
    let data_dir = cluster["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["name"] == member)
        .and_then(|m| m["data_dir"].as_str())
        .unwrap_or_else(|| panic!("{member} is in the process cluster"));
    PathBuf::from(data_dir).join("member/snap/db")
}

/// Replaces every occurrence of `from` with `to` (same length) in the file; returns how many.
fn flip_in_place(file: &PathBuf, from: &[u8], to: &[u8]) -> usize {
    let mut bytes = std::fs::read(file).expect("the member's database");
    let mut flipped = 0;
    let mut at = 0;
    while let Some(offset) = bytes[at..].windows(from.len()).position(|w| w == from) {
        let start = at + offset;
        bytes[start..start + to.len()].copy_from_slice(to);
        flipped += 1;
        at = start + to.len();
    }
    std::fs::write(file, bytes).expect("writing the member's database back");
    flipped
}

fn status(sandbox: &Sandbox) -> (i32, String) {
    let output = sandbox.lifeboat(&["status"]);
    (output.status.code().unwrap_or(-1), text(&output))
}

/// Waits until every member answers again after a restart.
fn wait_all_healthy(sandbox: &Sandbox) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let health = sandbox.etcdctl(&["endpoint", "health", "--cluster"]);
        if health.status.success() {
            return;
        }
        assert!(Instant::now() < deadline, "{}", text(&health));
        std::thread::sleep(Duration::from_millis(300));
    }
}

#[test]
fn a_member_whose_data_differs_is_named_by_status_and_the_dashboard() {
    if !have("etcd") || !have("etcdctl") || !have("tmux") {
        return;
    }
    let sandbox = Sandbox::up(3);
    let put = sandbox.etcdctl(&["put", KEY, &String::from_utf8_lossy(GOOD)]);
    assert!(put.status.success(), "{}", text(&put));

    let (code, printed) = status(&sandbox);
    assert_eq!(code, 0, "{printed}");
    assert!(
        printed.contains("3 members hold the same data"),
        "{printed}"
    );

    // Stopped cleanly, so its database holds the write; then one value flipped on its disk.
    let stop = sandbox.sandbox(&["stop", "--member", "etcd-2"]);
    assert!(stop.status.success(), "{}", text(&stop));
    let flipped = flip_in_place(&member_db(&sandbox, "etcd-2"), GOOD, FLIPPED);
    assert!(flipped > 0, "the value is not in etcd-2's database file");
    let start = sandbox.sandbox(&["start", "--member", "etcd-2"]);
    assert!(start.status.success(), "{}", text(&start));
    wait_all_healthy(&sandbox);

    let (code, printed) = status(&sandbox);
    assert_eq!(code, 1, "a disagreement is a degraded cluster:\n{printed}");
    assert!(
        printed.contains("etcd-2 holds different data from the other members"),
        "{printed}"
    );
    let row = printed
        .lines()
        .find(|line| line.contains(" etcd-2 ") && line.contains("https://"))
        .unwrap_or_else(|| panic!("no etcd-2 row:\n{printed}"));
    assert!(row.contains("DIFFERS"), "{row}");
    for agreeing in ["etcd-1", "etcd-3"] {
        let row = printed
            .lines()
            .find(|line| line.contains(&format!(" {agreeing} ")) && line.contains("https://"))
            .unwrap_or_else(|| panic!("no {agreeing} row:\n{printed}"));
        assert!(!row.contains("DIFFERS"), "{row}");
    }

    // The dashboard: the line naming it, the row, and "replace" among its actions.
    let tmux = Tmux::start(
        "consistency",
        &sandbox.env(),
        env!("CARGO_BIN_EXE_lifeboat"),
        (160, 48),
    );
    let screen = tmux.wait_for("etcd-2 holds different data", 30);
    assert!(screen.contains("DIFFERS"), "{screen}");
    // The table lists members by name: etcd-2 is the second row.
    tmux.keys(&["Tab", "Down", "Enter"]);
    let detail = tmux.wait_for("replace this member", 10);
    assert!(detail.contains("etcd-2"), "{detail}");
}
