//! `make bench`: lifeboat against the tools engineers use today, in the same run, on the same
//! data, alternating the two tools round by round and reporting medians and ratios
//! (lifeboat / peer; at or below 1.0 means lifeboat is as fast or as light).
//!
//! `LIFEBOAT_BENCH_QUICK=1` runs small sizes and short idle periods, to check the harness.
//! `LIFEBOAT_BENCH_ONLY=picker,export` runs only the cases named (snapshot, status, export,
//! tui, picker), as does `cargo bench --bench ratios -- picker export`.

#[path = "../common/mod.rs"]
mod common;
mod export;
mod measure;
mod picker;
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
    let args: Vec<String> = std::env::args().collect();
    if let [_, mode, report, program, rest @ ..] = args.as_slice() {
        if mode == measure::MEASURE_CHILD {
            std::process::exit(measure::measure_child(report, program, rest));
        }
    }
    if let [_, mode, endpoint] = args.as_slice() {
        if mode == snapshot::BARE_STREAM {
            return snapshot::bare_stream(endpoint);
        }
    }
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
    let cases: [(&str, fn()); 6] = [
        ("snapshot", snapshot::run),
        ("stored", stored::run),
        ("status", status::run),
        ("export", export::run),
        ("tui", tui::run),
        ("picker", picker::run),
    ];
    let chosen = chosen_cases();
    for (name, run) in cases {
        if chosen.is_empty() || chosen.iter().any(|c| c == name) {
            run();
        }
    }
}

/// The cases asked for by name, in `LIFEBOAT_BENCH_ONLY` (comma-separated) or as arguments;
/// none named runs them all. Flags cargo passes (`--bench`) are not names.
fn chosen_cases() -> Vec<String> {
    let from_env = std::env::var("LIFEBOAT_BENCH_ONLY").unwrap_or_default();
    from_env
        .split(',')
        .map(str::trim)
        .map(String::from)
        .chain(std::env::args().skip(1).filter(|a| !a.starts_with('-')))
        .filter(|c| !c.is_empty())
        .collect()
}
