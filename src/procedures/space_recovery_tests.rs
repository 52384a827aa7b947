use super::*;
use crate::connection::{Endpoints, Source};

/// The planners, with every plan these tests look at validated first (`Plan::validate`).
fn plan_space_recovery(facts: &SpaceFacts) -> Result<Plan, String> {
    super::plan_space_recovery(facts).map(crate::procedures::validated)
}
fn plan_defrag(facts: &SpaceFacts) -> Result<Plan, String> {
    super::plan_defrag(facts).map(crate::procedures::validated)
}

const MB: i64 = 1000 * 1000;

fn member(name: &str, size: i64, in_use: i64, leader: bool) -> MemberSpace {
    MemberSpace {
        name: name.into(),
        client_url: format!("https://{name}:2379"),
        status: Ok(SpaceStatus {
            db_size: size,
            db_in_use: in_use,
            is_leader: leader,
        }),
    }
}

fn facts(members: Vec<MemberSpace>) -> SpaceFacts {
    SpaceFacts {
        connection: ConnectionSettings {
            target: Endpoints {
                endpoints: vec!["https://a:2379".into()],
                cacert: None,
                cert: None,
                key: None,
            },
            source: Source::Flags,
        },
        members,
        alarms: vec!["NOSPACE on b".into()],
        only: None,
    }
}

/// The members each defragmentation step names, in plan order.
fn defragmented(plan: &Plan) -> Vec<String> {
    plan.steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Etcd(EtcdCall::Defragment { name, .. }) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn position(plan: &Plan, wanted: impl Fn(&Action) -> bool) -> usize {
    plan.steps
        .iter()
        .position(|s| wanted(&s.action))
        .expect("the step is in the plan")
}

#[test]
fn nospace_compacts_then_defragments_every_member_leader_last_then_disarms_and_writes() {
    let plan = plan_space_recovery(&facts(vec![
        member("b", 2000 * MB, 1900 * MB, true),
        member("a", 2000 * MB, 1900 * MB, false),
        member("c", 2000 * MB, 1900 * MB, false),
    ]))
    .expect("a plan");
    assert_eq!(defragmented(&plan), ["a", "c", "b"]);
    let compact = position(&plan, |a| matches!(a, Action::Etcd(EtcdCall::Compact)));
    let first_defrag = position(&plan, |a| {
        matches!(a, Action::Etcd(EtcdCall::Defragment { .. }))
    });
    let disarm = position(&plan, |a| matches!(a, Action::Etcd(EtcdCall::AlarmDisarm)));
    let write = position(&plan, |a| matches!(a, Action::Etcd(EtcdCall::TestWrite)));
    assert!(compact < first_defrag && first_defrag < disarm && disarm < write);
    assert!(matches!(
        plan.steps.last().map(|s| &s.action),
        Some(Action::Etcd(EtcdCall::EndpointStatus))
    ));
}

#[test]
fn every_defragmentation_is_followed_by_a_wait_for_every_members_health() {
    let plan = plan_space_recovery(&facts(vec![
        member("a", 10 * MB, 9 * MB, true),
        member("b", 10 * MB, 9 * MB, false),
    ]))
    .expect("a plan");
    for (at, step) in plan.steps.iter().enumerate() {
        if let Action::Etcd(EtcdCall::Defragment { .. }) = step.action {
            let Action::WaitForEtcd {
                endpoints, until, ..
            } = &plan.steps[at + 1].action
            else {
                panic!("step {} is not followed by a wait", at + 1);
            };
            assert_eq!(*until, EtcdState::Healthy);
            assert_eq!(endpoints, &["https://a:2379", "https://b:2379"]);
        }
    }
}

#[test]
fn an_unhealthy_member_refuses_both_with_the_reason() {
    let mut down = member("c", 0, 0, false);
    down.status = Err("connection refused".into());
    let members = vec![member("a", 10 * MB, 9 * MB, true), down];
    for refusal in [
        plan_space_recovery(&facts(members.clone())),
        plan_defrag(&facts(members.clone())),
    ] {
        let why = refusal.expect_err("refused");
        assert!(why.contains("c (connection refused)"), "{why}");
        assert!(why.contains("quorum"), "{why}");
    }
}

#[test]
fn defrag_picks_members_by_the_45_percent_and_100_mb_rule_leader_last() {
    let plan = plan_defrag(&facts(vec![
        // 50% and 500 MB free, the leader: chosen, last.
        member("a", 1000 * MB, 500 * MB, true),
        // 60% free but only 60 MB: left alone.
        member("b", 100 * MB, 40 * MB, false),
        // 300 MB free but 30%: left alone.
        member("c", 1000 * MB, 700 * MB, false),
        // 45% and 450 MB: chosen.
        member("d", 1000 * MB, 550 * MB, false),
    ]))
    .expect("a plan");
    assert_eq!(defragmented(&plan), ["d", "a"]);
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| matches!(s.action, Action::Etcd(EtcdCall::AlarmDisarm)))
    );
}

#[test]
fn defrag_of_a_named_member_ignores_the_rule_and_an_unknown_name_is_refused() {
    let mut chosen = facts(vec![
        member("a", 10 * MB, 9 * MB, true),
        member("b", 10 * MB, 9 * MB, false),
    ]);
    chosen.only = Some("a".into());
    assert_eq!(defragmented(&plan_defrag(&chosen).expect("a plan")), ["a"]);
    chosen.only = Some("zz".into());
    let why = plan_defrag(&chosen).expect_err("refused");
    assert!(why.contains("no member is called zz"), "{why}");
}

#[test]
fn defrag_with_nothing_fragmented_is_refused_with_the_rule() {
    let why =
        plan_defrag(&facts(vec![member("a", 10 * MB, 9 * MB, true)])).expect_err("nothing to do");
    assert!(why.contains("45%") && why.contains("--member"), "{why}");
}

#[test]
fn the_calls_read_as_their_etcdctl_commands() {
    let plan =
        plan_space_recovery(&facts(vec![member("a", 10 * MB, 9 * MB, true)])).expect("a plan");
    let defrag = EtcdCall::Defragment {
        name: "a".into(),
        client_url: "https://a:2379".into(),
    };
    assert_eq!(
        plan.etcdctl_command(&defrag),
        ["etcdctl", "--endpoints=https://a:2379", "defrag"]
    );
    assert_eq!(
        plan.etcdctl_command(&EtcdCall::AlarmDisarm)[1..],
        ["--endpoints=https://a:2379", "alarm", "disarm"]
    );
}
