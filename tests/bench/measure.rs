//! How one run of a tool is measured: wall time and peak resident memory from `wait4`'s
//! rusage, which covers the process and the children it waited for (the largest of them for
//! memory): a tool that shells out pays for what it starts. Each run is started by a fresh
//! measuring parent ([`MEASURE_CHILD`]), so that no figure includes the benchmark's own.

use std::os::unix::process::ExitStatusExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug)]
pub struct Run {
    pub wall: Duration,
    pub peak_rss_kib: u64,
}

/// Runs `command` to completion with its output discarded; panics with the command line when
/// it fails, since a failed run measures nothing.
pub fn measure(command: &mut Command) -> Run {
    run_measured(command, true)
}

/// [`measure`] for a tool whose failure is the expected answer (a cluster with a member down).
pub fn measure_any(command: &mut Command) -> Run {
    run_measured(command, false)
}

/// The argument that makes the bench binary the measuring parent (`ratios measure-child
/// REPORT PROGRAM ARGS...`): it runs the program, and writes its wall time and peak RSS to
/// REPORT.
///
/// Why a parent of its own: Linux carries the peak RSS of the memory a process had before it
/// called exec into the new program's (`signal->maxrss`), and a spawned child had this
/// benchmark's, whose peak (loading etcd, holding the runtime) is larger than the tools it
/// measures: every small figure came out the same, the benchmark's own. A freshly started
/// parent's memory is a few MiB, well under any tool measured.
pub const MEASURE_CHILD: &str = "measure-child";

fn run_measured(command: &mut Command, must_succeed: bool) -> Run {
    let report = tempfile::NamedTempFile::new().expect("a report file");
    let mut parent = fresh_parent(command, report.path());
    parent.stdout(Stdio::null()).stderr(Stdio::piped());
    let child = parent
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let output = child.wait_with_output().expect("the measuring parent ends");
    assert!(
        output.status.success() || !must_succeed,
        "{command:?} failed ({}):\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let figures = std::fs::read_to_string(report.path()).expect("the measuring parent's report");
    let mut numbers = figures.split_whitespace().map(|n| n.parse::<u64>());
    match (numbers.next(), numbers.next()) {
        (Some(Ok(nanos)), Some(Ok(peak_rss_kib))) => Run {
            wall: Duration::from_nanos(nanos),
            peak_rss_kib,
        },
        _ => panic!("{command:?}: the measuring parent reported {figures:?}"),
    }
}

/// `command`, run by the bench binary started afresh as its measuring parent.
fn fresh_parent(command: &Command, report: &std::path::Path) -> Command {
    let mut parent = Command::new(std::env::current_exe().expect("the bench binary"));
    parent
        .arg(MEASURE_CHILD)
        .arg(report)
        .arg(command.get_program())
        .args(command.get_args());
    for (key, value) in command.get_envs() {
        match value {
            Some(value) => parent.env(key, value),
            None => parent.env_remove(key),
        };
    }
    if let Some(dir) = command.get_current_dir() {
        parent.current_dir(dir);
    }
    parent
}

/// The measuring parent: runs `program` with this process's output, reaps it with wait4 (which,
/// unlike `Child::wait`, reports rusage), writes "WALL_NANOS PEAK_KIB" to `report`, and exits
/// as the program did.
#[allow(clippy::zombie_processes)]
pub fn measure_child(report: &str, program: &str, args: &[String]) -> i32 {
    let started = Instant::now();
    let child = Command::new(program)
        .args(args)
        .spawn()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let pid = i32::try_from(child.id()).expect("pid fits");
    let mut status: i32 = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; both pointers are to live locals.
    let waited = unsafe { nix::libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 failed for {program}");
    std::fs::write(
        report,
        format!("{} {}", wall.as_nanos(), usage.ru_maxrss.max(0)),
    )
    .expect("writes the report");
    ExitStatus::from_raw(status).code().unwrap_or(1)
}

/// Runs both tools `rounds` times, alternating who goes first so neither always gets the
/// warmer cache; returns lifeboat's results and the peer's.
pub fn alternate<T, U>(
    rounds: usize,
    mut lifeboat: impl FnMut(usize) -> T,
    mut peer: impl FnMut(usize) -> U,
) -> (Vec<T>, Vec<U>) {
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        if round % 2 == 0 {
            ours.push(lifeboat(round));
            theirs.push(peer(round));
        } else {
            theirs.push(peer(round));
            ours.push(lifeboat(round));
        }
    }
    (ours, theirs)
}

pub fn median_wall_secs(runs: &[Run]) -> f64 {
    median(runs.iter().map(|r| r.wall.as_secs_f64()).collect())
}

pub fn median_peak_mib(runs: &[Run]) -> f64 {
    median(
        runs.iter()
            .map(|r| r.peak_rss_kib as f64 / 1024.0)
            .collect(),
    )
}

/// The wall-time and peak-memory lines of one case.
pub fn report_runs(case: &str, ours: &[Run], theirs: &[Run]) {
    report(
        case,
        "wall",
        median_wall_secs(ours),
        median_wall_secs(theirs),
        "s",
    );
    report(
        case,
        "peak RSS",
        median_peak_mib(ours),
        median_peak_mib(theirs),
        "MiB",
    );
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    match values.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => values[n / 2],
        n => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

/// CPU seconds (user + system) a live process and its waited-for children have used, from
/// `/proc/PID/stat`; panics when the process is gone, since its figure would be meaningless.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .unwrap_or_else(|e| panic!("process {pid} is gone: {e}"));
    // Fields after the command name, which may hold spaces, start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    // proc(5) fields 14-17 (utime, stime, cutime, cstime); field 3 is index 0 here.
    let ticks: u64 = [11, 12, 13, 14]
        .iter()
        .map(|i| {
            fields
                .get(*i)
                .and_then(|f| f.parse::<u64>().ok())
                .unwrap_or_else(|| panic!("unreadable /proc/{pid}/stat: {stat}"))
        })
        .sum();
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { nix::libc::sysconf(nix::libc::_SC_CLK_TCK) }.max(1);
    ticks as f64 / per_second as f64
}

/// One line of the report: lifeboat's figure, the peer's, and lifeboat / peer.
pub fn report(case: &str, metric: &str, lifeboat: f64, peer: f64, unit: &str) {
    let ratio = if peer > 0.0 {
        lifeboat / peer
    } else {
        f64::NAN
    };
    println!(
        "{case:<28} {metric:<18} lifeboat {lifeboat:>10.3} {unit:<4}  peer {peer:>10.3} {unit:<4}  ratio {ratio:>5.2}"
    );
}
