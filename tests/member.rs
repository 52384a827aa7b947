//! Member recovery against real TLS etcd sandboxes: a member's host is lost with its disk,
//! `member replace` runs on the survivors and `member join` brings up the new member, by both
//! paths of the 700 MB rule; and the refusals that protect quorum.

mod common;

use std::path::Path;

use common::{Sandbox, free_port_pair, have, path, text};

/// Keys the replaced member must serve afterwards.
const KEYS: [(&str, &str); 4] = [
    ("/registry/namespaces/default", "ns"),
    ("/registry/configmaps/demo/a", "alpha"),
    ("/registry/configmaps/demo/b", "beta"),
    ("/registry/secrets/demo/s", "secret"),
];

fn put_keys(sandbox: &Sandbox) {
    for (key, value) in KEYS {
        let output = sandbox.etcdctl(&["put", key, value]);
        assert!(output.status.success(), "{}", text(&output));
    }
}

/// Kills etcd-3 with its disk, replaces it with `etcd-new` and joins it: the drill.
fn replace_and_join(sandbox: &Sandbox, extra: &[&str]) -> (String, String, u16) {
    put_keys(sandbox);
    let killed = sandbox.sandbox(&["kill", "--member", "etcd-3", "--wipe"]);
    assert!(killed.status.success(), "{}", text(&killed));
    let (client_port, peer_port) = free_port_pair();
    let out = sandbox.dir.parent().expect("root").join("join");
    let (client, peer) = (client_port.to_string(), peer_port.to_string());
    let mut args = vec![
        "member",
        "replace",
        "--failed",
        "etcd-3",
        "--new-name",
        "etcd-new",
        "--new-host",
        "127.0.0.1",
        "--client-port",
        &client,
        "--peer-port",
        &peer,
        "--out",
        path(&out),
        "--yes",
    ];
    args.extend_from_slice(extra);
    let replaced = sandbox.lifeboat(&args);
    let replace_report = text(&replaced);
    assert!(replaced.status.success(), "{replace_report}");
    let bundle = out.join("etcd-new.tgz");
    assert_eq!(mode(&bundle), 0o600, "the bundle holds keys");
    assert!(
        !out.join("etcd-new.partial").exists(),
        "no unpacked keys are left behind"
    );
    let joined = sandbox.lifeboat.run(&[
        "member",
        "join",
        "--bundle",
        path(&bundle),
        "--sandbox",
        path(&sandbox.dir),
        "--yes",
    ]);
    let join_report = text(&joined);
    assert!(joined.status.success(), "{join_report}");
    (replace_report, join_report, client_port)
}

fn mode(file: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(file)
        .expect("exists")
        .permissions()
        .mode()
        & 0o777
}

/// Three healthy members, etcd-3 gone, and the new one serving every key over TLS with a
/// certificate of the sandbox CA.
fn assert_replaced(sandbox: &Sandbox, client_port: u16) {
    let members = text(&sandbox.etcdctl(&["member", "list", "-w", "json"]));
    let listed: serde_json::Value = serde_json::from_str(
        members
            .lines()
            .find(|l| l.starts_with('{'))
            .expect("member list json"),
    )
    .expect("parses");
    let names: Vec<&str> = listed["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(names.len(), 3, "{members}");
    assert!(!names.contains(&"etcd-3"), "{members}");
    assert!(names.contains(&"etcd-new"), "{members}");
    assert!(
        listed["members"]
            .as_array()
            .expect("members")
            .iter()
            .all(|m| m.get("isLearner").is_none_or(|l| l == false)),
        "every member votes: {members}"
    );

    // `sandbox env` now names the new member among the endpoints, and all three are healthy.
    let health = sandbox.etcdctl(&["endpoint", "health", "--cluster"]);
    let report = text(&health);
    assert!(health.status.success(), "{report}");
    assert_eq!(report.matches("is healthy").count(), 3, "{report}");

    // The new member itself serves every key (serializable: answered from its own data) over
    // TLS, verified with nothing but the sandbox CA.
    let new_endpoint = format!("https://127.0.0.1:{client_port}");
    let served = std::process::Command::new("etcdctl")
        .envs(sandbox.env())
        .env("ETCDCTL_ENDPOINTS", &new_endpoint)
        .args(["get", "--prefix", "/registry", "--consistency=s"])
        .output()
        .expect("etcdctl runs");
    let keys = text(&served);
    assert!(served.status.success(), "{keys}");
    for (key, value) in KEYS {
        assert!(
            keys.contains(&format!("{key}\n{value}\n")),
            "{key} missing:\n{keys}"
        );
    }
    let cert = sandbox.dir.join("etcd-new/etc/etcd/server.crt");
    let info =
        lifeboat::facts::certs::inspect(&cert, jiff::Timestamp::now()).expect("a certificate");
    assert!(info.subject.contains("etcd-new"), "{}", info.subject);
    assert!(
        info.issuer.contains("lifeboat sandbox etcd CA"),
        "{}",
        info.issuer
    );
    assert!(
        info.sans.iter().any(|s| s.contains("127.0.0.1")),
        "{:?}",
        info.sans
    );
    assert_eq!(
        mode(&sandbox.dir.join("etcd-new/etc/etcd/server.key")),
        0o600
    );

    // The sandbox knows its new member: `status` lists it running and etcd-3 no more.
    let status = text(&sandbox.sandbox(&["status"]));
    assert!(status.contains("etcd-new"), "{status}");
    assert!(!status.contains("etcd-3 "), "{status}");
}

#[test]
fn a_lost_member_is_replaced_by_a_plain_member_add() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(3);
    let (replace, join, client_port) = replace_and_join(&sandbox, &[]);
    assert!(
        replace.contains("below the 700 MB threshold: a plain member add"),
        "{replace}"
    );
    assert!(replace.contains("Add etcd-new as a member"), "{replace}");
    assert!(replace.contains("scp "), "{replace}");
    assert!(
        replace.contains("--dport 2379 -j ACCEPT")
            || replace.contains(&format!("--dport {client_port} -j ACCEPT")),
        "{replace}"
    );
    assert!(join.contains("it joined as a voting member"), "{join}");
    assert_replaced(&sandbox, client_port);
}

#[test]
fn above_the_threshold_the_new_member_joins_as_a_learner_and_is_promoted() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(3);
    let (replace, join, client_port) = replace_and_join(&sandbox, &["--learner-threshold", "1kB"]);
    assert!(
        replace.contains("at or above the 1 kB threshold"),
        "{replace}"
    );
    assert!(
        replace.contains("added to cluster as a learner"),
        "{replace}"
    );
    assert!(
        replace.contains("member add etcd-new --peer-urls="),
        "{replace}"
    );
    assert!(join.contains("etcd-new answers: etcd 3."), "{join}");
    assert!(join.contains("learner"), "{join}");
    assert!(join.contains("applied raft index"), "{join}");
    assert!(join.contains("is a voting member now"), "{join}");
    assert_replaced(&sandbox, client_port);
}

#[test]
fn with_two_of_three_down_removal_is_refused_with_the_quorum_explanation() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(3);
    for member in ["etcd-2", "etcd-3"] {
        assert!(
            sandbox
                .sandbox(&["kill", "--member", member])
                .status
                .success()
        );
    }
    let out = sandbox.dir.parent().expect("root").join("join");
    let refused = sandbox.lifeboat(&[
        "member",
        "replace",
        "--failed",
        "etcd-3",
        "--new-name",
        "etcd-new",
        "--new-host",
        "127.0.0.1",
        "--out",
        path(&out),
        "--yes",
    ]);
    let report = text(&refused);
    assert!(!refused.status.success(), "{report}");
    assert!(report.contains("QUORUM LOST"), "{report}");
    assert!(report.contains("disaster-recovery path"), "{report}");
    assert!(!out.exists(), "nothing was written");
    // Nothing changed: with etcd-2 back, all three members are still listed.
    assert!(
        sandbox
            .sandbox(&["start", "--member", "etcd-2"])
            .status
            .success()
    );
    let members = text(&sandbox.etcdctl(&["member", "list"]));
    assert_eq!(members.lines().count(), 3, "{members}");
}

#[test]
fn bad_input_is_refused_before_anything_runs_and_a_dry_run_changes_nothing() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(3);
    let out = sandbox.dir.parent().expect("root").join("join");
    let replace = |host: &str, failed: &str, extra: &[&str]| {
        let mut args = vec![
            "member",
            "replace",
            "--failed",
            failed,
            "--new-name",
            "etcd-new",
            "--new-host",
            host,
            "--out",
            path(&out),
        ];
        args.extend_from_slice(extra);
        sandbox.lifeboat(&args)
    };
    let bad_ip = replace("10.0.0.300", "etcd-3", &["--yes"]);
    assert!(!bad_ip.status.success());
    assert!(
        text(&bad_ip).contains("not a valid IP address"),
        "{}",
        text(&bad_ip)
    );
    let unknown = replace("127.0.0.1", "etcd-9", &["--yes"]);
    assert!(
        text(&unknown).contains("is not a member; the members are"),
        "{}",
        text(&unknown)
    );

    let dry = replace("127.0.0.1", "etcd-3", &["--dry-run"]);
    let report = text(&dry);
    assert!(dry.status.success(), "{report}");
    assert!(report.contains("member remove "), "{report}");
    assert!(report.contains("openssl req -new -keyout"), "{report}");
    assert!(
        report.contains("Dry run: nothing was executed."),
        "{report}"
    );
    assert!(!out.exists());
    let members = text(&sandbox.etcdctl(&["member", "list"]));
    assert_eq!(members.lines().count(), 3, "{members}");
}
