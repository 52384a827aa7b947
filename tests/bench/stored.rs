//! Reading Kubernetes objects out of a snapshot: `lifeboat snapshot ls` (every object
//! decoded, counted per project and kind) against `etcdctl snapshot status` (which maps the
//! file and reads every value) on the same file, at growing sizes, so that memory flat in
//! the file's size shows as a flat line.

use super::common::{Lifeboat, ServedEtcd, path, plain_etcdctl};
use super::measure::{Run, alternate, measure, report_runs};

const MIB: u64 = 1 << 20;

fn sizes() -> Vec<u64> {
    if super::quick() {
        vec![32 * MIB, 128 * MIB]
    } else {
        vec![256 * MIB, 1024 * MIB]
    }
}

pub fn run() {
    let root = tempfile::tempdir().expect("tempdir");
    let etcd = ServedEtcd::start(
        &root.path().join("stored.etcd"),
        &["--quota-backend-bytes=8589934592"],
    );
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let lifeboat = Lifeboat::new();
    for size in sizes() {
        let db = runtime.block_on(load_until(&etcd.endpoint, size));
        let file = root.path().join(format!("stored-{}.db", db / MIB));
        let saved = plain_etcdctl(&etcd.endpoint)
            .args(["snapshot", "save", path(&file)])
            .output()
            .expect("snapshot save");
        assert!(saved.status.success(), "etcdctl snapshot save failed");
        let (ours, theirs) = alternate(
            super::rounds(),
            |_| -> Run { measure(lifeboat.command().args(["snapshot", "ls", path(&file)])) },
            |_| -> Run {
                measure(plain_etcdctl("http://127.0.0.1:1").args([
                    "snapshot",
                    "status",
                    path(&file),
                ]))
            },
        );
        report_runs(&format!("read objects {} MiB", db / MIB), &ours, &theirs);
        std::fs::remove_file(&file).expect("removes the snapshot");
    }
}

/// Writes ConfigMaps of 64 KiB in 100 projects, as an API server stores them (JSON), eight at
/// a time, until the member reports `target` bytes of database.
async fn load_until(endpoint: &str, target: u64) -> u64 {
    let client = etcd_client::Client::connect([endpoint], None)
        .await
        .expect("connects");
    let filler = "x".repeat(64 * 1024);
    let mut next = 0u64;
    loop {
        let size =
            u64::try_from(client.clone().status().await.expect("status").db_size()).unwrap_or(0);
        if size >= target {
            return size;
        }
        if next % 100 == 0 {
            for p in 0..100 {
                let ns = format!(
                    r#"{{"apiVersion":"v1","kind":"Namespace","metadata":{{"name":"p{p}"}}}}"#
                );
                client
                    .kv_client()
                    .put(format!("/registry/namespaces/p{p}"), ns, None)
                    .await
                    .expect("put");
            }
        }
        let batch: Vec<_> = (0..8)
            .map(|i| {
                let mut kv = client.kv_client();
                let n = next + i;
                let (project, name) = (n % 100, format!("c{n}"));
                let key = format!("/registry/configmaps/p{project}/{name}");
                let value = format!(
                    r#"{{"apiVersion":"v1","kind":"ConfigMap","metadata":{{"name":"{name}","namespace":"p{project}"}},"data":{{"v":"{filler}"}}}}"#
                );
                async move { kv.put(key, value, None).await.expect("put") }
            })
            .collect();
        futures::future::join_all(batch).await;
        next += 8;
    }
}
