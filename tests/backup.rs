//! Cluster backup against real etcd and real docker: bundles that verify, snapshots that
//! restore every key, corruption that is caught, and faults that leave nothing behind.

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use common::{Sandbox, ServedEtcd, have, path, text};

fn put_keys(sandbox: &Sandbox, count: usize) {
    for i in 0..count {
        let out = sandbox.etcdctl(&[
            "put",
            &format!("/registry/secrets/demo/s{i:03}"),
            &format!("value-{i}"),
        ]);
        assert!(out.status.success(), "{}", text(&out));
    }
}

fn manifest(bundle: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(bundle.join("manifest.json")).expect("manifest"))
        .expect("json")
}

#[test]
fn snapshot_bundle_verifies_and_restores_every_key() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(3);
    put_keys(&sandbox, 40);
    // The emulated API server keeps its objects in etcd too, as a real one does.
    let listed = sandbox.etcdctl(&["get", "", "--prefix", "--keys-only"]);
    let live_keys = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter(|l| !l.is_empty())
        .count();
    assert!(live_keys > 40, "{live_keys}");
    let bundle = sandbox.dir.parent().expect("root").join("bundle");

    let backup = sandbox.lifeboat(&["backup", "cluster", "--out", path(&bundle), "--yes"]);
    let report = text(&backup);
    assert!(backup.status.success(), "{report}");
    assert!(
        report.contains(
            "○ 2/8 Save the master certificates and keys: /etc/origin/master does not exist"
        ),
        "{report}"
    );
    assert!(report.contains("etcd's SHA-256 matches"), "{report}");
    assert!(!bundle.with_extension("partial").exists());

    let verify = sandbox.lifeboat(&["verify", path(&bundle)]);
    assert!(verify.status.success(), "{}", text(&verify));
    assert!(
        text(&verify).contains("keys and a valid hash"),
        "revision and keys are reported: {}",
        text(&verify)
    );

    let json = manifest(&bundle);
    assert_eq!(json["kind"], "cluster-backup");
    assert_eq!(
        json["members"].as_array().map(Vec::len),
        Some(3),
        "{json:#}"
    );
    assert!(
        json["snapshot"]["revision"].as_i64() >= Some(40),
        "{json:#}"
    );
    let db = bundle.join("etcd-snapshot.db");
    assert_eq!(
        std::fs::metadata(&db).expect("db").permissions().mode() & 0o777,
        0o600
    );
    // The bundle holds keys: only its owner may even list it.
    assert_eq!(
        std::fs::metadata(&bundle)
            .expect("bundle")
            .permissions()
            .mode()
            & 0o777,
        0o700
    );

    // etcd's own tools accept the file, and a cluster restored from it serves every key.
    let status = Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .args(["snapshot", "status", path(&db), "-w", "json"])
        .output()
        .expect("runs");
    assert!(status.status.success(), "{}", text(&status));
    // lifeboat's own read-back of the bbolt pages agrees with etcdctl's.
    let etcdctl: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(
        json["snapshot"]["revision"], etcdctl["revision"],
        "{json:#}"
    );
    assert_eq!(
        json["snapshot"]["total_keys"], etcdctl["totalKey"],
        "{json:#}"
    );
    assert_eq!(
        json["snapshot"]["total_size"], etcdctl["totalSize"],
        "{json:#}"
    );
    assert_eq!(json["snapshot"]["keys"], live_keys, "{json:#}");
    let restored = bundle.parent().expect("root").join("restored.etcd");
    let restore = Command::new("etcdctl")
        .env("ETCDCTL_API", "3")
        .args([
            "snapshot",
            "restore",
            path(&db),
            "--data-dir",
            path(&restored),
            "--name",
            "restored",
        ])
        .args([
            "--initial-cluster",
            "restored=http://127.0.0.1:2380",
            "--initial-advertise-peer-urls",
            "http://127.0.0.1:2380",
        ])
        .output()
        .expect("runs");
    assert!(restore.status.success(), "{}", text(&restore));
    // The peer URL in the restored membership does not matter to a lone member.
    let served = ServedEtcd::start(&restored, &["--force-new-cluster"]);
    let keys = served.all_keys();
    for i in 0..40 {
        assert!(
            keys.contains(&format!("/registry/secrets/demo/s{i:03}\nvalue-{i}\n")),
            "key {i} missing:\n{keys}"
        );
    }
}

#[test]
fn flipped_bytes_in_the_snapshot_fail_verification() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    put_keys(&sandbox, 10);
    let bundle = sandbox.dir.parent().expect("root").join("bundle");
    let backup = sandbox.lifeboat(&["backup", "cluster", "--out", path(&bundle), "--yes"]);
    assert!(backup.status.success(), "{}", text(&backup));

    let db = bundle.join("etcd-snapshot.db");
    let mut bytes = std::fs::read(&db).expect("reads");
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 4] {
        *b ^= 0xff;
    }
    std::fs::write(&db, &bytes).expect("writes");
    let verify = sandbox.lifeboat(&["verify", path(&bundle)]);
    assert!(!verify.status.success());
    assert!(
        text(&verify).contains("does not match its SHA-256"),
        "{}",
        text(&verify)
    );

    // Even with the manifest "fixed" to the new checksum, etcd's own trailing hash catches it.
    let mut json = manifest(&bundle);
    let digest = Command::new("sha256sum")
        .arg(path(&db))
        .output()
        .expect("sha256sum");
    let digest = String::from_utf8_lossy(&digest.stdout)
        .split_whitespace()
        .next()
        .expect("digest")
        .to_string();
    json["files"][0]["sha256"] = serde_json::Value::String(digest);
    std::fs::write(
        bundle.join("manifest.json"),
        serde_json::to_vec(&json).expect("json"),
    )
    .expect("writes");
    let verify = sandbox.lifeboat(&["verify", path(&bundle)]);
    assert!(!verify.status.success());
    assert!(
        text(&verify).contains("trailing SHA-256 does not match"),
        "{}",
        text(&verify)
    );
}

#[test]
fn master_certificates_are_archived_owner_only_and_missing_ones_named() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let root = sandbox.dir.parent().expect("root").to_path_buf();
    let master = root.join("origin-master");
    std::fs::create_dir_all(&master).expect("mkdir");
    for file in ["ca.crt", "ca.key", "master.server.crt", "master.server.key"] {
        std::fs::write(master.join(file), format!("contents of {file}")).expect("writes");
    }
    let bundle = root.join("bundle");
    let backup = sandbox.lifeboat(&[
        "backup",
        "cluster",
        "--out",
        path(&bundle),
        "--master-dir",
        path(&master),
        "--yes",
    ]);
    let report = text(&backup);
    assert!(backup.status.success(), "{report}");
    assert!(
        report.contains("Found 4 of 11; MISSING: master.proxy-client.crt"),
        "{report}"
    );
    let host =
        String::from_utf8_lossy(&Command::new("hostname").output().expect("hostname").stdout)
            .trim()
            .to_string();
    let archive = bundle.join(format!("certs-and-keys-{host}.tar"));
    assert_eq!(
        std::fs::metadata(&archive)
            .expect("archive")
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let listing = Command::new("tar")
        .args(["tf", path(&archive)])
        .output()
        .expect("tar");
    assert_eq!(
        String::from_utf8_lossy(&listing.stdout).lines().count(),
        4,
        "{}",
        text(&listing)
    );
    let notes = manifest(&bundle)["notes"].to_string();
    assert!(
        notes.contains("master files missing on the host"),
        "{notes}"
    );
    assert!(
        sandbox
            .lifeboat(&["verify", path(&bundle)])
            .status
            .success()
    );
}

#[test]
fn faults_leave_nothing_that_looks_like_a_bundle() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let root = sandbox.dir.parent().expect("root").to_path_buf();

    // An existing bundle at the target is never touched.
    let existing = root.join("existing");
    std::fs::create_dir_all(&existing).expect("mkdir");
    std::fs::write(existing.join("keep.txt"), "mine").expect("writes");
    let output = sandbox.lifeboat(&["backup", "cluster", "--out", path(&existing), "--yes"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("already exists"),
        "{}",
        text(&output)
    );
    assert_eq!(
        std::fs::read_to_string(existing.join("keep.txt")).expect("kept"),
        "mine"
    );

    // A staging directory left by an earlier run is refused and kept for the engineer to look
    // at; the always-run cleanup removes only what its own run created.
    let earlier = root.join("earlier");
    std::fs::create_dir_all(root.join("earlier.partial")).expect("mkdir");
    std::fs::write(root.join("earlier.partial/evidence"), "look at me").expect("writes");
    let output = sandbox.lifeboat(&["backup", "cluster", "--out", path(&earlier), "--yes"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("left from an earlier run"),
        "{}",
        text(&output)
    );
    assert!(
        root.join("earlier.partial/evidence").exists(),
        "{}",
        text(&output)
    );

    // One being written by another run (which holds its lock) is not touched either.
    let busy = root.join("busy");
    let other_run =
        lifeboat::bundle::staging::claim(&root.join("busy.partial"), &busy).expect("claims");
    std::fs::write(root.join("busy.partial/half.db"), "streaming").expect("writes");
    let output = sandbox.lifeboat(&["backup", "cluster", "--out", path(&busy), "--yes"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("another lifeboat run"),
        "{}",
        text(&output)
    );
    assert!(
        root.join("busy.partial/half.db").exists(),
        "{}",
        text(&output)
    );
    drop(other_run);

    // An output directory that cannot be created.
    let output = sandbox.lifeboat(&[
        "backup",
        "cluster",
        "--out",
        "/proc/lifeboat-bundle",
        "--yes",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        text(&output).contains("creating /proc/lifeboat-bundle.partial"),
        "{}",
        text(&output)
    );

    // Every member down: refused before anything is written.
    let down = sandbox.sandbox(&["kill", "--member", "etcd-1"]);
    assert!(down.status.success());
    let target = root.join("never");
    let output = sandbox.lifeboat(&["backup", "cluster", "--out", path(&target), "--yes"]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("no etcd member answered"),
        "{}",
        text(&output)
    );
    assert!(!target.exists() && !root.join("never.partial").exists());
}

#[test]
fn a_member_killed_mid_stream_leaves_no_partial_snapshot() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    // About 8 MB, so the snapshot arrives in many chunks (one argument must stay under 128 KiB).
    let big = "x".repeat(100 * 1000);
    for i in 0..80 {
        let out = sandbox.etcdctl(&["put", &format!("/big/{i}"), &big]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let target = sandbox.endpoints();
    let file = sandbox.dir.parent().expect("root").join("interrupted.db");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let mut killed = false;
    let result = runtime.block_on(lifeboat::etcd::save_snapshot(
        &target,
        &target.endpoints[0],
        &file,
        None,
        &mut |_progress| {
            if !killed {
                killed = true;
                let out = sandbox.sandbox(&["kill", "--member", "etcd-1"]);
                assert!(out.status.success(), "{}", text(&out));
            }
        },
    ));
    assert!(killed, "the stream started");
    let error = result.expect_err("the stream is cut");
    assert!(
        error.to_string().contains("stopped sending the snapshot"),
        "{error}"
    );
    assert!(!file.exists(), "no partial snapshot is left behind");
}

#[test]
fn datadir_backup_runs_through_docker_exec_in_a_real_container() {
    if !have("docker") || !have("etcd") || !have("etcdctl") {
        return;
    }
    let image = lifeboat_sandbox::ensure_etcd_image().expect("image builds");
    let lifeboat_home = common::Lifeboat::new();
    let (client_port, peer_port) = common::free_port_pair();
    let client = format!("http://127.0.0.1:{client_port}");
    let peer = format!("http://127.0.0.1:{peer_port}");
    let name = format!("lifeboat-test-etcd-{}", std::process::id());
    // The container stays up while etcd inside it is stopped, as an engineer does before the
    // data-directory backup: a running etcd holds a lock on its database.
    let run = Command::new("docker")
        .args([
            "run",
            "-d",
            "--name",
            &name,
            "--network",
            "host",
            &image,
            "sleep",
            "600",
        ])
        .output()
        .expect("docker runs");
    assert!(run.status.success(), "{}", text(&run));
    let _container = common::Container(name.clone());
    let start_etcd = format!(
        "echo $$ > /tmp/etcd.pid; exec etcd --name etcd0 --data-dir /var/lib/etcd \
         --listen-client-urls {client} --advertise-client-urls {client} --listen-peer-urls {peer} \
         --initial-advertise-peer-urls {peer} --initial-cluster etcd0={peer}"
    );
    let started = Command::new("docker")
        .args(["exec", "-d", &name, "sh", "-c", &start_etcd])
        .output()
        .expect("exec");
    assert!(started.status.success(), "{}", text(&started));
    let etcdctl = |args: &[&str]| {
        Command::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={client}"))
            .args(args)
            .output()
            .expect("runs")
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !etcdctl(&["endpoint", "health"]).status.success() {
        assert!(
            std::time::Instant::now() < deadline,
            "the containerized etcd did not come up"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    for i in 0..20 {
        assert!(
            etcdctl(&["put", &format!("/registry/pods/p{i}"), "v"])
                .status
                .success()
        );
    }
    let stop = "kill $(cat /tmp/etcd.pid); while kill -0 $(cat /tmp/etcd.pid) 2>/dev/null; do sleep 0.2; done";
    let stopped = Command::new("docker")
        .args(["exec", &name, "sh", "-c", stop])
        .output()
        .expect("exec");
    assert!(stopped.status.success(), "{}", text(&stopped));

    let bundle = lifeboat_home.home.path().join("bundle");
    let output = lifeboat_home.run(&[
        "--endpoints",
        &client,
        "backup",
        "cluster",
        "--method",
        "datadir",
        "--docker",
        &name,
        "--data-dir",
        "/var/lib/etcd",
        "--out",
        path(&bundle),
        "--yes",
    ]);
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    assert!(report.contains(&format!("$ docker exec -e ETCDCTL_API=2 {name} etcdctl backup --data-dir /var/lib/etcd --backup-dir /var/lib/etcd.bak --with-v3")), "{report}");
    assert!(
        report.contains(&format!("$ docker cp {name}:/var/lib/etcd.bak ")),
        "{report}"
    );
    assert!(bundle.join("etcd-datadir/member/snap/db").is_file());
    let verify = lifeboat_home.run(&["verify", path(&bundle)]);
    assert!(verify.status.success(), "{}", text(&verify));
    let json = manifest(&bundle);
    assert!(
        json["snapshot"]["revision"].as_i64() >= Some(20),
        "the copy holds the v3 keys: {json:#}"
    );
}

/// A 256 KiB tmpfs, unmounted when dropped: a disk that fills up.
struct TinyDisk(std::path::PathBuf);

impl Drop for TinyDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).output();
    }
}

#[test]
fn a_full_disk_fails_the_backup_and_leaves_nothing_behind() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let big = "y".repeat(100 * 1000);
    for i in 0..10 {
        assert!(
            sandbox
                .etcdctl(&["put", &format!("/big/{i}"), &big])
                .status
                .success()
        );
    }
    let disk = sandbox.dir.parent().expect("root").join("tiny");
    std::fs::create_dir_all(&disk).expect("mkdir");
    let mount = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs", path(&disk)])
        .output()
        .expect("mount runs");
    if !mount.status.success() {
        // Mounting needs root, which CI has.
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "cannot mount a tmpfs: {}",
            text(&mount)
        );
        eprintln!("SKIPPED: cannot mount a tmpfs here: {}", text(&mount));
        return;
    }
    let _disk = TinyDisk(disk.clone());
    let bundle = disk.join("bundle");
    let output = sandbox.lifeboat(&["backup", "cluster", "--out", path(&bundle), "--yes"]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("No space left on device"), "{report}");
    assert!(report.contains("removed the unfinished"), "{report}");
    let left: Vec<_> = std::fs::read_dir(&disk).expect("lists").collect();
    assert!(
        left.is_empty(),
        "nothing is left on the full disk: {left:?}"
    );
}

#[test]
fn a_snapshot_never_overwrites_or_deletes_an_existing_file() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let target = sandbox.endpoints();
    let file = sandbox.dir.parent().expect("root").join("precious.db");
    std::fs::write(&file, "someone else's file").expect("writes");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let result = runtime.block_on(lifeboat::etcd::save_snapshot(
        &target,
        &target.endpoints[0],
        &file,
        None,
        &mut |_| {},
    ));
    assert!(result.is_err(), "the file exists");
    assert_eq!(
        std::fs::read_to_string(&file).expect("still there"),
        "someone else's file"
    );
}
