use std::collections::VecDeque;
use std::process::Stdio;

use thiserror::Error;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::Invocation;

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputStream {
    Stdout,
    Stderr,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputLine {
    pub stream: OutputStream,
    pub line: String,
}

/// How a finished process ended, with the last lines it printed for error messages and the
/// transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandOutcome {
    /// `None` when the process was killed by a signal.
    pub exit_code: Option<i32>,
    pub tail: Vec<String>,
}

impl CommandOutcome {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }
}

#[derive(Debug, Error)]
pub enum SpawnError {
    #[error("the command is empty")]
    Empty,
    #[error(
        "`{program}` was not found on this host's PATH; install it or run lifeboat where it exists"
    )]
    NotFound { program: String },
    #[error("could not start `{program}`: {source}")]
    Io {
        program: String,
        #[source]
        source: std::io::Error,
    },
}

const TAIL_LINES: usize = 20;

/// Starts `invocation`, hands every output line to `on_line` as it arrives, and waits for the
/// exit. Standard input is closed: a command that would prompt fails instead of hanging.
pub async fn run_streaming(
    invocation: &Invocation,
    on_line: &mut (dyn FnMut(OutputLine) + Send),
) -> Result<CommandOutcome, SpawnError> {
    if invocation.program.is_empty() {
        return Err(SpawnError::Empty);
    }
    let mut child = Command::new(&invocation.program)
        .args(&invocation.args)
        .envs(invocation.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => SpawnError::NotFound {
                program: invocation.program.clone(),
            },
            _ => SpawnError::Io {
                program: invocation.program.clone(),
                source,
            },
        })?;

    let io_error = |source| SpawnError::Io {
        program: invocation.program.clone(),
        source,
    };
    let mut stdout = child.stdout.take().map(|s| BufReader::new(s).lines());
    let mut stderr = child.stderr.take().map(|s| BufReader::new(s).lines());
    let mut tail = VecDeque::with_capacity(TAIL_LINES);
    let mut emit = |stream, line: String| {
        if tail.len() == TAIL_LINES {
            tail.pop_front();
        }
        tail.push_back(line.clone());
        on_line(OutputLine { stream, line });
    };
    while stdout.is_some() || stderr.is_some() {
        tokio::select! {
            line = next_line(&mut stdout) => match line.map_err(io_error)? {
                Some(line) => emit(OutputStream::Stdout, line),
                None => stdout = None,
            },
            line = next_line(&mut stderr) => match line.map_err(io_error)? {
                Some(line) => emit(OutputStream::Stderr, line),
                None => stderr = None,
            },
        }
    }
    let status = child.wait().await.map_err(io_error)?;
    Ok(CommandOutcome {
        exit_code: status.code(),
        tail: tail.into(),
    })
}

/// The next line of an optional reader; a closed reader never resolves, so `select!` keeps
/// waiting on the other one.
async fn next_line<R>(
    reader: &mut Option<tokio::io::Lines<BufReader<R>>>,
) -> std::io::Result<Option<String>>
where
    R: tokio::io::AsyncRead + Unpin,
{
    match reader {
        Some(lines) => lines.next_line().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exec::Invocation;
    use crate::plan::CommandSpec;

    #[tokio::test]
    async fn streams_both_outputs_and_reports_the_exit_code() {
        let spec = CommandSpec::local(["sh", "-c", "echo out; echo err >&2; exit 3"]);
        let mut lines = Vec::new();
        let outcome = run_streaming(&Invocation::of(&spec), &mut |line| lines.push(line))
            .await
            .expect("sh runs");
        assert_eq!(outcome.exit_code, Some(3));
        assert!(!outcome.succeeded());
        assert!(lines.contains(&OutputLine {
            stream: OutputStream::Stdout,
            line: "out".into()
        }));
        assert!(lines.contains(&OutputLine {
            stream: OutputStream::Stderr,
            line: "err".into()
        }));
    }

    #[tokio::test]
    async fn a_missing_program_says_so() {
        let spec = CommandSpec::local(["lifeboat-no-such-program"]);
        let error = run_streaming(&Invocation::of(&spec), &mut |_| {})
            .await
            .expect_err("must fail");
        assert!(matches!(error, SpawnError::NotFound { .. }), "{error}");
    }
}
