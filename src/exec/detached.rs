//! Detached processes by pid: etcd started the way systemd's unit would start it, where no
//! systemd does (the `process` start mode of `member join`, and rehearsal clusters).

use std::fs::OpenOptions;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use color_eyre::eyre::{Result, WrapErr};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::facts::EtcdConf;

/// Starts etcd the way systemd's unit does: the configuration file's assignments become its
/// environment. The process gets its own session so that Ctrl-C in lifeboat's terminal does
/// not take the cluster down with it.
pub fn spawn_etcd(etcd: &Path, conf: &EtcdConf, log: &Path) -> Result<u32> {
    let mut command = Command::new(etcd);
    command.envs(conf.assignments());
    spawn_detached(command, log).wrap_err_with(|| format!("starting {}", etcd.display()))
}

/// Starts `command` in its own session with its output appended to `log`, and returns its
/// pid.
pub fn spawn_detached(mut command: Command, log: &Path) -> Result<u32> {
    let log_file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .wrap_err_with(|| format!("opening {}", log.display()))?;
    let stderr = log_file
        .try_clone()
        .wrap_err("duplicating the log handle")?;
    command.stdin(Stdio::null()).stdout(log_file).stderr(stderr);
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent; it detaches
    // the process from lifeboat's terminal and session, so closing the terminal or quitting
    // lifeboat leaves the cluster running.
    unsafe {
        command.pre_exec(|| {
            nix::unistd::setsid()
                .map(|_| ())
                .map_err(std::io::Error::from)
        });
    }
    let child = command.spawn()?;
    Ok(child.id())
}

/// Whether `pid` is a live etcd process (not a zombie, not a recycled pid of something else).
pub fn is_running(pid: u32) -> bool {
    is_running_as(pid, "etcd")
}

/// Whether `pid` is a live process whose command name is `command`.
pub fn is_running_as(pid: u32, command: &str) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state field follows the parenthesised command name.
    let state = stat
        .rsplit_once(") ")
        .and_then(|(_, rest)| rest.chars().next());
    let name = stat
        .split_once(" (")
        .and_then(|(_, rest)| rest.rsplit_once(')'))
        .map(|(c, _)| c);
    !matches!(state, Some('Z' | 'X') | None) && name == Some(command)
}

/// Sends `signal` and waits up to `grace` for the process to go away.
pub fn signal_and_wait(pid: u32, signal: Signal, grace: Duration) -> bool {
    let Ok(raw) = i32::try_from(pid) else {
        return false;
    };
    if kill(Pid::from_raw(raw), signal).is_err() {
        return !is_running(pid);
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !is_running(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    !is_running(pid)
}

/// Stops etcd gracefully, then forcibly if it does not exit in time.
pub fn stop(pid: u32) {
    if !signal_and_wait(pid, Signal::SIGTERM, Duration::from_secs(10)) {
        signal_and_wait(pid, Signal::SIGKILL, Duration::from_secs(5));
    }
}

/// The last lines of a member's log, to explain why it did not come up.
pub fn log_tail(log: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
