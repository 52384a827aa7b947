//! Cluster restore against real etcd and real docker: a bundle back into a single-member
//! sandbox or a containerized etcd, the old data kept as `*.orig`, damaged bundles and
//! escaping archives refused before etcd is touched, and the multi-member rule.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Container, Sandbox, free_port_pair, have, path, plain_etcdctl, text};

fn keys(output: std::process::Output) -> Vec<String> {
    assert!(output.status.success(), "{}", text(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn put(sandbox: &Sandbox, key: &str) {
    let out = sandbox.etcdctl(&["put", key, &format!("value of {key}")]);
    assert!(out.status.success(), "{}", text(&out));
}

fn all_keys_and_values(sandbox: &Sandbox) -> Vec<String> {
    keys(sandbox.etcdctl(&["get", "--prefix", ""]))
}

fn root(sandbox: &Sandbox) -> PathBuf {
    sandbox.dir.parent().expect("root").to_path_buf()
}

fn member_data(sandbox: &Sandbox, member: &str) -> PathBuf {
    sandbox.dir.join(member).join("var/lib/etcd")
}

fn kept_dirs(data: &Path) -> Vec<String> {
    let parent = data.parent().expect("parent");
    let mut names: Vec<String> = std::fs::read_dir(parent)
        .expect("lists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("etcd.orig"))
        .collect();
    names.sort();
    names
}

fn backup(sandbox: &Sandbox, out: &Path, extra: &[&str]) {
    let mut args = vec!["backup", "cluster", "--out", path(out), "--yes"];
    args.extend_from_slice(extra);
    let output = sandbox.lifeboat(&args);
    assert!(output.status.success(), "{}", text(&output));
}

#[test]
fn a_snapshot_bundle_brings_back_exactly_the_backed_up_keys_and_keeps_the_old_data() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    for key in ["/registry/a", "/registry/b", "/registry/c", "/registry/d"] {
        put(&sandbox, key);
    }
    let before = all_keys_and_values(&sandbox);
    let bundle = root(&sandbox).join("bundle");
    backup(&sandbox, &bundle, &[]);
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).expect("manifest"))
            .expect("json");
    // The four keys, and the objects the emulated API server keeps in etcd as a real one does.
    let listed = sandbox.etcdctl(&["get", "", "--prefix", "--keys-only"]);
    let live_keys = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .count();
    assert!(live_keys > 4, "{live_keys}");
    assert_eq!(manifest["snapshot"]["keys"], live_keys, "{manifest:#}");

    // Life goes on after the backup: keys deleted, keys written.
    assert!(sandbox.etcdctl(&["del", "/registry/a"]).status.success());
    put(&sandbox, "/registry/after-the-backup");
    assert_ne!(all_keys_and_values(&sandbox), before);

    let restore = sandbox.lifeboat(&["restore", "cluster", "--from", path(&bundle), "--yes"]);
    let report = text(&restore);
    assert!(restore.status.success(), "{report}");
    assert!(report.contains("etcdctl snapshot restore"), "{report}");
    assert!(report.contains("--name etcd-1"), "{report}");
    assert!(report.contains("as in the bundle"), "{report}");
    assert_eq!(all_keys_and_values(&sandbox), before);
    assert_eq!(kept_dirs(&member_data(&sandbox, "etcd-1")), ["etcd.orig"]);
    // The kept directory is the pre-restore data, whole.
    assert!(
        member_data(&sandbox, "etcd-1")
            .with_file_name("etcd.orig")
            .join("member/snap/db")
            .is_file()
    );
    let status = sandbox.lifeboat(&["status"]);
    assert!(status.status.success(), "{}", text(&status));

    // A second restore keeps the first one's result too, under the next free name.
    let again = sandbox.lifeboat(&["restore", "cluster", "--from", path(&bundle), "--yes"]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(
        kept_dirs(&member_data(&sandbox, "etcd-1")),
        ["etcd.orig", "etcd.orig.1"]
    );
    assert_eq!(all_keys_and_values(&sandbox), before);
}

#[test]
fn a_data_directory_bundle_is_copied_back_and_forms_a_new_cluster_once() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    for key in ["/registry/x", "/registry/y"] {
        put(&sandbox, key);
    }
    let before = all_keys_and_values(&sandbox);
    let bundle = root(&sandbox).join("datadir-bundle");
    // etcdctl backup needs the member stopped: it waits for etcd's database lock otherwise.
    let stop = sandbox.sandbox(&["stop", "--member", "etcd-1"]);
    assert!(stop.status.success(), "{}", text(&stop));
    let data = member_data(&sandbox, "etcd-1");
    backup(
        &sandbox,
        &bundle,
        &["--method", "datadir", "--data-dir", path(&data)],
    );
    let start = sandbox.sandbox(&["start", "--member", "etcd-1"]);
    assert!(start.status.success(), "{}", text(&start));
    put(&sandbox, "/registry/after-the-backup");

    let restore = sandbox.lifeboat(&["restore", "cluster", "--from", path(&bundle), "--yes"]);
    let report = text(&restore);
    assert!(restore.status.success(), "{report}");
    assert!(report.contains("$ cp -Rp "), "{report}");
    assert!(
        report.contains("ETCD_FORCE_NEW_CLUSTER=true set"),
        "{report}"
    );
    assert!(
        report.contains("ETCD_FORCE_NEW_CLUSTER removed"),
        "{report}"
    );
    assert_eq!(all_keys_and_values(&sandbox), before);
    let conf =
        std::fs::read_to_string(sandbox.dir.join("etcd-1/etc/etcd/etcd.conf")).expect("etcd.conf");
    assert!(!conf.contains("FORCE_NEW_CLUSTER"), "{conf}");
}

#[test]
fn a_damaged_bundle_is_refused_before_etcd_is_stopped() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    put(&sandbox, "/registry/kept");
    let bundle = root(&sandbox).join("bundle");
    backup(&sandbox, &bundle, &[]);
    put(&sandbox, "/registry/live");
    let live = all_keys_and_values(&sandbox);

    // One flipped byte in the middle of the snapshot.
    let db = bundle.join("etcd-snapshot.db");
    let mut bytes = std::fs::read(&db).expect("reads");
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&db, bytes).expect("writes");

    let restore = sandbox.lifeboat(&["restore", "cluster", "--from", path(&bundle), "--yes"]);
    let report = text(&restore);
    assert!(!restore.status.success(), "{report}");
    assert!(report.contains("refusing to restore"), "{report}");
    assert!(report.contains("etcd-snapshot.db"), "{report}");
    assert!(
        report.contains("Nothing was stopped or changed"),
        "{report}"
    );
    assert!(!report.contains("sandbox stop"), "{report}");
    assert_eq!(all_keys_and_values(&sandbox), live, "etcd still serves");
    assert!(kept_dirs(&member_data(&sandbox, "etcd-1")).is_empty());
}

#[test]
fn a_certificates_archive_with_parent_entries_is_rejected_before_etcd_is_stopped() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    put(&sandbox, "/registry/kept");
    let real = root(&sandbox).join("real");
    backup(&sandbox, &real, &[]);

    // A bundle whose manifest is intact but whose certificates archive climbs out with `../`.
    let staging = root(&sandbox).join("evil.partial");
    std::fs::create_dir_all(&staging).expect("mkdir");
    std::fs::copy(
        real.join("etcd-snapshot.db"),
        staging.join("etcd-snapshot.db"),
    )
    .expect("copies");
    let mut evil = tar::Builder::new(Vec::new());
    let payload = b"owned";
    let mut header = tar::Header::new_gnu();
    header.set_size(payload.len() as u64);
    header.set_mode(0o644);
    header.set_entry_type(tar::EntryType::Regular);
    // set_path refuses `..`, as it should; write the raw name as a hostile tool would.
    header.as_old_mut().name[..13].copy_from_slice(b"../escaped.sh");
    header.set_cksum();
    evil.append(&header, &payload[..]).expect("appends");
    std::fs::write(
        staging.join("certs-and-keys-evil.tar"),
        evil.into_inner().expect("tar"),
    )
    .expect("writes");
    let bundle = root(&sandbox).join("evil");
    let identity = lifeboat::bundle::BundleIdentity {
        kind: "cluster-backup".into(),
        ..Default::default()
    };
    lifeboat::bundle::seal(&staging, &bundle, identity, None).expect("seals");

    let master = root(&sandbox).join("master");
    std::fs::create_dir_all(&master).expect("mkdir");
    let restore = sandbox.lifeboat(&[
        "restore",
        "cluster",
        "--from",
        path(&bundle),
        "--master-dir",
        path(&master),
        "--yes",
    ]);
    let report = text(&restore);
    assert!(!restore.status.success(), "{report}");
    assert!(
        report.contains("which would land outside")
            && report.contains("refusing the whole archive"),
        "{report}"
    );
    assert!(report.contains("not run: step 3 failed"), "{report}");
    assert!(!root(&sandbox).join("escaped.sh").exists());
    assert!(kept_dirs(&member_data(&sandbox, "etcd-1")).is_empty());
    assert!(sandbox.etcdctl(&["get", "/registry/kept"]).status.success());
}

#[test]
fn a_multi_member_cluster_is_refused_and_disaster_recovery_restores_every_member() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(3);
    for key in ["/registry/one", "/registry/two", "/registry/three"] {
        put(&sandbox, key);
    }
    let before = all_keys_and_values(&sandbox);
    let bundle = root(&sandbox).join("bundle");
    backup(&sandbox, &bundle, &[]);
    put(&sandbox, "/registry/lost-in-the-disaster");

    let refused = sandbox.lifeboat(&["restore", "cluster", "--from", path(&bundle), "--yes"]);
    let report = text(&refused);
    assert!(!refused.status.success(), "{report}");
    assert!(report.contains("this cluster has 3 members"), "{report}");
    assert!(report.contains("lifeboat member replace"), "{report}");
    assert!(report.contains("--disaster-recovery"), "{report}");
    assert_eq!(all_keys_and_values(&sandbox).len(), before.len() + 2);

    let recovered = sandbox.lifeboat(&[
        "restore",
        "cluster",
        "--from",
        path(&bundle),
        "--disaster-recovery",
        "--yes",
    ]);
    let report = text(&recovered);
    assert!(recovered.status.success(), "{report}");
    assert!(report.contains("DISASTER RECOVERY"), "{report}");
    assert_eq!(
        report.matches("etcdctl snapshot restore /").count(),
        3,
        "{report}"
    );
    assert_eq!(all_keys_and_values(&sandbox), before);
    for member in ["etcd-1", "etcd-2", "etcd-3"] {
        assert_eq!(kept_dirs(&member_data(&sandbox, member)), ["etcd.orig"]);
    }
    let members = keys(sandbox.etcdctl(&["member", "list"]));
    assert_eq!(members.len(), 3, "{members:?}");
    let status = sandbox.lifeboat(&["status"]);
    assert!(status.status.success(), "{}", text(&status));
}

/// A container-based install: etcd runs in a container with its data dir mounted from the
/// host; the restore stops the container, restores through a one-off container of the same
/// image, and checks health through `docker exec`.
#[test]
fn a_containerized_etcd_is_restored_through_docker() {
    if !have("docker") || !have("etcd") || !have("etcdctl") {
        return;
    }
    let image = lifeboat_sandbox::ensure_etcd_image().expect("the etcd image builds");
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("host/var/lib/etcd");
    std::fs::create_dir_all(&data).expect("mkdir");
    let (client_port, peer_port) = free_port_pair();
    let client = format!("http://127.0.0.1:{client_port}");
    let peer = format!("http://127.0.0.1:{peer_port}");
    let env_file = root.path().join("etcd.conf");
    std::fs::write(
        &env_file,
        format!(
            "ETCD_NAME=master-0\nETCD_DATA_DIR=/var/lib/etcd\n\
             ETCD_LISTEN_CLIENT_URLS={client}\nETCD_ADVERTISE_CLIENT_URLS={client}\n\
             ETCD_LISTEN_PEER_URLS={peer}\nETCD_INITIAL_ADVERTISE_PEER_URLS={peer}\n\
             ETCD_INITIAL_CLUSTER=master-0={peer}\n"
        ),
    )
    .expect("writes");
    let name = format!("lifeboat-test-restore-{}", std::process::id());
    let run = Command::new("docker")
        .args(["run", "-d", "--name", &name, "--network", "host"])
        .args(["--env-file", path(&env_file)])
        .args(["-v", &format!("{}:/var/lib/etcd", path(&data))])
        .args([&image, "etcd"])
        .output()
        .expect("docker runs");
    assert!(run.status.success(), "{}", text(&run));
    let _container = Container(name.clone());

    let lifeboat = common::Lifeboat::new();
    let etcdctl = |args: &[&str]| {
        plain_etcdctl(&client)
            .args(args)
            .output()
            .expect("etcdctl runs")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !etcdctl(&["endpoint", "health"]).status.success() {
        assert!(
            std::time::Instant::now() < deadline,
            "etcd in the container did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    for key in ["/registry/p", "/registry/q"] {
        assert!(etcdctl(&["put", key, "v"]).status.success());
    }
    let before = keys(etcdctl(&["get", "--prefix", ""]));
    let bundle = root.path().join("bundle");
    let with_endpoint = |args: &[&str]| {
        lifeboat
            .command()
            .env("ETCDCTL_ENDPOINTS", &client)
            .args(args)
            .output()
            .expect("lifeboat runs")
    };
    let backup = with_endpoint(&["backup", "cluster", "--out", path(&bundle), "--yes"]);
    assert!(backup.status.success(), "{}", text(&backup));
    assert!(etcdctl(&["del", "/registry/p"]).status.success());
    assert!(etcdctl(&["put", "/registry/new", "v"]).status.success());

    let restore = with_endpoint(&[
        "restore",
        "cluster",
        "--from",
        path(&bundle),
        "--docker",
        &name,
        "--yes",
    ]);
    let report = text(&restore);
    assert!(restore.status.success(), "{report}");
    assert!(
        report.contains(&format!("$ docker stop {name}")),
        "{report}"
    );
    assert!(
        report.contains(&format!(
            "$ docker run --rm --security-opt label=disable -e ETCDCTL_API=3 -v {0}:{0}:ro",
            path(&bundle)
        )),
        "{report}"
    );
    assert!(
        report.contains("--entrypoint etcdctl lifeboat/etcd:"),
        "{report}"
    );
    assert!(report.contains("--name master-0"), "{report}");
    assert!(
        report.contains(&format!("$ docker start {name}")),
        "{report}"
    );
    assert!(
        report.contains(&format!("{name} etcdctl endpoint health")),
        "{report}"
    );
    assert!(report.contains("as in the bundle"), "{report}");
    assert_eq!(keys(etcdctl(&["get", "--prefix", ""])), before);
    assert!(data.with_file_name("etcd.orig").join("member").is_dir());

    // A container run with --rm, as OpenShift's etcd_container unit runs it, would vanish on
    // `docker stop` and come back from systemd on the data being moved: refused untouched.
    let managed = format!("{name}-rm");
    let run = Command::new("docker")
        .args(["run", "-d", "--rm", "--name", &managed, "--network", "host"])
        .args(["-v", &format!("{}:/var/lib/etcd", path(&data))])
        .args([&image, "sleep", "120"])
        .output()
        .expect("docker runs");
    assert!(run.status.success(), "{}", text(&run));
    let _managed = Container(managed.clone());
    let refused = with_endpoint(&[
        "restore",
        "cluster",
        "--from",
        path(&bundle),
        "--docker",
        &managed,
        "--yes",
    ]);
    let report = text(&refused);
    assert!(!refused.status.success(), "{report}");
    assert!(report.contains("systemctl stop etcd_container"), "{report}");
    let running = Command::new("docker")
        .args(["inspect", "-f", "{{.State.Running}}", &managed])
        .output()
        .expect("docker inspect");
    assert_eq!(String::from_utf8_lossy(&running.stdout).trim(), "true");
}
