//! Quorum restore against a real TLS sandbox: two of three members killed with their disks,
//! the survivor forced into a new one-member cluster with every key, then two new members
//! replace the lost ones and etcdctl reports 3/3 healthy.

mod common;

use std::path::Path;

use common::{Sandbox, free_port_pair, have, path, text};

const KEYS: [(&str, &str); 3] = [
    ("/registry/namespaces/shop", "ns"),
    ("/registry/configmaps/shop/prices", "today's prices"),
    ("/registry/secrets/shop/token", "secret"),
];

fn value_of(sandbox: &Sandbox, key: &str) -> String {
    let output = sandbox.etcdctl(&["get", key, "--print-value-only"]);
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A member's data directory and etcd.conf, from the process cluster the sandbox writes.
fn member_files(sandbox: &Sandbox, name: &str) -> (String, String) {
    let cluster: serde_json::Value = serde_json::from_slice(
        &std::fs::read(sandbox.process_cluster()).expect("the process cluster file"),
    )
    .expect("the process cluster is JSON");
    let member = cluster["members"]
        .as_array()
        .and_then(|members| members.iter().find(|m| m["name"] == name))
        .unwrap_or_else(|| panic!("{name} is in the process cluster"));
    let field = |key: &str| member[key].as_str().expect("a path").to_string();
    (field("data_dir"), field("conf"))
}

/// `member replace` of a member the new cluster left out, then `member join` of its bundle.
fn add_back(sandbox: &Sandbox, lost: &str, new_name: &str, out: &Path) {
    let (client_port, peer_port) = free_port_pair();
    let (client, peer) = (client_port.to_string(), peer_port.to_string());
    let replaced = sandbox.lifeboat(&[
        "member",
        "replace",
        "--failed",
        lost,
        "--new-name",
        new_name,
        "--new-host",
        "127.0.0.1",
        "--client-port",
        &client,
        "--peer-port",
        &peer,
        "--out",
        path(out),
        "--yes",
    ]);
    let report = text(&replaced);
    assert!(replaced.status.success(), "{report}");
    assert!(
        report.contains(&format!("{lost} is not a member any more")),
        "{report}"
    );
    let bundle = out.join(format!("{new_name}.tgz"));
    let joined = sandbox.lifeboat.run(&[
        "member",
        "join",
        "--bundle",
        path(&bundle),
        "--process-cluster",
        path(&sandbox.process_cluster()),
        "--yes",
    ]);
    assert!(joined.status.success(), "{}", text(&joined));
}

#[test]
fn the_best_survivor_becomes_a_cluster_of_one_and_the_lost_members_are_replaced() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(3);
    for (key, value) in KEYS {
        let put = sandbox.etcdctl(&["put", key, value]);
        assert!(put.status.success(), "{}", text(&put));
    }
    let refused = sandbox.lifeboat(&["restore", "quorum", "--yes"]);
    assert!(!refused.status.success(), "{}", text(&refused));
    assert!(
        text(&refused).contains("quorum holds"),
        "{}",
        text(&refused)
    );

    for lost in ["etcd-2", "etcd-3"] {
        let killed = sandbox.sandbox(&["kill", "--member", lost, "--wipe"]);
        assert!(killed.status.success(), "{}", text(&killed));
    }
    let restored = sandbox.lifeboat(&["restore", "quorum", "--yes"]);
    let report = text(&restored);
    assert!(restored.status.success(), "{report}");
    assert!(report.contains("Restore quorum from etcd-1"), "{report}");

    // A cluster of one, with every key it had.
    let members = sandbox.etcdctl(&["member", "list"]);
    let listed = text(&members);
    assert_eq!(
        listed.lines().filter(|l| l.contains("started")).count(),
        1,
        "{listed}"
    );
    for (key, value) in KEYS {
        assert_eq!(value_of(&sandbox, key), value);
    }
    let (data_dir, conf) = member_files(&sandbox, "etcd-1");
    let copy = format!("{}.before-quorum-restore", data_dir.trim_end_matches('/'));
    assert!(
        Path::new(&copy).join("member/snap/db").is_file(),
        "the data directory was copied first: {copy}"
    );
    let conf = std::fs::read_to_string(conf).expect("etcd-1's etcd.conf");
    assert!(
        !conf.contains("ETCD_FORCE_NEW_CLUSTER"),
        "the force flag is removed again:\n{conf}"
    );

    let out = sandbox.dir.parent().expect("root").join("join");
    // The hand-over's own commands: the lost member comes back under its own name.
    add_back(&sandbox, "etcd-2", "etcd-2", &out);
    add_back(&sandbox, "etcd-3", "etcd-5", &out);
    let health = sandbox.etcdctl(&["endpoint", "health", "--cluster"]);
    let said = text(&health);
    assert!(health.status.success(), "{said}");
    assert_eq!(said.matches("is healthy").count(), 3, "{said}");
    for (key, value) in KEYS {
        assert_eq!(value_of(&sandbox, key), value);
    }
}

#[test]
fn the_quorum_restore_is_carried_out_by_keys_from_the_dashboard() {
    if !have("etcd") || !have("etcdctl") || !have("tmux") {
        return;
    }
    let sandbox = Sandbox::up(3);
    for (key, value) in KEYS {
        let put = sandbox.etcdctl(&["put", key, value]);
        assert!(put.status.success(), "{}", text(&put));
    }
    for lost in ["etcd-2", "etcd-3"] {
        let killed = sandbox.sandbox(&["kill", "--member", lost, "--wipe"]);
        assert!(killed.status.success(), "{}", text(&killed));
    }
    let tmux = sandbox.lifeboat_in_tmux("quorum", env!("CARGO_BIN_EXE_lifeboat"));
    // The dashboard says what to do; the palette opens the plan with the survivor found.
    tmux.wait_for(":quorum", 30);
    tmux.keys(&[":"]);
    tmux.type_text("quorum");
    tmux.keys(&["Enter"]);
    // The form offers the survivors, the one with the highest raft index first.
    let form = tmux.wait_for("Keep the data of", 10);
    assert!(form.contains("etcd-1 — raft index"), "{form}");
    assert!(form.contains("nothing it applied is lost"), "{form}");
    tmux.keys(&["Enter"]);
    let preview = tmux.wait_for("Restore quorum from etcd-1", 20);
    assert!(preview.contains("1 destructive"), "{preview}");
    tmux.keys(&["Enter"]);
    let summary = tmux.run_plan_to_summary(120);
    assert!(summary.contains("Done: 13 steps ran"), "{summary}");
    assert!(summary.contains("What to do next"), "{summary}");
    assert!(summary.contains("--failed etcd-2"), "{summary}");

    let members = sandbox.etcdctl(&["member", "list"]);
    assert_eq!(
        text(&members)
            .lines()
            .filter(|l| l.contains("started"))
            .count(),
        1
    );
    for (key, value) in KEYS {
        assert_eq!(value_of(&sandbox, key), value);
    }
}
