//! Reading Kubernetes objects straight out of real etcd snapshot files (Debian's etcd 3.4):
//! the newest revision of each key, deleted keys gone, values across overflow pages, from a
//! `.db` snapshot and from a stopped member's data directory.

mod common;

use std::io::Write;
use std::process::Stdio;

use common::{ServedEtcd, have, path, plain_etcdctl};
use lifeboat::stored::{Encoding, SnapshotObjects};
use serde_json::Value;

fn put(etcd: &ServedEtcd, key: &str, value: &[u8]) {
    let mut child = plain_etcdctl(&etcd.endpoint)
        .args(["put", key])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("etcdctl runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(value)
        .expect("value written");
    assert!(child.wait().expect("etcdctl ends").success(), "put {key}");
}

fn job() -> (Vec<u8>, Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kube-storage");
    let mut stored = std::fs::read(dir.join("job.bin")).expect("job.bin");
    stored.pop();
    let json = serde_json::from_slice(&std::fs::read(dir.join("job.json")).expect("json"))
        .expect("job.json");
    (stored, json)
}

#[test]
fn a_snapshot_and_a_stopped_data_dir_give_the_live_objects() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let root = tempfile::tempdir().expect("dir");
    let data = root.path().join("etcd");
    let etcd = ServedEtcd::start(&data, &[]);
    let (job_bin, job_json) = job();
    put(&etcd, "/registry/jobs/default/pi", &job_bin);
    put(
        &etcd,
        "/registry/namespaces/default",
        br#"{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"default"}}"#,
    );
    put(
        &etcd,
        "/registry/secrets/default/db",
        b"k8s:enc:aescbc:v1:key1:\x00\x01secret",
    );
    // Enough keys for branch pages, values long enough for overflow pages; then changes.
    let big = vec![b'x'; 20_000];
    for i in 0..300 {
        let value = format!(
            r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"c{i}","namespace":"shop"}},"data":{{"v":"{}"}}}}"#,
            String::from_utf8_lossy(if i % 50 == 0 { &big } else { b"small" })
        );
        put(
            &etcd,
            &format!("/registry/configmaps/shop/c{i}"),
            value.as_bytes(),
        );
    }
    put(&etcd, "/registry/configmaps/shop/c7", br#"{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"c7","namespace":"shop"},"data":{"v":"changed"}}"#);
    let deleted = plain_etcdctl(&etcd.endpoint)
        .args(["del", "/registry/configmaps/shop/c8"])
        .output()
        .expect("del");
    assert!(deleted.status.success());
    put(&etcd, "/unrelated/key", b"not kubernetes");
    let snapshot = root.path().join("snap.db");
    let saved = plain_etcdctl(&etcd.endpoint)
        .args(["snapshot", "save", path(&snapshot)])
        .output()
        .expect("snapshot save");
    assert!(saved.status.success(), "{}", common::text(&saved));
    let live_keys = String::from_utf8_lossy(
        &etcd
            .etcdctl(&["get", "--prefix", "/registry/", "--keys-only"])
            .stdout,
    )
    .lines()
    .filter(|l| !l.is_empty())
    .map(str::to_string)
    .collect::<Vec<_>>();
    drop(etcd);

    for source in [snapshot.clone(), data.clone()] {
        let objects = SnapshotObjects::open(&source).expect("the snapshot reads");
        assert_eq!(objects.prefixes, ["/registry"]);
        let keys: Vec<String> = objects.entries.iter().map(|e| e.key.clone()).collect();
        let mut expected = live_keys.clone();
        expected.sort();
        assert_eq!(keys, expected, "{}", source.display());
        let entry = |key: &str| {
            objects
                .entries
                .iter()
                .find(|e| e.key == key)
                .unwrap_or_else(|| panic!("{key}"))
        };
        let pi = entry("/registry/jobs/default/pi");
        let mut expected_job = job_json.clone();
        expected_job["metadata"]["resourceVersion"] = Value::String(pi.mod_revision.to_string());
        assert_eq!(objects.decode(pi).expect("job").object, Some(expected_job));
        let c7 = objects
            .decode(entry("/registry/configmaps/shop/c7"))
            .expect("c7");
        assert_eq!(c7.object.expect("c7")["data"]["v"], "changed");
        let c50 = objects
            .decode(entry("/registry/configmaps/shop/c50"))
            .expect("c50");
        assert_eq!(
            c50.object.expect("c50")["data"]["v"].as_str().map(str::len),
            Some(20_000)
        );
        let secret = objects
            .decode(entry("/registry/secrets/default/db"))
            .expect("secret");
        assert_eq!(
            secret.encoding,
            Encoding::Encrypted {
                provider: "aescbc".into(),
                key: "key1".into()
            }
        );
        assert_eq!(secret.kind, "Secret");
        let counts = objects.counts().expect("counts");
        assert_eq!(counts["shop"]["ConfigMap"], 299);
        assert_eq!(counts["default"]["Job"], 1);
    }
}

#[test]
fn a_truncated_snapshot_is_an_error_naming_the_page() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let root = tempfile::tempdir().expect("dir");
    let etcd = ServedEtcd::start(&root.path().join("etcd"), &[]);
    let value = vec![b'v'; 3000];
    for i in 0..200 {
        put(&etcd, &format!("/registry/configmaps/shop/c{i}"), &value);
    }
    let snapshot = root.path().join("snap.db");
    assert!(
        plain_etcdctl(&etcd.endpoint)
            .args(["snapshot", "save", path(&snapshot)])
            .output()
            .expect("snapshot save")
            .status
            .success()
    );
    drop(etcd);
    let bytes = std::fs::read(&snapshot).expect("snapshot");
    let cut = root.path().join("cut.db");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).expect("cut");
    let error = SnapshotObjects::open(&cut).err().expect("refused");
    assert!(error.contains("page"), "{error}");
}
