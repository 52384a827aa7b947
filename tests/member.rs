//! Member recovery against real TLS etcd sandboxes: a member's host is lost with its disk,
//! `member replace` runs on the survivors and `member join` brings up the new member, by both
//! paths of the 700 MB rule; and the refusals that protect quorum.

mod common;

use std::path::Path;

use common::{Sandbox, free_port_pair, have, path, text};

#[path = "member/docker_hosts.rs"]
mod docker_hosts;
use docker_hosts::*;

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

/// Kills etcd-3 with its disk, replaces it with `etcd-new` and joins it: the issue's drill.
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
        "--process-cluster",
        path(&sandbox.process_cluster()),
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

    let dashed = sandbox.lifeboat(&[
        "member",
        "replace",
        "--failed",
        "etcd-3",
        "--new-name=-x",
        "--new-host",
        "127.0.0.1",
        "--out",
        path(&out),
        "--yes",
    ]);
    assert!(!dashed.status.success());
    assert!(
        text(&dashed).contains("starts with '-'"),
        "{}",
        text(&dashed)
    );

    // The join bundle is packed before the cluster is touched: when packing fails (here its
    // temporary file is taken), the failed member is still listed and nothing was changed.
    std::fs::create_dir_all(out.join("etcd-new.tgz.partial")).expect("mkdir");
    let blocked = replace("127.0.0.1", "etcd-3", &["--yes"]);
    let report = text(&blocked);
    assert!(!blocked.status.success(), "{report}");
    assert!(
        report.contains("Nothing was changed on the cluster"),
        "{report}"
    );
    let members = text(&sandbox.etcdctl(&["member", "list"]));
    assert!(
        members.lines().count() == 3 && members.contains("etcd-3"),
        "{members}"
    );
    std::fs::remove_dir_all(&out).expect("removes");

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

/// A docker network removed when dropped (after the containers on it, declared later).
struct Network(String);

impl Drop for Network {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker")
            .args(["network", "rm", &self.0])
            .output();
    }
}

/// A user-defined network on a free /24, so every container gets the address we give it.
fn network(name: &str) -> (Network, String) {
    for third in (std::process::id() % 200 + 20)..250 {
        let prefix = format!("10.213.{third}");
        let created = docker(&[
            "network",
            "create",
            "--subnet",
            &format!("{prefix}.0/24"),
            name,
        ]);
        if created.status.success() {
            return (Network(name.to_string()), prefix);
        }
    }
    panic!("no free subnet for the drill's network");
}

#[test]
fn a_lost_host_is_replaced_across_hosts_on_a_docker_network() {
    if !have("docker") || !have("etcd") || !have("etcdctl") {
        return;
    }
    let image = lifeboat_sandbox::ensure_etcd_image().expect("the etcd image builds");
    let tag = format!("lifeboat-drill-{}", std::process::id());
    let (_network, prefix) = network(&tag);
    let work = tempfile::tempdir().expect("tempdir");
    let ca = lifeboat::pki::CertificateAuthority::generate("drill etcd CA").expect("CA");
    let hosts = [("etcd-a", 11), ("etcd-b", 12), ("etcd-c", 13)];
    let ip = |last: u8| format!("{prefix}.{last}");
    let initial_cluster = hosts
        .iter()
        .map(|(name, last)| format!("{name}=https://{}:2380", ip(*last)))
        .collect::<Vec<_>>()
        .join(",");
    let mut containers = Vec::new();
    for (name, last) in hosts {
        let container = format!("{tag}-{name}");
        let etc = work.path().join(name);
        etc_etcd(&etc, &ca, name, &ip(last), &initial_cluster);
        // etcd is the container's main process, started as systemd's unit would: etcd.conf
        // is its environment. Removing the container is losing the host.
        docker_ok(&[
            "create",
            "--name",
            &container,
            "--hostname",
            name,
            "--network",
            &tag,
            "--ip",
            &ip(last),
            &image,
            "sh",
            "-c",
            "set -a; . /etc/etcd/etcd.conf; exec etcd",
        ]);
        containers.push(common::Container(container.clone()));
        docker_ok(&[
            "cp",
            &format!("{}/.", path(&etc)),
            &format!("{container}:/etc/etcd"),
        ]);
        docker_ok(&["start", &container]);
    }

    // The engineer's view from outside: a client certificate of the same CA.
    let client = work.path().join("client");
    ca.issue("drill-client", &[], lifeboat::pki::CertUse::Client)
        .expect("client cert")
        .write(work.path(), "client")
        .expect("writes");
    std::fs::write(work.path().join("ca.crt"), ca.cert_pem()).expect("writes");
    let etcdctl = |endpoints: &[String], args: &[&str]| {
        std::process::Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .env("ETCDCTL_ENDPOINTS", endpoints.join(","))
            .env("ETCDCTL_CACERT", work.path().join("ca.crt"))
            .env("ETCDCTL_CERT", client.with_extension("crt"))
            .env("ETCDCTL_KEY", client.with_extension("key"))
            .args(args)
            .output()
            .expect("etcdctl runs")
    };
    let first = vec![format!("https://{}:2379", ip(11))];
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !etcdctl(&first, &["endpoint", "health", "--cluster"])
        .status
        .success()
    {
        assert!(
            std::time::Instant::now() < deadline,
            "the container cluster did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
    for (key, value) in KEYS {
        assert!(etcdctl(&first, &["put", key, value]).status.success());
    }

    // etcd-c's host is lost.
    let lost = format!("{tag}-etcd-c");
    docker_ok(&["rm", "-f", &lost]);

    // On the surviving host etcd-a, as root with its own /etc/etcd: lifeboat finds the
    // cluster, the CA and the template etcd.conf there, like on a real etcd host.
    let survivor = format!("{tag}-etcd-a");
    install_lifeboat(&survivor);
    let new_ip = ip(14);
    let replace = docker(&[
        "exec",
        "-e",
        "HOME=/tmp",
        &survivor,
        "lifeboat",
        "member",
        "replace",
        "--failed",
        "etcd-c",
        "--new-name",
        "etcd-d",
        "--new-host",
        &new_ip,
        "--out",
        "/tmp/join",
        "--learner-threshold",
        "0",
        "--yes",
    ]);
    let report = text(&replace);
    assert!(replace.status.success(), "{report}");
    assert!(report.contains("added to cluster as a learner"), "{report}");
    assert!(
        report.contains(&format!("scp /tmp/join/etcd-d.tgz {new_ip}:/etc/etcd/")),
        "{report}"
    );

    // The bundle travels to the new host as the procedure's scp would.
    let bundle = work.path().join("etcd-d.tgz");
    docker_ok(&[
        "cp",
        &format!("{survivor}:/tmp/join/etcd-d.tgz"),
        path(&bundle),
    ]);
    let new_host = format!("{tag}-etcd-d");
    docker_ok(&[
        "run",
        "-d",
        "--name",
        &new_host,
        "--hostname",
        "etcd-d",
        "--network",
        &tag,
        "--ip",
        &new_ip,
        &image,
        "sleep",
        "100000",
    ]);
    containers.push(common::Container(new_host.clone()));
    install_lifeboat(&new_host);
    docker_ok(&[
        "cp",
        path(&bundle),
        &format!("{new_host}:/etc/etcd/etcd-d.tgz"),
    ]);
    let join = docker(&[
        "exec",
        "-e",
        "HOME=/tmp",
        &new_host,
        "lifeboat",
        "member",
        "join",
        "--bundle",
        "/etc/etcd/etcd-d.tgz",
        "--start",
        "process",
        "--yes",
    ]);
    let report = text(&join);
    assert!(join.status.success(), "{report}");
    assert!(
        report.contains("iptables is not installed on this host"),
        "{report}"
    );
    assert!(report.contains("is a voting member now"), "{report}");

    // Three healthy members, etcd-c gone, and every key served by the new one over TLS.
    let all: Vec<String> = [11, 12, 14]
        .iter()
        .map(|last| format!("https://{}:2379", ip(*last)))
        .collect();
    let health = etcdctl(&all, &["endpoint", "health"]);
    let report = text(&health);
    assert!(health.status.success(), "{report}");
    assert_eq!(report.matches("is healthy").count(), 3, "{report}");
    let members = text(&etcdctl(&first, &["member", "list"]));
    assert!(!members.contains("etcd-c"), "{members}");
    assert!(
        members.contains(&format!("etcd-d, https://{new_ip}:2380")),
        "{members}"
    );
    assert!(!members.contains("true"), "no learner is left: {members}");
    let served = etcdctl(
        &[format!("https://{new_ip}:2379")],
        &["get", "--prefix", "/registry", "--consistency=s"],
    );
    let keys = text(&served);
    for (key, value) in KEYS {
        assert!(
            keys.contains(&format!("{key}\n{value}\n")),
            "{key} missing:\n{keys}"
        );
    }
}

#[path = "member/wizard_screens.rs"]
mod wizard_screens;

#[test]
fn promote_refuses_a_member_that_already_votes() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let refused = sandbox.lifeboat(&["member", "promote", "etcd-1", "--yes"]);
    let report = text(&refused);
    assert!(!refused.status.success(), "{report}");
    assert!(
        report.contains("etcd-1 is a voting member already"),
        "{report}"
    );
    let unknown = sandbox.lifeboat(&["member", "promote", "etcd-9", "--yes"]);
    assert!(
        text(&unknown).contains("\"etcd-9\" is not a member"),
        "{}",
        text(&unknown)
    );
}
