//! Snapshot: `lifeboat backup cluster --method snapshot` against `etcdctl snapshot save` on the
//! same member, at growing database sizes, so that flat memory shows as a flat line. A third
//! column, measured in the same rounds, is the bare etcd-client stream of the same snapshot
//! into /dev/null: what etcd can send, the limit for both tools.

use std::io::Write;

use super::common::{Lifeboat, ServedEtcd, path, plain_etcdctl};
use super::measure::{Run, measure, median_wall_secs, report, report_runs};

/// The argument that makes the bench binary the bare stream (`ratios bare-snapshot-stream
/// ENDPOINT`), so it is measured as a process of its own, like the two tools.
pub const BARE_STREAM: &str = "bare-snapshot-stream";

const MIB: u64 = 1 << 20;

/// `LIFEBOAT_BENCH_SNAPSHOT_MIB=1024,2048` measures only those sizes (a reduced run on a
/// shared machine).
fn sizes() -> Vec<u64> {
    if let Ok(sizes) = std::env::var("LIFEBOAT_BENCH_SNAPSHOT_MIB") {
        return sizes
            .split(',')
            .filter_map(|s| s.trim().parse::<u64>().ok())
            .map(|mib| mib * MIB)
            .collect();
    }
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
        // Who goes first rotates round by round, so no one always gets the warmer cache.
        let mut runs: [Vec<Run>; 3] = Default::default();
        for round in 0..super::rounds() {
            for turn in 0..3 {
                let who = (round + turn) % 3;
                runs[who].push(match who {
                    0 => lifeboat_backup(&lifeboat, &etcd.endpoint, root.path(), round),
                    1 => etcdctl_save(&etcd.endpoint, root.path(), round),
                    _ => measure(
                        std::process::Command::new(std::env::current_exe().expect("bench binary"))
                            .args([BARE_STREAM, &etcd.endpoint]),
                    ),
                });
            }
        }
        let case = format!("snapshot {} MiB", db / MIB);
        report_runs(&case, &runs[0], &runs[1]);
        report(
            &case,
            "wall / bare stream",
            median_wall_secs(&runs[0]),
            median_wall_secs(&runs[2]),
            "s",
        );
    }
}

/// The bare stream: etcd-client's snapshot call, every message written to /dev/null.
pub fn bare_stream(endpoint: &str) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let mut client = etcd_client::Client::connect([endpoint], None)
            .await
            .expect("connects");
        let mut stream = client.snapshot().await.expect("snapshot stream");
        let mut sink = std::fs::File::create("/dev/null").expect("/dev/null");
        while let Some(message) = stream.message().await.expect("snapshot message") {
            sink.write_all(message.blob()).expect("writes");
        }
    });
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
