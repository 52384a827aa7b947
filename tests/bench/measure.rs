//! How one run of a tool is measured: wall time and peak resident memory from `wait4`'s
//! rusage, which covers the process and the children it waited for (the largest of them for
//! memory): a tool that shells out pays for what it starts.

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
// The child is reaped with wait4 rather than `Child::wait`, which cannot report rusage.
pub fn measure(command: &mut Command) -> Run {
    run_measured(command, true)
}

/// [`measure`] for a tool whose failure is the expected answer (a cluster with a member down).
pub fn measure_any(command: &mut Command) -> Run {
    run_measured(command, false)
}

#[allow(clippy::zombie_processes)]
fn run_measured(command: &mut Command, must_succeed: bool) -> Run {
    command.stdout(Stdio::null()).stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    let pid = i32::try_from(child.id()).expect("pid fits");
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut stderr) = stderr {
            let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        }
        text
    });
    let mut status: i32 = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to fill in.
    let mut usage: nix::libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not yet waited for; both pointers are to live locals.
    let waited = unsafe { nix::libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = started.elapsed();
    assert_eq!(waited, pid, "wait4 failed for {command:?}");
    let errors = reader.join().unwrap_or_default();
    let exit = ExitStatus::from_raw(status);
    assert!(
        exit.success() || !must_succeed,
        "{command:?} failed ({exit}):\n{errors}"
    );
    Run {
        wall,
        peak_rss_kib: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    }
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
