use super::*;

/// The planner, with every plan these tests look at validated first (`Plan::validate`).
fn plan_cluster_restore(facts: &ClusterRestoreFacts) -> Plan {
    crate::procedures::validated(super::plan_cluster_restore(facts))
}
use crate::connection::{Endpoints, Source};

fn member(name: &str, local: bool) -> RestoreMember {
    RestoreMember {
        name: name.into(),
        peer_url: format!("https://{name}:2380"),
        client_urls: vec![format!("https://{name}:2379")],
        data_dir: "/var/lib/etcd".into(),
        keep_as: Some("/var/lib/etcd.orig".into()),
        service: EtcdService::Systemd,
        conf: Some("/etc/etcd/etcd.conf".into()),
        local,
        image: None,
    }
}

fn facts() -> ClusterRestoreFacts {
    ClusterRestoreFacts {
        connection: ConnectionSettings {
            target: Endpoints {
                endpoints: vec!["https://etcd-1:2379".into()],
                ..Endpoints::default()
            },
            source: Source::Flags,
        },
        bundle: "/backups/b1".into(),
        bundle_host: "master-0".into(),
        data: RestoreData::Snapshot("/backups/b1/etcd-snapshot.db".into()),
        stats: Some(SnapshotStats {
            revision: 42,
            total_keys: 90,
            total_size: 1 << 20,
            keys: Some(12),
        }),
        certificates: Ok(CertificatesRestore {
            archive: "/backups/b1/certs-and-keys-master-0.tar".into(),
            into: "/etc/origin/master".into(),
            keep_old: "/var/lib/lifeboat/replaced.tar".into(),
        }),
        installation_archives: vec!["installation-files-master-0.tar".into()],
        members: vec![member("etcd-1", true)],
        disaster_recovery: false,
        cluster_token: "etcd-cluster".into(),
        etcdctl: "/usr/bin/etcdctl".into(),
        etcdutl: None,
        restore_abilities: RestoreAbilities::default(),
        selinux: Err("SELinux is not enabled on this host".into()),
        owner: Ok("etcd:etcd".into()),
    }
}

fn position(plan: &Plan, title_start: &str) -> usize {
    plan.steps
        .iter()
        .position(|s| s.title.starts_with(title_start))
        .unwrap_or_else(|| panic!("no step starting {title_start:?}"))
}

fn argv_of(step: &Step) -> Vec<String> {
    match &step.action {
        Action::Run(spec) => spec.argv.clone(),
        other => panic!("not a command: {other:?}"),
    }
}

#[test]
fn nothing_is_stopped_before_the_bundle_is_verified_and_nothing_restored_before_it_is_kept() {
    let plan = plan_cluster_restore(&facts());
    assert!(matches!(plan.steps[0].action, Action::VerifyBundle { .. }));
    let order = [
        "Verify the bundle",
        "Prerequisites",
        "Restore the certificates",
        "Stop etcd",
        "Wait until etcd is really down",
        "Keep /var/lib/etcd as etcd.orig",
        "Restore the etcd data",
        "Give the data to the etcd user",
        "Start etcd",
        "Wait until etcd is healthy",
        "Compare with the bundle",
    ];
    let positions: Vec<usize> = order.iter().map(|t| position(&plan, t)).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "steps out of order: {positions:?}"
    );
    assert_eq!(
        plan.steps.last().map(|s| &s.action),
        Some(&Action::CompareWithBundle {
            revision: 42,
            keys: Some(12)
        })
    );
    // Nothing is undone automatically: starting etcd on a half-restored directory is worse than
    // leaving it stopped with the way back spelled out.
    assert!(plan.steps.iter().all(|s| !s.always_run));
}

#[test]
fn the_snapshot_is_restored_with_the_members_name_and_peer_url() {
    let plan = plan_cluster_restore(&facts());
    let step = &plan.steps[position(&plan, "Restore the etcd data")];
    assert_eq!(step.risk, Risk::Destructive);
    assert_eq!(
        argv_of(step),
        [
            "/usr/bin/etcdctl",
            "snapshot",
            "restore",
            "/backups/b1/etcd-snapshot.db",
            "--name",
            "etcd-1",
            "--initial-cluster",
            "etcd-1=https://etcd-1:2380",
            "--initial-cluster-token",
            "etcd-cluster",
            "--initial-advertise-peer-urls",
            "https://etcd-1:2380",
            "--data-dir",
            "/var/lib/etcd",
        ]
    );
    assert!(
        step.if_failed
            .contains("mv -T /var/lib/etcd.orig /var/lib/etcd"),
        "{}",
        step.if_failed
    );
    assert!(
        step.if_failed
            .contains("tar xpf /var/lib/lifeboat/replaced.tar -C /etc/origin/master"),
        "{}",
        step.if_failed
    );
}

#[test]
fn the_data_dir_moves_to_the_free_orig_name_and_is_never_deleted() {
    let plan = plan_cluster_restore(&facts());
    assert_eq!(
        plan.steps[position(&plan, "Keep /var/lib/etcd")].action,
        Action::MoveAside {
            from: "/var/lib/etcd".into(),
            to: "/var/lib/etcd.orig".into()
        }
    );
    let taken = ["/var/lib/etcd.orig", "/var/lib/etcd.orig.1"];
    assert_eq!(
        free_keep_name(Path::new("/var/lib/etcd"), |p| taken
            .iter()
            .any(|t| Path::new(t) == p)),
        PathBuf::from("/var/lib/etcd.orig.2")
    );
    // The way back renames the failed restore instead of deleting it, so following it twice
    // cannot destroy the kept data.
    let runbook = crate::present::render_runbook(&plan);
    assert!(!runbook.contains("rm -rf"), "{runbook}");
    assert!(
        runbook.contains(
            "`mv -T /var/lib/etcd /var/lib/etcd.failed-restore && mv -T /var/lib/etcd.orig /var/lib/etcd`"
        ),
        "{runbook}"
    );
}

#[test]
fn a_data_dir_with_a_trailing_slash_is_kept_beside_itself_not_inside() {
    // ETCD_DATA_DIR=/var/lib/etcd/ as real etcd.conf files write it: `DIR/.orig` would be
    // inside the directory being moved, and the rename would fail after etcd was stopped.
    assert_eq!(
        free_keep_name(Path::new("/var/lib/etcd/"), |_| false),
        PathBuf::from("/var/lib/etcd.orig")
    );
    let taken = PathBuf::from("/var/lib/etcd.orig");
    assert_eq!(
        free_keep_name(Path::new("/var/lib/etcd/"), |p| p == taken),
        PathBuf::from("/var/lib/etcd.orig.1")
    );
    let mut facts = facts();
    facts.members[0].data_dir = "/var/lib/etcd/".into();
    let runbook = crate::present::render_runbook(&plan_cluster_restore(&facts));
    assert!(
        runbook.contains("mv -T /var/lib/etcd /var/lib/etcd.failed-restore"),
        "{runbook}"
    );
}

#[test]
fn etcdutl_restores_where_it_is_installed() {
    let mut facts = facts();
    facts.etcdutl = Some("/usr/bin/etcdutl".into());
    let plan = plan_cluster_restore(&facts);
    let step = &plan.steps[position(&plan, "Restore the etcd data")];
    assert_eq!(
        argv_of(step)[..3],
        ["/usr/bin/etcdutl", "snapshot", "restore"]
    );
}

#[test]
fn the_revision_is_bumped_where_the_restore_tool_can_and_the_reason_says_so() {
    let mut facts = facts();
    facts.etcdutl = Some("/usr/bin/etcdutl".into());
    facts.restore_abilities = RestoreAbilities {
        version: Some("etcdutl version: 3.5.12".into()),
        bump_revision: true,
    };
    let plan = plan_cluster_restore(&facts);
    let step = &plan.steps[position(&plan, "Restore the etcd data")];
    let argv = argv_of(step);
    assert_eq!(argv[0], "/usr/bin/etcdutl");
    let at = argv
        .iter()
        .position(|a| a == "--bump-revision")
        .expect("the bump is passed");
    assert_eq!(argv[at + 1], REVISION_BUMP.to_string());
    assert!(argv.contains(&"--mark-compacted".to_string()), "{argv:?}");
    assert!(
        step.reason.contains("etcdutl version: 3.5.12"),
        "{}",
        step.reason
    );
    assert!(
        step.reason.contains("watch caches start over"),
        "{}",
        step.reason
    );
}

#[test]
fn without_the_bump_flags_the_restore_says_what_is_missing() {
    // Debian's etcdctl 3.4.23: no etcdutl, no --bump-revision.
    let mut facts = facts();
    facts.restore_abilities = RestoreAbilities {
        version: Some("etcdctl version: 3.4.23".into()),
        bump_revision: false,
    };
    let plan = plan_cluster_restore(&facts);
    let step = &plan.steps[position(&plan, "Restore the etcd data")];
    let argv = argv_of(step);
    assert_eq!(argv[1..3], ["snapshot", "restore"]);
    assert!(argv[0].ends_with("etcdctl"), "{argv:?}");
    assert!(!argv.iter().any(|a| a.starts_with("--bump")), "{argv:?}");
    assert!(
        step.reason
            .contains("etcdctl version: 3.4.23 has no --bump-revision/--mark-compacted"),
        "{}",
        step.reason
    );
    assert!(
        step.reason.contains("restart every API server"),
        "{}",
        step.reason
    );
}

#[test]
fn the_steps_later_ones_rely_on_cannot_be_skipped() {
    let mut datadir = facts();
    datadir.data = RestoreData::DataDir("/backups/b1/etcd-datadir".into());
    for plan in [
        plan_cluster_restore(&facts()),
        plan_cluster_restore(&datadir),
    ] {
        let required: Vec<&str> = plan
            .steps
            .iter()
            .filter(|s| s.required)
            .map(|s| s.title.as_str())
            .collect();
        for title in [
            "Verify the bundle",
            "Stop etcd",
            "Wait until etcd is really down",
            "Keep /var/lib/etcd",
        ] {
            assert!(
                required.iter().any(|r| r.starts_with(title)),
                "{title}: {required:?}"
            );
        }
        assert!(!required.iter().any(|r| r.starts_with("Prerequisites")));
    }
    let plan = plan_cluster_restore(&datadir);
    assert!(plan.steps[position(&plan, "Remove the force flag")].required);
    assert!(plan.steps[position(&plan, "Force a new cluster")].required);
}

#[test]
fn a_missing_data_dir_has_nothing_to_keep() {
    let mut facts = facts();
    facts.members[0].keep_as = None;
    let plan = plan_cluster_restore(&facts);
    assert!(matches!(
        &plan.steps[position(&plan, "Keep /var/lib/etcd")].action,
        Action::Skip { reason } if reason.contains("does not exist")
    ));
}

#[test]
fn labels_come_from_the_kept_directory_and_are_skipped_with_a_reason_without_selinux() {
    let plan = plan_cluster_restore(&facts());
    assert!(matches!(
        &plan.steps[position(&plan, "Restore the SELinux labels")].action,
        Action::Skip { reason } if reason.contains("SELinux is not enabled")
    ));
    let mut with_selinux = facts();
    with_selinux.selinux = Ok("/usr/bin/chcon".into());
    let plan = plan_cluster_restore(&with_selinux);
    assert_eq!(
        argv_of(&plan.steps[position(&plan, "Restore the SELinux labels")]),
        [
            "/usr/bin/chcon",
            "-R",
            "--reference",
            "/var/lib/etcd.orig",
            "/var/lib/etcd"
        ]
    );
    assert_eq!(
        argv_of(&plan.steps[position(&plan, "Give the data to the etcd user")]),
        ["chown", "-R", "etcd:etcd", "/var/lib/etcd"]
    );
    let mut no_user = facts();
    no_user.owner = Err("there is no etcd user on this host".into());
    let plan = plan_cluster_restore(&no_user);
    assert!(matches!(
        &plan.steps[position(&plan, "Give the data to the etcd user")].action,
        Action::Skip { .. }
    ));
}

#[test]
fn a_data_dir_backup_is_copied_like_cp_rp_and_forms_a_new_cluster_once() {
    let mut facts = facts();
    facts.data = RestoreData::DataDir("/backups/b1/etcd-datadir".into());
    let plan = plan_cluster_restore(&facts);
    assert_eq!(
        argv_of(&plan.steps[position(&plan, "Restore the etcd data")]),
        ["cp", "-Rp", "/backups/b1/etcd-datadir", "/var/lib/etcd"]
    );
    let set = position(&plan, "Force a new cluster");
    let first_start = position(&plan, "Start etcd");
    let removed = position(&plan, "Remove the force flag");
    let restart = plan
        .steps
        .iter()
        .rposition(|s| s.title.starts_with("Start etcd"))
        .expect("a second start");
    assert!(set < first_start && first_start < removed && removed < restart);
    assert_eq!(
        plan.steps[removed].action,
        Action::SetConfValue {
            conf: "/etc/etcd/etcd.conf".into(),
            key: FORCE_NEW_CLUSTER.into(),
            value: None
        }
    );
}

#[test]
fn a_stopped_container_is_restored_through_a_one_off_container_of_its_image() {
    let mut facts = facts();
    facts.members[0].service = EtcdService::Container("etcd_container".into());
    facts.members[0].image = Some("registry/etcd:3.4".into());
    let plan = plan_cluster_restore(&facts);
    assert_eq!(
        argv_of(&plan.steps[position(&plan, "Stop etcd")]),
        ["docker", "stop", "etcd_container"]
    );
    let restore = argv_of(&plan.steps[position(&plan, "Restore the etcd data")]);
    assert_eq!(
        restore[..16],
        [
            "docker",
            "run",
            "--rm",
            "--security-opt",
            "label=disable",
            "-e",
            "ETCDCTL_API=3",
            "-v",
            "/backups/b1:/backups/b1:ro",
            "-v",
            "/var/lib:/var/lib",
            "--entrypoint",
            "etcdctl",
            "registry/etcd:3.4",
            "snapshot",
            "restore"
        ]
    );
    let inside = &plan.steps[position(&plan, "Check health from inside etcd_container")];
    assert!(matches!(
        &inside.action,
        Action::Run(spec) if spec.target == Target::DockerExec { container: "etcd_container".into() }
    ));
}

#[test]
fn disaster_recovery_restores_every_member_with_one_new_token_and_lists_remote_commands() {
    let mut facts = facts();
    facts.disaster_recovery = true;
    facts.cluster_token = "lifeboat-restore-1".into();
    facts.members = vec![
        member("etcd-1", true),
        member("etcd-2", false),
        member("etcd-3", false),
    ];
    let plan = plan_cluster_restore(&facts);
    assert!(plan.summary.starts_with("DISASTER RECOVERY"));
    let local = argv_of(&plan.steps[position(&plan, "Restore the etcd data")]);
    assert!(
        local.contains(
            &"etcd-1=https://etcd-1:2380,etcd-2=https://etcd-2:2380,etcd-3=https://etcd-3:2380"
                .to_string()
        )
    );
    assert!(local.contains(&"lifeboat-restore-1".to_string()));
    let remote = &plan.steps[position(&plan, "On the host of etcd-2")];
    let Action::Manual { checklist } = &remote.action else {
        panic!("remote members are a checklist");
    };
    assert!(
        checklist
            .iter()
            .any(|c| c.contains("--name etcd-2") && c.contains("lifeboat-restore-1"))
    );
    // Remote members are restored before this host's member is stopped and started.
    assert!(position(&plan, "On the host of etcd-3") < position(&plan, "Start etcd"));
}
