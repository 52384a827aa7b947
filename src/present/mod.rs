//! What the CLI and the TUI both print: sizes, progress, and the command a step runs. Both
//! import it; it imports neither, so the two front ends never reach into each other.

use std::time::Duration;

use crate::plan::{Action, Plan};

mod runbook;
pub use crate::units::{human_bytes, human_bytes_u64};
pub use runbook::render_runbook;

/// "applied raft index 1180 of the leader's 1200 (98%)".
pub fn describe_catch_up(applied: u64, leader: u64) -> String {
    let percent = (applied.min(leader) * 100)
        .checked_div(leader)
        .unwrap_or(100);
    format!("applied raft index {applied} of the leader's {leader} ({percent}%)")
}

/// "12.0 MiB of ~20.0 MiB, 35.2 MiB/s, 1s left": the total is the member's reported DB size,
/// so it is an estimate until the transfer ends.
pub fn describe_progress(done: u64, total: Option<u64>, elapsed: Duration) -> String {
    let rate = done as f64 / elapsed.as_secs_f64().max(0.001);
    let mut text = match total {
        Some(total) if total > done => {
            format!("{} of ~{}", human_bytes_u64(done), human_bytes_u64(total))
        }
        _ => human_bytes_u64(done),
    };
    text.push_str(&format!(", {}/s", human_bytes_u64(rate as u64)));
    if let Some(total) = total.filter(|t| *t > done) {
        let left = (total - done) as f64 / rate.max(1.0);
        text.push_str(&format!(", {left:.0}s left"));
    }
    text
}

/// Steps whose progress counts kinds or objects rather than bytes.
pub fn counts_items(plan: &Plan, index: usize) -> bool {
    plan.steps.get(index).is_some_and(|step| {
        matches!(
            step.action,
            Action::ExportProject { .. }
                | Action::ExportFromSnapshot { .. }
                | Action::RestoreObjects { .. }
        )
    })
}

/// The command shown before a step runs: the real one, or what lifeboat does natively.
pub fn command_line(plan: &Plan, action: &Action) -> String {
    crate::run::describe_action(plan, action)
}
