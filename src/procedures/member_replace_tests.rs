use super::*;

/// The planner, with every plan these tests look at validated first (`Plan::validate`).
fn plan_member_replace(facts: &MemberReplaceFacts) -> Result<Plan, String> {
    super::plan_member_replace(facts).map(crate::procedures::validated)
}
use crate::connection::{Endpoints, Source};
use crate::plan::{Action, EtcdCall, Risk};
use crate::procedures::render_new_member_conf;

const TEMPLATE: &str = "\
# [member]
ETCD_NAME=etcd-1
ETCD_DATA_DIR=/var/lib/etcd/
ETCD_LISTEN_PEER_URLS=https://10.0.0.1:2380
ETCD_LISTEN_CLIENT_URLS=https://10.0.0.1:2379
#[cluster]
ETCD_INITIAL_ADVERTISE_PEER_URLS=https://10.0.0.1:2380
ETCD_INITIAL_CLUSTER=etcd-1=https://10.0.0.1:2380,etcd-2=https://10.0.0.2:2380,etcd-3=https://10.0.0.3:2380
ETCD_INITIAL_CLUSTER_STATE=new
ETCD_INITIAL_CLUSTER_TOKEN=etcd-cluster-1
ETCD_ADVERTISE_CLIENT_URLS=https://10.0.0.1:2379
ETCD_CERT_FILE=/etc/etcd/server.crt
ETCD_PEER_CERT_FILE=/etc/etcd/peer.crt
";

fn member(i: u64) -> MemberInfo {
    MemberInfo {
        id: 0x100 + i,
        name: format!("etcd-{i}"),
        peer_urls: vec![format!("https://10.0.0.{i}:2380")],
        client_urls: vec![format!("https://10.0.0.{i}:2379")],
        is_learner: false,
    }
}

fn facts(healthy: &[u64], db_size: u64) -> MemberReplaceFacts {
    MemberReplaceFacts {
        connection: ConnectionSettings {
            target: Endpoints {
                endpoints: vec!["https://10.0.0.1:2379".into()],
                ..Endpoints::default()
            },
            source: Source::Flags,
        },
        members: (1..=3).map(member).collect(),
        healthy: healthy.iter().map(|i| 0x100 + i).collect(),
        db_size,
        failed: member(3),
        failed_removed: false,
        new_name: "etcd-4".into(),
        new_host: NewHost::parse("10.0.0.14").expect("ip"),
        client_port: 2379,
        peer_port: 2380,
        out: "/root/join".into(),
        ca_dir: "/etc/etcd/ca".into(),
        template: EtcdConf::parse(TEMPLATE),
        template_path: "/etc/etcd/etcd.conf".into(),
        learner_threshold: LEARNER_THRESHOLD,
        datadir_backup: None,
    }
}

#[test]
fn the_new_hosts_etcd_conf_names_it_drops_the_failed_member_and_keeps_the_rest() {
    let conf = render_new_member_conf(
        &EtcdConf::parse(TEMPLATE),
        &(1..=3).map(member).collect::<Vec<_>>(),
        &[0x103],
        "etcd-4",
        &NewHost::parse("10.0.0.14").expect("ip"),
        2379,
        2380,
    );
    let expected = "\
# [member]
ETCD_NAME=etcd-4
ETCD_DATA_DIR=/var/lib/etcd/
ETCD_LISTEN_PEER_URLS=https://10.0.0.14:2380
ETCD_LISTEN_CLIENT_URLS=https://10.0.0.14:2379
#[cluster]
ETCD_INITIAL_ADVERTISE_PEER_URLS=https://10.0.0.14:2380
ETCD_INITIAL_CLUSTER=etcd-1=https://10.0.0.1:2380,etcd-2=https://10.0.0.2:2380,etcd-4=https://10.0.0.14:2380
ETCD_INITIAL_CLUSTER_STATE=existing
ETCD_INITIAL_CLUSTER_TOKEN=etcd-cluster-1
ETCD_ADVERTISE_CLIENT_URLS=https://10.0.0.14:2379
ETCD_CERT_FILE=/etc/etcd/server.crt
ETCD_PEER_CERT_FILE=/etc/etcd/peer.crt
";
    assert_eq!(conf.to_string(), expected);
}

#[test]
fn a_dns_host_is_advertised_by_name_and_listens_on_every_address() {
    let conf = render_new_member_conf(
        &EtcdConf::parse(TEMPLATE),
        &[member(1)],
        &[],
        "etcd-4",
        &NewHost::parse("etcd-4.example.com").expect("dns"),
        12379,
        12380,
    );
    assert_eq!(
        conf.get("ETCD_ADVERTISE_CLIENT_URLS"),
        Some("https://etcd-4.example.com:12379")
    );
    assert_eq!(
        conf.get("ETCD_LISTEN_PEER_URLS"),
        Some("https://0.0.0.0:12380")
    );
}

#[test]
fn the_700_mb_rule_picks_the_path_and_says_why() {
    let mb = 1000 * 1000;
    let (path, why) = choose_join_path(699 * mb, LEARNER_THRESHOLD, false);
    assert_eq!(path, JoinPath::PlainAdd);
    assert!(why.contains("below"), "{why}");
    let (path, why) = choose_join_path(700 * mb, LEARNER_THRESHOLD, false);
    assert_eq!(path, JoinPath::Learner);
    assert!(why.contains("no `--keep-cluster-id`"), "{why}");
    let (path, why) = choose_join_path(900 * mb, LEARNER_THRESHOLD, true);
    assert_eq!(path, JoinPath::DataDirBackup);
    assert!(why.contains("stop the other hosts"), "{why}");
    // The data-directory copy is only worth it above the threshold.
    assert_eq!(
        choose_join_path(1, LEARNER_THRESHOLD, true).0,
        JoinPath::PlainAdd
    );
    // A threshold of zero forces the learner path on any size: how the tests exercise it.
    assert_eq!(choose_join_path(0, 0, false).0, JoinPath::Learner);
}

fn titles(plan: &Plan) -> Vec<&str> {
    plan.steps.iter().map(|s| s.title.as_str()).collect()
}

#[test]
fn replacing_a_failed_member_plans_every_step_in_order() {
    let plan = plan_member_replace(&facts(&[1, 2], 5_000_000)).expect("2 of 3 healthy");
    assert_eq!(
        titles(&plan),
        [
            "Check health and quorum",
            "Prepare the bundle directory",
            "Sign certificates for etcd-4",
            "Write etcd-4's etcd.conf",
            "Write the join instructions",
            "Pack /root/join/etcd-4.tgz",
            "Remove the failed member etcd-3",
            "Add etcd-4 as a member",
            "Remove the unpacked copy",
            "Hand the bundle to etcd-4"
        ]
    );
    // Nothing touches the cluster before its state is known and the local files are made.
    let first_change = plan
        .steps
        .iter()
        .position(|s| s.risk == Risk::Destructive)
        .expect("the removal");
    assert_eq!(first_change, 6);
    assert_eq!(
        plan.steps[6].action,
        Action::Etcd(EtcdCall::MemberRemove {
            id: 0x103,
            name: "etcd-3".into()
        })
    );
    assert_eq!(
        plan.steps[7].action,
        Action::Etcd(EtcdCall::MemberAdd {
            name: "etcd-4".into(),
            peer_urls: vec!["https://10.0.0.14:2380".into()],
            learner: false
        })
    );
    assert!(plan.steps[0].reason.contains("recommends seven"));
    let Action::WriteFile { contents, .. } = &plan.steps[4].action else {
        panic!("join.json");
    };
    let manifest: JoinManifest = serde_json::from_str(contents).expect("json");
    assert_eq!(manifest.replaces, ["etcd-3"]);
    assert_eq!(
        manifest.cluster_client_urls,
        ["https://10.0.0.1:2379", "https://10.0.0.2:2379"]
    );
    assert_eq!(manifest.conf_dir, PathBuf::from("/etc/etcd"));
    assert!(plan.steps[8].always_run);
    let Action::Manual { checklist } = &plan.steps[9].action else {
        panic!("hand-over");
    };
    assert_eq!(
        checklist[0],
        "scp /root/join/etcd-4.tgz 10.0.0.14:/etc/etcd/etcd-4.tgz"
    );
    assert!(checklist[1].contains("--dport 2379 -j ACCEPT"));
}

#[test]
fn a_large_database_adds_a_learner_and_the_commands_show_it() {
    let plan = plan_member_replace(&facts(&[1, 2], 800_000_000)).expect("plans");
    assert_eq!(plan.steps[7].title, "Add etcd-4 as a learner");
    let Action::Etcd(call) = &plan.steps[7].action else {
        panic!("member add");
    };
    assert!(
        shell_line(&plan, call)
            .ends_with("member add etcd-4 --peer-urls=https://10.0.0.14:2380 --learner"),
        "{}",
        shell_line(&plan, call)
    );
}

fn shell_line(plan: &Plan, call: &EtcdCall) -> String {
    crate::plan::shell_join(plan.etcdctl_command(call))
}

#[test]
fn the_procedures_backup_ships_when_etcdctl_keeps_the_cluster_id() {
    let mut f = facts(&[1, 2], 800_000_000);
    f.datadir_backup = Some(DatadirBackup {
        etcdctl: "/usr/bin/etcdctl".into(),
        data_dir: "/var/lib/etcd".into(),
    });
    let plan = plan_member_replace(&f).expect("plans");
    let backup = plan
        .steps
        .iter()
        .find_map(|s| match &s.action {
            Action::Run(spec) => Some(spec),
            _ => None,
        })
        .expect("etcdctl backup step");
    assert_eq!(
        backup.argv,
        [
            "/usr/bin/etcdctl",
            "backup",
            "--keep-cluster-id",
            "--node-id",
            "${NODE_ID}",
            "--data-dir",
            "/var/lib/etcd",
            "--backup-dir",
            "/root/join/etcd-4.partial/data"
        ]
    );
}

#[test]
fn the_join_bundle_is_packed_before_the_cluster_changes_and_failures_after_say_what_next() {
    let position = |plan: &Plan, matches: &dyn Fn(&Action) -> bool| {
        plan.steps.iter().position(|s| matches(&s.action))
    };
    for db_size in [5_000_000, 800_000_000] {
        let plan = plan_member_replace(&facts(&[1, 2], db_size)).expect("plans");
        let packed = position(&plan, &|a| matches!(a, Action::PackDirectory { .. }));
        let removed = position(&plan, &|a| {
            matches!(a, Action::Etcd(EtcdCall::MemberRemove { .. }))
        });
        assert!(packed < removed, "{:?}", titles(&plan));
        let add = &plan.steps[removed.expect("removal") + 1];
        assert!(
            add.if_failed.contains("etcd-3 (ID 103) is already removed")
                && add
                    .if_failed
                    .contains("member add etcd-4 --peer-urls=https://10.0.0.14:2380")
                && add
                    .if_failed
                    .contains("lifeboat member join --bundle /etc/etcd/etcd-4.tgz"),
            "{}",
            add.if_failed
        );
    }
    // The data path packs the first bundle early too, and a failure of the copy names the new
    // member's ID (bound by the runner once `member add` returned it).
    let mut f = facts(&[1, 2], 800_000_000);
    f.datadir_backup = Some(DatadirBackup {
        etcdctl: "/usr/bin/etcdctl".into(),
        data_dir: "/var/lib/etcd".into(),
    });
    let plan = plan_member_replace(&f).expect("plans");
    let bundles: Vec<_> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::PackDirectory { to, .. } => Some(to.display().to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        bundles,
        ["/root/join/etcd-4.tgz", "/root/join/etcd-4.with-data.tgz"]
    );
    let copy = plan
        .steps
        .iter()
        .find(|s| matches!(s.action, Action::Run(_)))
        .expect("the data copy");
    assert!(
        copy.if_failed.contains("etcdctl member remove ${NODE_ID}"),
        "{}",
        copy.if_failed
    );
}

#[test]
fn removal_is_refused_when_two_of_three_are_down() {
    let refusal = plan_member_replace(&facts(&[1], 1)).expect_err("quorum lost");
    assert!(refusal.contains("QUORUM LOST: 1 of 3"), "{refusal}");
    assert!(refusal.contains("disaster-recovery path"), "{refusal}");
}

#[test]
fn a_member_a_new_cluster_left_out_is_replaced_without_a_removal() {
    // After a quorum restore: etcd-1 alone, etcd-3 gone from the list but still named.
    let mut facts = facts(&[1], 5_000_000);
    facts.members = vec![member(1)];
    facts.failed = MemberInfo { id: 0, ..member(3) };
    facts.failed_removed = true;
    let plan = plan_member_replace(&facts).expect("one healthy voter of one holds quorum");
    let removal = plan
        .steps
        .iter()
        .find(|s| s.title.starts_with("Remove the failed member"))
        .expect("the removal is listed");
    assert!(matches!(removal.action, Action::Skip { .. }), "{removal:?}");
    assert!(
        !plan
            .steps
            .iter()
            .any(|s| matches!(s.action, Action::Etcd(EtcdCall::MemberRemove { .. }))),
        "nothing is removed"
    );
    assert!(matches!(
        plan.steps[0].action,
        Action::Etcd(EtcdCall::QuorumCheck { remove: None })
    ));
    // Without quorum, not even an add can be committed.
    facts.healthy.clear();
    let refusal = plan_member_replace(&facts).expect_err("no quorum");
    assert!(refusal.contains("restore quorum"), "{refusal}");
}

#[test]
fn a_taken_name_or_peer_url_is_refused_before_anything_runs() {
    let mut f = facts(&[1, 2], 1);
    f.new_name = "etcd-2".into();
    assert!(
        plan_member_replace(&f)
            .expect_err("taken")
            .contains("already exists")
    );
    let mut f = facts(&[1, 2], 1);
    f.new_host = NewHost::parse("10.0.0.2").expect("ip");
    assert!(
        plan_member_replace(&f)
            .expect_err("taken")
            .contains("already the peer URL")
    );
    // The failed member's own address may be reused by its replacement.
    let mut f = facts(&[1, 2], 1);
    f.new_host = NewHost::parse("10.0.0.3").expect("ip");
    assert!(plan_member_replace(&f).is_ok());
}

#[test]
fn sizes_read_in_the_procedures_units() {
    assert_eq!(decimal_size(700_000_000), "700 MB");
    assert_eq!(decimal_size(20_480), "20.5 kB");
    assert_eq!(decimal_size(12), "12 B");
}
