//! Promote a learner that has caught up: the last step of a join, on its own for a learner
//! whose join was interrupted after it caught up (or that was added by hand).

use crate::connection::ConnectionSettings;
use crate::plan::{Action, Check, EtcdCall, Plan, Risk, Step};

#[derive(Clone, Debug)]
pub struct MemberPromoteFacts {
    pub connection: ConnectionSettings,
    pub name: String,
    pub client_url: String,
    pub wait_timeout_secs: u64,
}

pub fn plan_member_promote(facts: &MemberPromoteFacts) -> Plan {
    let name = &facts.name;
    let steps = vec![
        Step::new(
            "Check health and quorum",
            "A promotion is a membership change: it needs a working majority.",
            Risk::ReadOnly,
            Action::Etcd(EtcdCall::QuorumCheck { remove: None }),
            Check::QuorumHolds,
            "Nothing was changed. Restore quorum first (`lifeboat status` says what is down).",
        ),
        Step::new(
            format!("Wait until {name} has caught up"),
            "etcd refuses to promote a learner whose log holds less than 90% of the leader's \
             (\"not in sync with leader\"); lifeboat waits for all of it, so that the new voter \
             counts towards quorum only once it can serve.",
            Risk::ReadOnly,
            Action::Etcd(EtcdCall::WaitCaughtUp {
                name: name.clone(),
                client_url: facts.client_url.clone(),
                timeout_secs: facts.wait_timeout_secs,
            }),
            Check::Completed,
            "Nothing was changed. The learner is still catching up: wait and promote again, or \
             read its log for why it is stuck.",
        ),
        Step::new(
            format!("Promote {name} to a voting member"),
            "It has caught up: it can now vote without putting quorum at risk.",
            Risk::Reversible,
            Action::Etcd(EtcdCall::MemberPromote {
                name: name.clone(),
                timeout_secs: facts.wait_timeout_secs,
            }),
            Check::Completed,
            "The member still serves as a learner and does not vote; nothing else changed.",
        ),
        Step::new(
            "Check every member's health",
            "The promoted member now counts towards quorum: every member should answer.",
            Risk::ReadOnly,
            Action::Etcd(EtcdCall::EndpointStatus),
            Check::EndpointsHealthy,
            "A member does not answer: `lifeboat status` names it.",
        ),
    ];
    Plan {
        procedure: crate::plan::Procedure::MemberPromote,
        title: format!("Promote the learner {name}"),
        summary: format!(
            "{name} joined as a non-voting learner; once it has the leader's log it is promoted \
             to a voting member."
        ),
        etcdctl_flags: facts.connection.etcdctl_flags(),
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{Endpoints, Source};

    #[test]
    fn a_learner_is_promoted_only_after_quorum_and_catch_up_are_checked() {
        let plan = plan_member_promote(&MemberPromoteFacts {
            connection: ConnectionSettings {
                target: Endpoints {
                    endpoints: vec!["https://10.0.0.1:2379".into()],
                    cacert: None,
                    cert: None,
                    key: None,
                },
                source: Source::Flags,
            },
            name: "etcd-4".into(),
            client_url: "https://10.0.0.14:2379".into(),
            wait_timeout_secs: 60,
        });
        let promote = plan
            .steps
            .iter()
            .position(|s| matches!(s.action, Action::Etcd(EtcdCall::MemberPromote { .. })))
            .expect("a promote step");
        let caught_up = plan
            .steps
            .iter()
            .position(|s| matches!(s.action, Action::Etcd(EtcdCall::WaitCaughtUp { .. })))
            .expect("a wait");
        assert!(caught_up < promote);
        assert!(matches!(
            plan.steps[0].action,
            Action::Etcd(EtcdCall::QuorumCheck { remove: None })
        ));
        assert_eq!(plan.highest_risk(), Risk::Reversible);
    }
}
