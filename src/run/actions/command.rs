//! Commands: processes run through an executor (locally or `docker exec`), etcd started detached, and what only a person can do.

use std::time::Duration;

use super::StepContext;
use crate::exec::{Invocation, OutputLine, run_streaming};
use crate::plan::{Action, CommandSpec, EtcdStart, Plan, shell_join};
use crate::run::check::ActionResult;
use crate::run::events::RunEvent;
use crate::run::native_files;

/// The command an engineer would type for `action`, or `None` when it is not of this domain.
pub fn describe(_plan: &Plan, action: &Action) -> Option<String> {
    Some(match action {
        Action::Run(spec) => crate::exec::Invocation::of(spec).display(),
        Action::StartEtcd(EtcdStart::Process { conf, log }) => format!(
            "sh -c 'set -a; . {}; exec etcd' >> {} 2>&1 &   (native; detached, like systemd's EnvironmentFile)",
            conf.display(),
            shell_join([log.display().to_string()])
        ),
        Action::Manual { checklist } => format!("manual: {}", checklist.join("; ")),
        Action::Skip { reason } => format!("skipped: {reason}"),
        _ => return None,
    })
}

/// Runs `action` when it is a command, a detached etcd, a manual or a skipped step.
pub async fn execute(
    ctx: &StepContext<'_>,
    action: &Action,
) -> Option<Result<ActionResult, String>> {
    Some(match action {
        Action::Run(spec) => run(ctx, spec).await,
        Action::StartEtcd(how) => native_files::start_etcd(how).await,
        Action::Manual { .. } => Ok(ActionResult::Confirmed {
            by_flag: ctx.assume_yes,
        }),
        Action::Skip { reason } => Ok(ActionResult::Done {
            summary: reason.clone(),
        }),
        _ => return None,
    })
}

/// The command, with what earlier steps produced filled in, streamed line by line as events.
async fn run(ctx: &StepContext<'_>, spec: &CommandSpec) -> Result<ActionResult, String> {
    let spec = ctx.outputs.fill(spec)?;
    let events = ctx.events.clone();
    let index = ctx.index;
    let mut forward = move |line: OutputLine| {
        let _ = events.send(RunEvent::Output {
            index,
            stream: line.stream,
            line: line.line,
        });
    };
    let invocation = Invocation::of(&spec);
    let running = run_streaming(&invocation, &mut forward);
    let finished = match spec.timeout_secs {
        // Dropping the future kills the process (kill_on_drop).
        Some(seconds) => tokio::time::timeout(Duration::from_secs(seconds), running)
            .await
            .map_err(|_| format!("no result after {seconds}s: the command was stopped"))?,
        None => running.await,
    };
    finished
        .map(ActionResult::Command)
        .map_err(|e| e.to_string())
}
