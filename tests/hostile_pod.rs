//! A compromised pod against `lifeboat appdata backup`, which runs as root: the pod's `tar`
//! is replaced by a script that prints a crafted archive (written byte by byte here, as an
//! attacker would), and each backup must be refused with a clear error, change no host path,
//! leave no bundle, and so put nothing into the pod on a restore.

mod common;
#[path = "common/crafted.rs"]
mod crafted;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::{Sandbox, have, path, text};
use crafted::{Crafted, Kind};

const HOME: &str = "/var/lib/jenkins";

/// The running Jenkins pod's name and its root directory on this host.
fn jenkins(sandbox: &Sandbox) -> (String, PathBuf) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let names = sandbox.kubectl_ok(&[
            "get",
            "pods",
            "-n",
            "ci",
            "-l",
            "deploymentconfig=jenkins",
            "--field-selector=status.phase=Running",
            "-o",
            "jsonpath={.items[*].metadata.name} {.items[*].metadata.uid}",
        ]);
        let mut words = names.split_whitespace();
        if let (Some(name), Some(uid)) = (words.next(), words.next()) {
            let root = sandbox.dir.join("kube/pods").join(uid).join("rootfs");
            assert!(root.is_dir(), "{}", root.display());
            return (name.to_string(), root);
        }
        assert!(Instant::now() < deadline, "no running jenkins pod");
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The pod's `tar` now prints `archive`, whatever it is asked.
fn plant(rootfs: &Path, archive: &[u8]) {
    plant_script(rootfs, archive, "cat /crafted.tar");
}

/// The pod's `tar` now runs `script` (with `archive` at /crafted.tar).
fn plant_script(rootfs: &Path, archive: &[u8], script: &str) {
    std::fs::write(rootfs.join("crafted.tar"), archive).expect("writes the archive");
    let tar = rootfs.join("bin/tar");
    let _ = std::fs::remove_file(&tar);
    std::fs::write(&tar, format!("#!/bin/sh\n{script}\n")).expect("writes the script");
    std::fs::set_permissions(&tar, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

fn backup(sandbox: &Sandbox, out: &Path) -> std::process::Output {
    sandbox.lifeboat(&[
        "appdata",
        "backup",
        "-n",
        "ci",
        "--workload",
        "dc/jenkins",
        "--out",
        path(out),
        "--yes",
    ])
}

/// Mode, size and content of everything under `dir`, links not followed: what must not change.
fn snapshot_of(dir: &Path) -> Vec<(PathBuf, u32, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let metadata = std::fs::symlink_metadata(&current).expect("stat");
        let content = if metadata.is_file() {
            std::fs::read(&current).expect("reads")
        } else {
            Vec::new()
        };
        found.push((current.clone(), metadata.permissions().mode(), content));
        if metadata.is_dir() {
            for entry in std::fs::read_dir(&current).expect("lists") {
                pending.push(entry.expect("entry").path());
            }
        }
    }
    found.sort();
    found
}

#[test]
fn crafted_archives_from_a_pod_are_refused_and_touch_nothing_on_the_host() {
    if !(have("etcd") && have("kubectl") && have("busybox")) {
        return;
    }
    let sandbox = Sandbox::up(1);
    let (pod, rootfs) = jenkins(&sandbox);
    let work = tempfile::tempdir().expect("tempdir");
    // What the pod aims at: a host directory and a root-only host file.
    let host_dir = work.path().join("host-dir");
    std::fs::create_dir(&host_dir).expect("mkdir");
    std::fs::set_permissions(&host_dir, std::fs::Permissions::from_mode(0o750)).expect("chmod");
    let secret = work.path().join("shadow");
    std::fs::write(&secret, "root-only secret").expect("writes");
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let outside = work.path().join("out");
    std::fs::create_dir(&outside).expect("mkdir");
    let absolute = format!("{}/planted", host_dir.display());
    let (host_dir_s, secret_s) = (path(&host_dir).to_string(), path(&secret).to_string());

    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "a link, then a directory through it",
            Crafted::new()
                .entry("./d", Kind::Symlink(&host_dir_s), 0o777)
                .entry("./d", Kind::Dir, 0o7777)
                .finish(),
            "\"d\"",
        ),
        (
            "a hard link through a planted link",
            Crafted::new()
                .entry("./s", Kind::Symlink(&secret_s), 0o777)
                .entry("./stolen", Kind::HardLink("./s"), 0o644)
                .entry("./s", Kind::File(b"decoy"), 0o644)
                .finish(),
            "stolen",
        ),
        (
            "an absolute name",
            Crafted::new()
                .entry(&absolute, Kind::File(b"planted"), 0o644)
                .finish(),
            "planted",
        ),
        (
            "a name climbing out",
            Crafted::new()
                .entry("../../../../planted", Kind::File(b"planted"), 0o644)
                .finish(),
            "../../../../planted",
        ),
        (
            "a device node",
            Crafted::new()
                .entry("./null", Kind::CharDevice, 0o666)
                .finish(),
            "null",
        ),
        (
            "a huge declared size",
            Crafted::new()
                .entry("./big", Kind::Declared(1 << 40, b"not that much"), 0o644)
                .unfinished(),
            "truncated",
        ),
        (
            "a truncated stream",
            Crafted::new()
                .entry("./config.xml", Kind::File(&[b'x'; 4096]), 0o644)
                .finish()[..1536]
                .to_vec(),
            "truncated",
        ),
    ];
    let before = snapshot_of(work.path());
    let in_pod =
        common::text(&sandbox.kubectl(&["exec", "-n", "ci", &pod, "--", "ls", "-la", HOME]));
    for (what, archive, named) in cases {
        plant(&rootfs, &archive);
        let bundle = outside.join("bundle");
        let output = backup(&sandbox, &bundle);
        let said = text(&output);
        assert!(!output.status.success(), "{what}: accepted:\n{said}");
        assert!(
            said.contains(named),
            "{what}: the error names {named}:\n{said}"
        );
        assert!(
            said.contains("nothing outside") || said.contains("cannot be read"),
            "{what}: the error says what was touched:\n{said}"
        );
        assert!(!bundle.exists(), "{what}: no bundle");
        assert!(
            !outside.join("bundle.partial").exists(),
            "{what}: no partial"
        );
        assert_eq!(
            snapshot_of(work.path()),
            before,
            "{what}: a host path changed"
        );
        // Nothing was sealed, so a restore has nothing to put into the pod.
        let restore = sandbox.lifeboat(&[
            "appdata",
            "restore",
            "-n",
            "ci",
            "--workload",
            "dc/jenkins",
            "--from",
            path(&bundle),
            "--restart",
            "none",
            "--yes",
        ]);
        assert!(!restore.status.success(), "{what}: {}", text(&restore));
    }
    let after = text(&sandbox.kubectl(&["exec", "-n", "ci", &pod, "--", "ls", "-la", HOME]));
    assert_eq!(after, in_pod, "nothing landed in the pod");
}

#[test]
fn setuid_bits_from_a_pod_are_dropped_not_kept() {
    if !(have("etcd") && have("kubectl") && have("busybox")) {
        return;
    }
    let sandbox = Sandbox::up(1);
    let (_, rootfs) = jenkins(&sandbox);
    plant(
        &rootfs,
        &Crafted::new()
            .entry("./bin", Kind::Dir, 0o1777)
            .entry("./bin/su", Kind::File(b"#!/bin/sh\n"), 0o6755)
            .finish(),
    );
    let work = tempfile::tempdir().expect("tempdir");
    let bundle = work.path().join("bundle");
    let output = backup(&sandbox, &bundle);
    assert!(output.status.success(), "{}", text(&output));
    let copied = bundle.join("volumes/jenkins-data/bin/su");
    let mode = std::fs::metadata(&copied)
        .expect("copied")
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o755, "{}", copied.display());
    let dir = std::fs::metadata(bundle.join("volumes/jenkins-data/bin")).expect("dir");
    assert_eq!(dir.permissions().mode() & 0o7777, 0o777);
}

#[test]
fn a_refused_stream_that_keeps_coming_does_not_hang_the_backup() {
    if !(have("etcd") && have("kubectl") && have("busybox")) {
        return;
    }
    let sandbox = Sandbox::up(1);
    let (_, rootfs) = jenkins(&sandbox);
    // A refused first entry, then far more than any buffer between the pod and lifeboat holds.
    plant_script(
        &rootfs,
        &Crafted::new()
            .entry("../escape", Kind::File(b"x"), 0o644)
            .unfinished(),
        "cat /crafted.tar; head -c 268435456 /dev/zero",
    );
    let work = tempfile::tempdir().expect("tempdir");
    let bundle = work.path().join("bundle");
    let mut child = sandbox
        .lifeboat
        .command()
        .envs(sandbox.env())
        .args(["appdata", "backup", "-n", "ci", "--workload", "dc/jenkins"])
        .args(["--out", path(&bundle), "--yes"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().expect("waits").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the backup still waits on a pod whose stream was refused");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = child.wait_with_output().expect("output");
    assert!(!output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("../escape"), "{}", text(&output));
    assert!(!bundle.exists() && !work.path().join("bundle.partial").exists());
}
