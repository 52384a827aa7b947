//! Commands: processes run through an executor (locally or `docker exec`), etcd started detached, and what only a person can do.

use crate::plan::{Action, EtcdStart, Plan, shell_join};

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
