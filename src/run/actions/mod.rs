//! What each action does, by domain: etcd calls, files and archives, commands, Kubernetes and
//! application data. A domain's module holds how its actions are described (the command an
//! engineer would type, shown before a step runs, in the runbook and in the transcript);
//! `plan` stays plain data that imports none of the clients a description needs (executors
//! for `docker exec`, the CA for its openssl equivalent).

mod appdata;
mod command;
mod etcd;
pub(crate) mod etcd_checks;
mod etcd_space;
mod files;
mod kube;

use tokio::sync::mpsc::UnboundedSender;

use super::check::ActionResult;
use super::events::RunEvent;
use super::outputs::StepOutputs;
use crate::connection::Endpoints;
use crate::plan::{Action, Domain, Plan};

/// What the runner lends the step it executes: where etcd is, where events go, whether `--yes`
/// answered for the engineer, and the typed outputs of the steps before.
pub struct StepContext<'a> {
    pub index: usize,
    pub etcd: Option<&'a Endpoints>,
    pub events: &'a UnboundedSender<RunEvent>,
    pub assume_yes: bool,
    pub outputs: &'a StepOutputs,
}

/// Executes `action` in its domain.
pub async fn execute(ctx: &StepContext<'_>, action: &Action) -> Result<ActionResult, String> {
    let result = match action.domain() {
        Domain::Etcd => etcd::execute(ctx, action).await,
        Domain::Files => files::execute(ctx, action).await,
        Domain::Command => command::execute(ctx, action).await,
        Domain::Kube => kube::execute(ctx, action).await,
        Domain::AppData => appdata::execute(ctx, action).await,
    };
    result.unwrap_or_else(|| Err(format!("no domain executes {action:?}")))
}

/// The exact command a step runs, or what lifeboat does natively in the same words an engineer
/// would type: shown before the step runs and written to the transcript.
pub fn describe_action(plan: &Plan, action: &Action) -> String {
    let described = match action.domain() {
        Domain::Etcd => etcd::describe(plan, action),
        Domain::Files => files::describe(plan, action),
        Domain::Command => command::describe(plan, action),
        Domain::Kube => kube::describe(plan, action),
        Domain::AppData => appdata::describe(plan, action),
    };
    // Each domain describes exactly the variants `Action::domain` gives it; should a new
    // variant be routed to a domain that does not know it, it is shown as data, not hidden.
    described.unwrap_or_else(|| format!("{action:?}"))
}

fn path_arg(path: &std::path::Path) -> String {
    path.display().to_string()
}
