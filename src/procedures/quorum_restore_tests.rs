use super::*;
use crate::connection::{Endpoints, Source};

/// Shadows the planner: every plan of these tests is checked well-formed.
fn plan_quorum_restore(facts: &QuorumRestoreFacts) -> Result<Plan, String> {
    super::plan_quorum_restore(facts).map(crate::procedures::validated)
}

fn survivor(name: &str, raft_index: u64, local: bool) -> Survivor {
    Survivor {
        name: name.into(),
        raft_index,
        revision: raft_index as i64 / 2,
        is_learner: false,
        client_urls: vec![format!("https://{name}:2379")],
        local: local.then(|| LocalMember {
            data_dir: format!("/var/lib/{name}").into(),
            conf: format!("/etc/{name}/etcd.conf").into(),
            service: EtcdService::Systemd,
            copy_to: format!("/var/lib/{name}.before-quorum-restore").into(),
        }),
    }
}

fn facts(survivors: Vec<Survivor>) -> QuorumRestoreFacts {
    QuorumRestoreFacts {
        connection: ConnectionSettings {
            target: Endpoints::default(),
            source: Source::Flags,
        },
        voters: 3,
        survivors,
        chosen: None,
        members: vec!["etcd-1".into(), "etcd-2".into(), "etcd-3".into()],
    }
}

fn titles(plan: &Plan) -> Vec<&str> {
    plan.steps.iter().map(|s| s.title.as_str()).collect()
}

#[test]
fn the_survivor_is_checked_copied_forced_once_and_restarted_without_the_flag() {
    let plan = plan_quorum_restore(&facts(vec![survivor("etcd-1", 900, true)])).expect("plans");
    assert_eq!(
        titles(&plan),
        [
            "Check that quorum is still lost",
            "Stop etcd (the etcd systemd unit)",
            "Wait until etcd is really down",
            "Keep a copy of /var/lib/etcd-1",
            "Set ETCD_FORCE_NEW_CLUSTER=true in /etc/etcd-1/etcd.conf",
            "Start etcd-1 as a new one-member cluster",
            "Wait until etcd-1 is healthy",
            "Remove ETCD_FORCE_NEW_CLUSTER from /etc/etcd-1/etcd.conf",
            "Stop etcd-1 after its forced start",
            "Wait until etcd is down again",
            "Start etcd-1 again",
            "Wait until etcd-1 is healthy",
            "Add the lost members back",
        ]
    );
    // The copy comes before anything that changes the data, and is the way back.
    let forced = &plan.steps[5];
    assert_eq!(forced.risk, Risk::Destructive);
    assert!(
        forced
            .if_failed
            .contains("cp -a /var/lib/etcd-1.before-quorum-restore /var/lib/etcd-1"),
        "{}",
        forced.if_failed
    );
    let Action::Manual { checklist } = &plan.steps[12].action else {
        panic!("the hand-over is a checklist");
    };
    assert!(checklist[0].contains("--failed etcd-2"), "{checklist:?}");
    assert!(checklist[1].contains("--failed etcd-3"), "{checklist:?}");
    assert!(
        !checklist
            .iter()
            .any(|line| line.contains("--failed etcd-1"))
    );
}

#[test]
fn the_highest_raft_index_wins_and_another_choice_shows_its_cost() {
    let survivors = vec![survivor("etcd-1", 900, true), survivor("etcd-2", 950, true)];
    assert_eq!(
        best_survivor(&survivors).map(|s| s.name.as_str()),
        Some("etcd-2")
    );
    let mut facts = facts(survivors);
    facts.voters = 5;
    let plan = plan_quorum_restore(&facts).expect("2 of 5 is no quorum");
    assert_eq!(plan.title, "Restore quorum from etcd-2");
    assert!(plan.steps[0].reason.contains("nothing it applied is lost"));
    assert!(
        plan.steps[0].reason.contains(
            "etcd-1 at raft index 900, data in /var/lib/etcd-1; etcd-2 at raft index 950"
        ),
        "{}",
        plan.steps[0].reason
    );
    facts.chosen = Some("etcd-1".into());
    let plan = plan_quorum_restore(&facts).expect("the engineer's choice");
    assert!(
        plan.steps[0]
            .reason
            .contains("COST: etcd-1 is 50 raft entries behind etcd-2"),
        "{}",
        plan.steps[0].reason
    );
}

#[test]
fn refused_while_quorum_holds_for_learners_and_for_members_elsewhere() {
    let holds = facts(vec![
        survivor("etcd-1", 9, true),
        survivor("etcd-2", 9, true),
    ]);
    let refusal = plan_quorum_restore(&holds).expect_err("2 of 3 is quorum");
    assert!(refusal.contains("quorum holds"), "{refusal}");

    let mut learner = survivor("etcd-1", 9, true);
    learner.is_learner = true;
    let refusal = plan_quorum_restore(&facts(vec![learner])).expect_err("no voter");
    assert!(refusal.contains("no voting member answers"), "{refusal}");

    let refusal =
        plan_quorum_restore(&facts(vec![survivor("etcd-1", 9, false)])).expect_err("elsewhere");
    assert!(refusal.contains("runs on another host"), "{refusal}");

    let mut unknown = facts(vec![survivor("etcd-1", 9, true)]);
    unknown.chosen = Some("etcd-7".into());
    let refusal = plan_quorum_restore(&unknown).expect_err("not a survivor");
    assert!(refusal.contains("etcd-7 does not answer"), "{refusal}");
}
