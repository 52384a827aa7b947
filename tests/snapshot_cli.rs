//! `lifeboat snapshot ls|get|export` on a real etcd 3.4 snapshot holding objects in both
//! storage encodings (protobuf from a real API server, JSON), an encrypted secret and a kind
//! without a schema.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use common::{Lifeboat, ServedEtcd, have, path, plain_etcdctl, text};
use serde_json::Value;

fn put(etcd: &ServedEtcd, key: &str, value: &[u8]) {
    let mut child = plain_etcdctl(&etcd.endpoint)
        .args(["put", key])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("etcdctl runs");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(value).expect("value written");
    drop(stdin);
    assert!(child.wait().expect("etcdctl ends").success(), "put {key}");
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/kube-storage")
            .join(name),
    )
    .expect("fixture")
}

/// A snapshot of a cluster with the project `batch`: the real Job, a config map, a
/// service account, an encrypted secret and a custom resource.
fn snapshot(root: &Path) -> std::path::PathBuf {
    let etcd = ServedEtcd::start(&root.join("etcd"), &[]);
    let mut job = fixture("job.bin");
    job.pop();
    // The fixture's Job lives in `default`; stored again under `batch` it keeps its own
    // metadata.namespace, as a copied value would.
    put(&etcd, "/registry/namespaces/batch", br#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"batch","uid":"u1"},"spec":{"finalizers":["kubernetes"]},"status":{"phase":"Active"}}"#);
    put(&etcd, "/registry/jobs/batch/pi", &job);
    put(&etcd, "/registry/configmaps/batch/settings", br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"settings","namespace":"batch","uid":"u2","creationTimestamp":"2017-06-27T16:35:34Z"},"data":{"mode":"fast"}}"#);
    put(
        &etcd,
        "/registry/secrets/batch/db",
        b"k8s:enc:aescbc:v1:key1:\x00\x01\x02",
    );
    put(
        &etcd,
        "/registry/events/batch/e1",
        br#"{"apiVersion":"v1","kind":"Event","metadata":{"name":"e1","namespace":"batch"}}"#,
    );
    put(
        &etcd,
        "/registry/namespaces/other",
        br#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"other"}}"#,
    );
    let file = root.join("snap.db");
    let saved = plain_etcdctl(&etcd.endpoint)
        .args(["snapshot", "save", path(&file)])
        .output()
        .expect("snapshot save");
    assert!(saved.status.success(), "{}", text(&saved));
    file
}

#[test]
fn ls_get_and_export_read_a_snapshot_without_etcd() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let root = tempfile::tempdir().expect("dir");
    let file = snapshot(root.path());
    let lifeboat = Lifeboat::new();

    let listed = lifeboat.run(&["snapshot", "ls", path(&file)]);
    assert!(listed.status.success(), "{}", text(&listed));
    let out = String::from_utf8_lossy(&listed.stdout);
    assert!(out.contains("/registry"), "{out}");
    let batch = out
        .lines()
        .find(|l| l.starts_with("batch "))
        .expect("batch listed");
    for count in ["ConfigMap 1", "Job 1", "Secret 1", "Event 1"] {
        assert!(batch.contains(count), "{batch}");
    }
    assert!(out.lines().any(|l| l.starts_with("other ")), "{out}");

    let objects = lifeboat.run(&["snapshot", "ls", path(&file), "-n", "batch"]);
    let objects = String::from_utf8_lossy(&objects.stdout).into_owned();
    assert!(
        objects.contains("encrypted (aescbc, key key1)"),
        "{objects}"
    );
    assert!(
        objects
            .lines()
            .any(|l| l.starts_with("Job ") && l.contains("protobuf")),
        "{objects}"
    );

    let got = lifeboat.run(&[
        "snapshot",
        "get",
        path(&file),
        "job/pi",
        "-n",
        "batch",
        "-o",
        "json",
    ]);
    assert!(got.status.success(), "{}", text(&got));
    let job: Value = serde_json::from_slice(&got.stdout).expect("JSON");
    let mut expected: Value = serde_json::from_slice(&fixture("job.json")).expect("job.json");
    expected["metadata"]["resourceVersion"] = job["metadata"]["resourceVersion"].clone();
    assert_eq!(job, expected);
    let yaml = lifeboat.run(&[
        "snapshot",
        "get",
        path(&file),
        "/registry/configmaps/batch/settings",
    ]);
    assert!(
        String::from_utf8_lossy(&yaml.stdout).contains("mode: fast"),
        "{}",
        text(&yaml)
    );

    let exports = root.path().join("exports");
    let exported = lifeboat.run(&[
        "snapshot",
        "export",
        path(&file),
        "--namespace",
        "batch",
        "--out",
        path(&exports),
        "--yes",
        "--headless",
    ]);
    assert!(exported.status.success(), "{}", text(&exported));
    let dir = exports.join("batch");
    let verified = lifeboat.run(&["verify", path(&dir)]);
    assert!(verified.status.success(), "{}", text(&verified));
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).expect("manifest"))
            .expect("manifest JSON");
    assert_eq!(manifest["method"], "snapshot");
    assert!(
        manifest["snapshot"]["revision"]
            .as_i64()
            .is_some_and(|r| r > 0)
    );
    let notes = manifest["notes"].to_string();
    assert!(
        notes.contains("revision") && notes.contains("Secret/db: encrypted"),
        "{notes}"
    );
    assert_eq!(manifest["project"]["counts"]["ConfigMap"], 1);
    assert_eq!(manifest["project"]["counts"]["Job"], 1);
    assert!(
        manifest["project"]["excluded_kinds"]["events"].is_string(),
        "{manifest}"
    );
    let project = std::fs::read_to_string(dir.join("project.yaml")).expect("project.yaml");
    assert!(project.contains("mode: fast"), "{project}");
    assert!(
        !project.lines().any(|l| l.trim_start().starts_with("uid:")),
        "{project}"
    );
    let namespace = std::fs::read_to_string(dir.join("namespace.yaml")).expect("namespace");
    assert!(
        !namespace.contains("finalizers") && !namespace.contains("phase"),
        "{namespace}"
    );

    let missing = lifeboat.run(&[
        "snapshot",
        "export",
        path(&file),
        "-n",
        "gone",
        "--out",
        path(&exports),
        "--yes",
        "--headless",
    ]);
    assert!(!missing.status.success());
    assert!(
        text(&missing).contains("it has: batch, other"),
        "{}",
        text(&missing)
    );
}
