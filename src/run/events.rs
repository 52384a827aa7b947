use serde::Serialize;

use crate::exec::OutputStream;

/// How one step ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum StepOutcome {
    Succeeded {
        summary: String,
    },
    /// The action failed or its check did not hold; `next` says what to do now.
    Failed {
        error: String,
        next: String,
    },
    Skipped {
        reason: String,
    },
    /// `--dry-run`: shown, not executed.
    NotRun,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum PlanOutcome {
    Completed,
    DryRun,
    /// The engineer stopped the plan before step `at` (0-based).
    Aborted {
        at: usize,
    },
    Failed {
        at: usize,
    },
}

impl PlanOutcome {
    pub fn succeeded(&self) -> bool {
        matches!(self, PlanOutcome::Completed | PlanOutcome::DryRun)
    }
}

/// What the runner reports while it works; renderers only ever see these.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum RunEvent {
    PlanStarted {
        procedure: crate::plan::Procedure,
        steps: usize,
        dry_run: bool,
    },
    StepStarted {
        index: usize,
    },
    Output {
        index: usize,
        stream: OutputStream,
        line: String,
    },
    /// Bytes done of a long transfer; `total` is an estimate when known.
    Progress {
        index: usize,
        done: u64,
        total: Option<u64>,
    },
    /// A new member catching up: its applied raft index against the leader's.
    CatchUp {
        index: usize,
        applied: u64,
        leader: u64,
    },
    /// One object of a project restore and what became of it.
    Object {
        index: usize,
        outcome: crate::kube::ObjectOutcome,
    },
    StepFinished {
        index: usize,
        outcome: StepOutcome,
    },
    PlanFinished {
        outcome: PlanOutcome,
    },
}
