//! Procedures as plain data: a [`Plan`] is what a planner decided to do, before anything runs.
//!
//! Nothing in this module performs I/O, and it imports no other module of lifeboat but the
//! plain types its actions carry (a bundle's identity, Kubernetes kind and pod references).
//! Planners build plans from facts; the runner executes them (`run::actions`, by domain, says
//! what each action does and how it is described); the TUI, the CLI and `lifeboat plan` only
//! read them.

mod action;
mod appdata_action;
mod procedure;
mod shell;
mod validate;

pub use action::{
    Action, Check, CommandSpec, Domain, EtcdCall, EtcdStart, EtcdState, StepValue, Target,
};
pub use appdata_action::{AppDataAction, RestartHow};
pub use procedure::Procedure;
pub use shell::shell_join;
pub use validate::PlanDefect;

use serde::{Deserialize, Serialize};

/// How much a step can hurt if it goes wrong: shown beside every step and asked about
/// before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    /// Looks, never touches.
    ReadOnly,
    /// Changes a host, but the plan says how to undo it.
    Reversible,
    /// Changes a host in a way that cannot be undone without a backup.
    Destructive,
}

impl Risk {
    pub fn label(self) -> &'static str {
        match self {
            Risk::ReadOnly => "read-only",
            Risk::Reversible => "reversible",
            Risk::Destructive => "destructive",
        }
    }
}

/// One step of a procedure: what it does, why the procedure asks for it, and how we know it
/// worked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub title: String,
    /// Why the step exists, in the procedure's words where it has them.
    pub reason: String,
    pub risk: Risk,
    pub action: Action,
    pub check: Check,
    /// What the engineer should do if this step fails: where things stand and the way back.
    pub if_failed: String,
    /// Runs even after an earlier step failed: the undo half of a pair, such as starting etcd
    /// again after stopping it, so a failure never leaves a host worse than it found it.
    #[serde(default)]
    pub always_run: bool,
    /// Cannot be skipped: later steps are only safe because this one ran (stopping etcd before
    /// its data is moved, keeping the data before it is replaced). Skipping it stops the plan.
    #[serde(default)]
    pub required: bool,
}

impl Step {
    pub fn new(
        title: impl Into<String>,
        reason: impl Into<String>,
        risk: Risk,
        action: Action,
        check: Check,
        if_failed: impl Into<String>,
    ) -> Self {
        Step {
            title: title.into(),
            reason: reason.into(),
            risk,
            action,
            check,
            if_failed: if_failed.into(),
            always_run: false,
            required: false,
        }
    }

    /// A step with nothing to do on this host, kept in the plan so the reason is seen.
    pub fn skipped(title: impl Into<String>, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Step::new(
            title,
            reason.clone(),
            Risk::ReadOnly,
            Action::Skip { reason },
            Check::Completed,
            "",
        )
    }
}

/// A whole procedure, ready to print as a runbook or to hand to the runner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The procedure the plan carries out (serialized as its command-line name).
    pub procedure: Procedure,
    pub title: String,
    /// What the plan will achieve and under which assumptions, for the runbook's preamble.
    pub summary: String,
    /// The connection flags an engineer would give `etcdctl` to reach the same cluster, so
    /// that native etcd calls can be shown as their etcdctl equivalent.
    pub etcdctl_flags: Vec<String>,
    pub steps: Vec<Step>,
}

impl Plan {
    /// A plan that ends with a checklist hands over to the engineer there: its items are what
    /// to do next once the plan is done (the members to add back after a quorum restore).
    pub fn handover(&self) -> &[String] {
        match self.steps.last().map(|step| &step.action) {
            Some(Action::Manual { checklist }) => checklist,
            _ => &[],
        }
    }

    /// The most dangerous thing the plan would do, for a one-line warning before it starts.
    pub fn highest_risk(&self) -> Risk {
        self.steps
            .iter()
            .map(|step| step.risk)
            .max()
            .unwrap_or(Risk::ReadOnly)
    }

    /// The full `etcdctl` command that does what `call` does, with this plan's connection.
    pub fn etcdctl_command(&self, call: &EtcdCall) -> Vec<String> {
        let own = call.etcdctl_equivalent();
        // A call aimed at one member names its endpoint itself.
        let own_endpoint = own.iter().any(|arg| arg.starts_with("--endpoints="));
        std::iter::once("etcdctl".to_string())
            .chain(
                self.etcdctl_flags
                    .iter()
                    .filter(|flag| !(own_endpoint && flag.starts_with("--endpoints=")))
                    .cloned(),
            )
            .chain(own)
            .collect()
    }
}
