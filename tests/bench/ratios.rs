//! `make bench`: lifeboat against the tools engineers use today, in the same run, on the same
//! data, alternating the two tools round by round and reporting medians and ratios
//! (lifeboat / peer; at or below 1.0 means lifeboat is as fast or as light).
//!
//! `LIFEBOAT_BENCH_QUICK=1` runs small sizes and short idle periods, to check the harness.

#[path = "../common/mod.rs"]
mod common;
mod export;
mod measure;
mod snapshot;
mod status;
mod stored;
mod tui;

fn quick() -> bool {
    std::env::var("LIFEBOAT_BENCH_QUICK").is_ok_and(|v| v == "1")
}

fn rounds() -> usize {
    if quick() { 3 } else { 5 }
}

fn main() {
    for tool in ["etcd", "etcdctl", "tmux", "kubectl"] {
        assert!(common::have(tool), "{tool} is needed: run `make setup`");
    }
    let machine = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, name)| name.trim().to_string())
        })
        .unwrap_or_default();
    println!(
        "lifeboat benchmarks, {} rounds each, medians; {} cores, {machine}",
        rounds(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    snapshot::run();
    stored::run();
    status::run();
    export::run();
    tui::run();
}
