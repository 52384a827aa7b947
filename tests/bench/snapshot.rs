//! Snapshot: `lifeboat backup cluster --method snapshot` against `etcdctl snapshot save` on the
//! same member, at growing database sizes, so that flat memory shows as a flat line.

use super::common::{Lifeboat, ServedEtcd, path, plain_etcdctl};
use super::measure::{Run, alternate, measure, report_runs};

const MIB: u64 = 1 << 20;

fn sizes() -> Vec<u64> {
    if super::quick() {
        vec![32 * MIB, 128 * MIB]
    } else {
        vec![256 * MIB, 1024 * MIB, 2048 * MIB]
    }
}

pub fn run() {
    let root = tempfile::tempdir().expect("tempdir");
    let data = root.path().join("bench.etcd");
    // The default 2 GiB backend quota would stop the load short of the largest size.
    let etcd = ServedEtcd::start(&data, &["--quota-backend-bytes=8589934592"]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let lifeboat = Lifeboat::new();
    for size in sizes() {
        let db = runtime.block_on(load_until(&etcd.endpoint, size));
        let (ours, theirs) = alternate(
            super::rounds(),
            |round| lifeboat_backup(&lifeboat, &etcd.endpoint, root.path(), round),
            |round| etcdctl_save(&etcd.endpoint, root.path(), round),
        );
        report_runs(&format!("snapshot {} MiB", db / MIB), &ours, &theirs);
    }
}

fn lifeboat_backup(
    lifeboat: &Lifeboat,
    endpoint: &str,
    root: &std::path::Path,
    round: usize,
) -> Run {
    let out = root.join(format!("lifeboat-{round}"));
    let missing = root.join("absent");
    let run = measure(
        lifeboat
            .command()
            .args(["--endpoints", endpoint, "backup", "cluster", "--yes"])
            .args(["--out", path(&out)])
            .args([
                "--master-dir",
                path(&missing),
                "--etcd-config-dir",
                path(&missing),
            ]),
    );
    std::fs::remove_dir_all(&out).expect("removes the bundle");
    run
}

fn etcdctl_save(endpoint: &str, root: &std::path::Path, round: usize) -> Run {
    let out = root.join(format!("etcdctl-{round}.db"));
    let run = measure(plain_etcdctl(endpoint).args(["snapshot", "save", path(&out)]));
    std::fs::remove_file(&out).expect("removes the snapshot");
    run
}

/// Writes 1 MiB values, eight at a time, until the member reports `target` bytes of database.
async fn load_until(endpoint: &str, target: u64) -> u64 {
    let client = etcd_client::Client::connect([endpoint], None)
        .await
        .expect("connects");
    let value: Vec<u8> = (0..MIB).map(|i| (i * 2_654_435_761 % 251) as u8).collect();
    let mut next = 0u64;
    loop {
        let size =
            u64::try_from(client.clone().status().await.expect("status").db_size()).unwrap_or(0);
        if size >= target {
            return size;
        }
        let batch: Vec<_> = (0..8)
            .map(|i| {
                let mut kv = client.kv_client();
                let key = format!("/bench/blob/{:08}", next + i);
                let value = value.clone();
                async move { kv.put(key, value, None).await.expect("put") }
            })
            .collect();
        futures::future::join_all(batch).await;
        next += 8;
    }
}
