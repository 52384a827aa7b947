//! What each action does, by domain: etcd calls, files and archives, commands, Kubernetes and
//! application data. A domain's module holds how its actions are described (the command an
//! engineer would type, shown before a step runs, in the runbook and in the transcript);
//! `plan` stays plain data that imports none of the clients a description needs (executors
//! for `docker exec`, the CA for its openssl equivalent).

mod appdata;
mod command;
mod etcd;
mod files;
mod kube;

use crate::plan::{Action, Domain, Plan};

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
