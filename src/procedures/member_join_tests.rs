use super::*;

/// The planner, with every plan these tests look at validated first (`Plan::validate`).
fn plan_member_join(facts: &MemberJoinFacts) -> Plan {
    crate::procedures::validated(super::plan_member_join(facts))
}

fn manifest(path: JoinPath) -> JoinManifest {
    JoinManifest {
        format: 1,
        name: "etcd-new".into(),
        client_url: "https://10.0.0.14:2379".into(),
        peer_url: "https://10.0.0.14:2380".into(),
        cluster_client_urls: vec![
            "https://10.0.0.1:2379".into(),
            "https://10.0.0.2:2379".into(),
        ],
        path,
        conf_dir: "/srv/sb/etcd-1/etc/etcd".into(),
        replaces: vec!["etcd-3".into()],
        with_data: false,
    }
}

const CONF: &str = "\
ETCD_NAME=etcd-new
ETCD_DATA_DIR=/srv/sb/etcd-1/var/lib/etcd
ETCD_ADVERTISE_CLIENT_URLS=https://10.0.0.14:2379
ETCD_INITIAL_ADVERTISE_PEER_URLS=https://10.0.0.14:2380
ETCD_CERT_FILE=/srv/sb/etcd-1/etc/etcd/server.crt
ETCD_TRUSTED_CA_FILE=/srv/sb/etcd-1/etc/etcd/ca.crt
ETCD_PEER_KEY_FILE=/srv/sb/etcd-1/etc/etcd/peer.key
ETCD_OTHER=/srv/sb/etcd-1/etc/etcd-other/file
";

fn facts(path: JoinPath) -> MemberJoinFacts {
    MemberJoinFacts {
        bundle: "/etc/etcd/etcd-new.tgz".into(),
        manifest: manifest(path),
        conf: EtcdConf::parse(CONF),
        etc_dir: "/etc/etcd".into(),
        data_dir_override: None,
        start: JoinStart::Systemd,
        firewall: Firewall::Iptables {
            chain_exists: false,
            missing_ports: vec![2379, 2380],
        },
        stale_member_dir: true,
        etcd_user: true,
        wait_timeout_secs: 120,
    }
}

#[test]
fn relocation_moves_paths_under_the_survivors_config_dir_only() {
    let conf = relocate_conf(
        &EtcdConf::parse(CONF),
        Path::new("/srv/sb/etcd-1/etc/etcd"),
        Path::new("/srv/sb/etcd-new/etc/etcd"),
        Some(Path::new("/srv/sb/etcd-new/var/lib/etcd")),
    );
    assert_eq!(
        conf.get("ETCD_CERT_FILE"),
        Some("/srv/sb/etcd-new/etc/etcd/server.crt")
    );
    assert_eq!(
        conf.get("ETCD_PEER_KEY_FILE"),
        Some("/srv/sb/etcd-new/etc/etcd/peer.key")
    );
    assert_eq!(
        conf.get("ETCD_DATA_DIR"),
        Some("/srv/sb/etcd-new/var/lib/etcd")
    );
    // A sibling directory that merely shares the prefix is not moved.
    assert_eq!(
        conf.get("ETCD_OTHER"),
        Some("/srv/sb/etcd-1/etc/etcd-other/file")
    );
    // On real hosts both are /etc/etcd: nothing changes.
    let same = EtcdConf::parse("ETCD_CERT_FILE=/etc/etcd/server.crt\n");
    assert_eq!(
        relocate_conf(&same, Path::new("/etc/etcd"), Path::new("/etc/etcd"), None),
        same
    );
}

fn titles(plan: &Plan) -> Vec<&str> {
    plan.steps.iter().map(|s| s.title.as_str()).collect()
}

#[test]
fn a_real_host_opens_ports_unpacks_clears_starts_and_waits() {
    let plan = plan_member_join(&facts(JoinPath::PlainAdd));
    assert_eq!(
        titles(&plan),
        [
            "Create the OS_FIREWALL_ALLOW chain",
            "Send incoming traffic through OS_FIREWALL_ALLOW",
            "Accept etcd traffic on port 2379",
            "Accept etcd traffic on port 2380",
            "Unpack the bundle into /etc/etcd",
            "Point etcd.conf at this host",
            "Clear the stale /srv/sb/etcd-1/var/lib/etcd/member",
            "Give the files to the etcd user",
            "Start etcd",
            "Wait until etcd-new has caught up",
            "Promote to a voting member",
            "Check every member's health"
        ]
    );
    let Action::Run(rule) = &plan.steps[2].action else {
        panic!("iptables");
    };
    assert_eq!(
        rule.argv.join(" "),
        "iptables -A OS_FIREWALL_ALLOW -p tcp -m state --state NEW -m tcp --dport 2379 -j ACCEPT"
    );
    let Action::Run(start) = &plan.steps[8].action else {
        panic!("systemctl");
    };
    assert_eq!(start.argv, ["systemctl", "enable", "etcd", "--now"]);
    assert_eq!(plan.steps[8].check, Check::ExitSuccess);
    assert!(matches!(plan.steps[10].action, Action::Skip { .. }));
    assert_eq!(plan.steps[11].check, Check::EndpointsHealthy);
    assert_eq!(
        plan.etcdctl_flags,
        [
            "--endpoints=https://10.0.0.1:2379,https://10.0.0.2:2379,https://10.0.0.14:2379",
            "--cacert=/etc/etcd/ca.crt",
            "--cert=/etc/etcd/peer.crt",
            "--key=/etc/etcd/peer.key"
        ]
    );
}

#[test]
fn a_learner_is_promoted_after_catching_up_and_a_sandbox_needs_no_firewall() {
    let mut f = facts(JoinPath::Learner);
    f.firewall = Firewall::NotNeeded;
    f.stale_member_dir = false;
    f.etc_dir = "/srv/sb/etcd-new/etc/etcd".into();
    f.data_dir_override = Some("/srv/sb/etcd-new/var/lib/etcd".into());
    f.start = JoinStart::Process {
        supervisor: Some(vec!["sandbox".into(), "join".into()]),
    };
    let plan = plan_member_join(&f);
    assert!(matches!(plan.steps[0].action, Action::Skip { .. }));
    let Action::Run(start) = &plan.steps[5].action else {
        panic!("sandbox start: {:?}", titles(&plan));
    };
    assert_eq!(
        start.argv,
        [
            "sandbox",
            "join",
            "--member",
            "etcd-new",
            "--client-port",
            "2379",
            "--peer-port",
            "2380",
            "--replaces",
            "etcd-3"
        ]
    );
    let wait = titles(&plan)
        .iter()
        .position(|t| t.starts_with("Wait until"))
        .expect("wait");
    assert_eq!(
        plan.steps[wait + 1].action,
        Action::Etcd(EtcdCall::MemberPromote {
            name: "etcd-new".into(),
            timeout_secs: 120
        })
    );
    let Action::WriteFile { contents, .. } = &plan.steps[2].action else {
        panic!("relocated etcd.conf");
    };
    assert!(contents.contains("ETCD_CERT_FILE=/srv/sb/etcd-new/etc/etcd/server.crt"));
}

#[test]
fn rules_already_present_and_no_iptables_are_skipped_with_the_reason() {
    let mut f = facts(JoinPath::PlainAdd);
    f.firewall = Firewall::Iptables {
        chain_exists: true,
        missing_ports: vec![],
    };
    let Action::Skip { reason } = &plan_member_join(&f).steps[0].action else {
        panic!("skipped");
    };
    assert!(reason.contains("iptables -C"));
    f.firewall = Firewall::NotInstalled;
    let Action::Skip { reason } = &plan_member_join(&f).steps[0].action else {
        panic!("skipped");
    };
    assert!(reason.contains("not installed"));
}
