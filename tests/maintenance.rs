//! Space maintenance against real TLS etcd sandboxes: a cluster with a small backend quota
//! written into the NOSPACE alarm and brought back by `maintenance nospace`, and a fragmented
//! member's file shrunk by `maintenance defrag`.

mod common;

use std::collections::BTreeMap;

use common::{Sandbox, have, text};

/// A quota small enough to fill in seconds: 4 MiB.
const QUOTA: &str = "4194304";

/// Every member's database file size by endpoint, as `etcdctl endpoint status` reports it.
fn db_sizes(sandbox: &Sandbox) -> BTreeMap<String, u64> {
    let output = sandbox.etcdctl(&["endpoint", "status", "--cluster", "-w", "json"]);
    assert!(output.status.success(), "{}", text(&output));
    let statuses: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("endpoint status prints JSON");
    statuses
        .as_array()
        .expect("one entry per member")
        .iter()
        .map(|entry| {
            let endpoint = entry["Endpoint"].as_str().expect("an endpoint").to_string();
            let size = entry["Status"]["dbSize"].as_u64().expect("a DB size");
            (endpoint, size)
        })
        .collect()
}

fn alarms(sandbox: &Sandbox) -> String {
    let output = sandbox.etcdctl(&["alarm", "list"]);
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Overwrites a few keys with 100 KB values until etcd refuses with NOSPACE; returns how many
/// writes it took.
fn fill_until_nospace(sandbox: &Sandbox) -> usize {
    let value = "x".repeat(100 * 1024);
    for write in 0..400 {
        let key = format!("/registry/configmaps/fill/{}", write % 4);
        let output = sandbox.etcdctl(&["put", &key, &value]);
        if !output.status.success() {
            let said = text(&output);
            assert!(said.contains("database space exceeded"), "{said}");
            return write;
        }
    }
    panic!("400 writes of 100 KB never reached a {QUOTA}-byte quota");
}

#[test]
fn nospace_compacts_defragments_disarms_and_writes_again() {
    if !(have("etcd") && have("etcdctl")) {
        return;
    }
    let sandbox = Sandbox::up_with(3, &["--quota-backend-bytes", QUOTA]);
    let writes = fill_until_nospace(&sandbox);
    assert!(writes > 0, "the first write already failed");
    assert!(alarms(&sandbox).contains("NOSPACE"));
    let before = db_sizes(&sandbox);

    // The runbook first: the leader's defragmentation is the last, the write after the disarm.
    let runbook = sandbox.lifeboat(&["plan", "space-recovery"]);
    let printed = text(&runbook);
    assert!(runbook.status.success(), "{printed}");
    let at = |needle: &str| {
        printed
            .find(needle)
            .unwrap_or_else(|| panic!("{needle}:\n{printed}"))
    };
    assert!(
        at("alarm disarm") < at("put /lifeboat/write-test"),
        "{printed}"
    );
    assert_eq!(printed.matches(" defrag   (native").count(), 3, "{printed}");

    let recovered = sandbox.lifeboat(&["maintenance", "nospace", "--yes"]);
    let report = text(&recovered);
    assert!(recovered.status.success(), "{report}");

    assert_eq!(
        alarms(&sandbox).trim(),
        "",
        "the alarm is cleared:\n{report}"
    );
    let after = db_sizes(&sandbox);
    assert_eq!(before.len(), 3);
    for (endpoint, size) in &before {
        let now = after[endpoint];
        assert!(now < *size, "{endpoint}: {size} → {now} B\n{report}");
    }
    let write = sandbox.etcdctl(&["put", "/registry/configmaps/after/ok", "yes"]);
    assert!(write.status.success(), "{}", text(&write));
    // Each member's defragmentation reports its file's size before and after.
    let defragmented = report
        .lines()
        .filter(|l| l.trim_start().starts_with('✓') && l.contains("given back)"))
        .count();
    assert_eq!(defragmented, 3, "{report}");
}

#[test]
fn defrag_of_a_fragmented_member_shrinks_its_file() {
    if !(have("etcd") && have("etcdctl")) {
        return;
    }
    let sandbox = Sandbox::up(1);
    let value = "y".repeat(100 * 1024);
    for n in 0..60 {
        let key = format!("/registry/events/demo/{n}");
        let output = sandbox.etcdctl(&["put", &key, &value]);
        assert!(output.status.success(), "{}", text(&output));
    }
    let deleted = sandbox.etcdctl(&["del", "--prefix", "/registry/events/"]);
    assert!(deleted.status.success(), "{}", text(&deleted));
    let status = sandbox.etcdctl(&["endpoint", "status", "-w", "json"]);
    let parsed: serde_json::Value = serde_json::from_slice(&status.stdout).expect("JSON");
    let revision = parsed[0]["Status"]["header"]["revision"]
        .as_u64()
        .expect("a revision");
    let compacted = sandbox.etcdctl(&["compact", &revision.to_string(), "--physical"]);
    assert!(compacted.status.success(), "{}", text(&compacted));
    let before = db_sizes(&sandbox);

    // A few MB free is below OpenShift's rule (45% and 100 MB): nothing is chosen by it.
    let by_rule = sandbox.lifeboat(&["maintenance", "defrag", "--dry-run"]);
    assert!(!by_rule.status.success(), "{}", text(&by_rule));
    assert!(
        text(&by_rule).contains("--member NAME"),
        "{}",
        text(&by_rule)
    );

    let run = sandbox.lifeboat(&["maintenance", "defrag", "--member", "etcd-1", "--yes"]);
    assert!(run.status.success(), "{}", text(&run));
    let after = db_sizes(&sandbox);
    for (endpoint, size) in &before {
        assert!(
            after[endpoint] * 2 < *size,
            "{endpoint}: {size} → {} B\n{}",
            after[endpoint],
            text(&run)
        );
    }
}

#[test]
fn defrag_is_refused_while_a_member_is_down() {
    if !(have("etcd") && have("etcdctl")) {
        return;
    }
    let sandbox = Sandbox::up(3);
    let stopped = sandbox.sandbox(&["stop", "--member", "etcd-3"]);
    assert!(stopped.status.success(), "{}", text(&stopped));
    let refused = sandbox.lifeboat(&["maintenance", "nospace", "--yes"]);
    let said = text(&refused);
    assert!(!refused.status.success(), "{said}");
    assert!(said.contains("etcd-3") && said.contains("quorum"), "{said}");
}
