//! A plan printed without running it is a runbook: Markdown with the exact commands, for
//! change review and for the engineer who prefers to type them by hand.

use std::fmt::Write as _;

use crate::plan::{Action, Plan};
use crate::run::describe_action;

/// Renders `plan` as a Markdown runbook. Pure: the same plan always gives the same text.
pub fn render_runbook(plan: &Plan) -> String {
    let mut out = String::new();
    // Writing to a String cannot fail, hence the ignored results below.
    let _ = writeln!(out, "# {}\n", plan.title);
    let _ = writeln!(out, "{}\n", plan.summary);
    let _ = writeln!(
        out,
        "Procedure `{}`, {} steps, highest risk: **{}**.\n",
        plan.procedure,
        plan.steps.len(),
        plan.highest_risk().label()
    );
    for (index, step) in plan.steps.iter().enumerate() {
        let _ = writeln!(out, "## {}. {}\n", index + 1, step.title);
        if let Action::Skip { reason } = &step.action {
            let _ = writeln!(out, "Skipped on this host: {reason}.\n");
            continue;
        }
        let _ = writeln!(out, "Risk: **{}**. {}\n", step.risk.label(), step.reason);
        match &step.action {
            Action::Manual { checklist } => {
                for item in checklist {
                    let _ = writeln!(out, "- [ ] {item}");
                }
                out.push('\n');
            }
            action => {
                let _ = writeln!(out, "```sh\n{}\n```\n", describe_action(plan, action));
            }
        }
        let _ = writeln!(out, "Check: {}.\n", step.check.describe());
        if step.always_run {
            let _ = writeln!(out, "This step runs even if an earlier one failed.\n");
        }
        let _ = writeln!(out, "If it fails: {}\n", step.if_failed);
    }
    out
}
