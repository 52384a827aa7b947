use super::*;
use crate::connection::{Endpoints, Source};

/// The planner, with every plan these tests look at validated first (`Plan::validate`).
fn plan_cluster_backup(facts: &ClusterBackupFacts) -> Plan {
    crate::procedures::validated(super::plan_cluster_backup(facts))
}

fn facts(method: BackupMethod) -> ClusterBackupFacts {
    ClusterBackupFacts {
        connection: ConnectionSettings {
            target: Endpoints {
                endpoints: vec!["https://10.0.0.1:2379".into()],
                ..Endpoints::default()
            },
            source: Source::Flags,
        },
        out: "/backups/b1".into(),
        method,
        host: "master-0".into(),
        master_dir: "/etc/origin/master".into(),
        master_files_present: Some(vec!["ca.crt".into(), "ca.key".into()]),
        installation_files: vec![],
        etc_etcd: Some("/etc/etcd".into()),
        snapshot_source: Some(("https://10.0.0.1:2379".into(), 1 << 20)),
        identity: BundleIdentity::default(),
        etcdctl: Some("/usr/bin/etcdctl".into()),
        etcdutl: None,
        target: Target::Local,
        data_dir: "/var/lib/etcd".into(),
        stop: None,
    }
}

fn titles(plan: &Plan) -> Vec<&str> {
    plan.steps.iter().map(|s| s.title.as_str()).collect()
}

#[test]
fn snapshot_backup_steps_in_order_and_nothing_changes_the_host() {
    let plan = plan_cluster_backup(&facts(BackupMethod::Snapshot));
    assert_eq!(
        titles(&plan),
        [
            "Prepare the bundle directory",
            "Save the master certificates and keys",
            "Save the installation files",
            "Save /etc/etcd",
            "Stream a v3 snapshot from https://10.0.0.1:2379",
            "Read the snapshot back",
            "Seal the bundle",
            "Leave nothing half-written"
        ]
    );
    assert!(
        matches!(plan.steps[2].action, Action::Skip { .. }),
        "no installation files"
    );
    let Action::Archive {
        entries, to, mode, ..
    } = &plan.steps[1].action
    else {
        panic!("the master files are archived");
    };
    assert_eq!(entries, &[PathBuf::from("ca.crt"), PathBuf::from("ca.key")]);
    assert_eq!(
        to,
        &PathBuf::from("/backups/b1.partial/certs-and-keys-master-0.tar")
    );
    assert_eq!(*mode, 0o600);
    assert!(
        plan.steps[1]
            .reason
            .contains("MISSING: master.proxy-client.crt")
    );
    assert!(plan.steps.last().is_some_and(|s| s.always_run));
    assert!(plan.steps.iter().all(|s| s.risk <= Risk::Reversible));
}

#[test]
fn datadir_backup_stops_and_always_restarts_etcd() {
    let mut f = facts(BackupMethod::Datadir);
    f.stop = Some(EtcdService::Systemd);
    let plan = plan_cluster_backup(&f);
    let stop = plan
        .steps
        .iter()
        .position(|s| s.title == "Stop etcd")
        .expect("stop step");
    let start = plan
        .steps
        .iter()
        .position(|s| s.title == "Start etcd again")
        .expect("start step");
    assert!(stop < start && plan.steps[start].always_run && !plan.steps[stop].always_run);
    let Action::Run(backup) = &plan.steps[stop + 1].action else {
        panic!("etcdctl backup runs");
    };
    assert_eq!(
        backup.argv,
        [
            "/usr/bin/etcdctl",
            "backup",
            "--data-dir",
            "/var/lib/etcd",
            "--backup-dir",
            "/backups/b1.partial/etcd-datadir",
            "--with-v3"
        ]
    );
    assert_eq!(backup.env, [("ETCDCTL_API".to_string(), "2".to_string())]);
    assert!(
        backup.timeout_secs.is_some(),
        "a lock held by a running etcd must not hang the wizard"
    );
}

#[test]
fn datadir_through_docker_exec_copies_the_backup_out() {
    let mut f = facts(BackupMethod::Datadir);
    f.target = Target::DockerExec {
        container: "etcd_container".into(),
    };
    let plan = plan_cluster_backup(&f);
    let runs: Vec<&CommandSpec> = plan
        .steps
        .iter()
        .filter_map(|s| match &s.action {
            Action::Run(spec) => Some(spec),
            _ => None,
        })
        .collect();
    assert_eq!(runs[0].target, f.target);
    assert_eq!(runs[0].argv[5], "/var/lib/etcd.bak");
    assert_eq!(
        runs[1].argv,
        [
            "docker",
            "cp",
            "etcd_container:/var/lib/etcd.bak",
            "/backups/b1.partial/etcd-datadir"
        ]
    );
}

#[test]
fn a_host_that_is_not_a_master_skips_with_the_reason() {
    let mut f = facts(BackupMethod::Snapshot);
    f.master_files_present = None;
    let plan = plan_cluster_backup(&f);
    let Action::Skip { reason } = &plan.steps[1].action else {
        panic!("skipped");
    };
    assert!(reason.contains("not an OpenShift master"), "{reason}");
    let Action::SealBundle { identity, .. } = &plan.steps[6].action else {
        panic!("sealed");
    };
    assert!(
        identity
            .notes
            .iter()
            .any(|n| n.contains("not an OpenShift master"))
    );
}

#[test]
fn the_offline_copy_runs_with_etcdutl_where_etcd_3_5_put_it() {
    let mut facts = facts(BackupMethod::Datadir);
    facts.etcdutl = Some("/usr/bin/etcdutl".into());
    let plan = plan_cluster_backup(&facts);
    let backup = plan
        .steps
        .iter()
        .find_map(|s| match &s.action {
            Action::Run(command) if command.argv.get(1).is_some_and(|a| a == "backup") => {
                Some(command)
            }
            _ => None,
        })
        .expect("the data directory is backed up");
    assert_eq!(backup.argv[0], "/usr/bin/etcdutl");
    assert!(
        backup.env.is_empty(),
        "etcdutl has no API switch: {:?}",
        backup.env
    );
    // Inside a container the image's own etcdctl is used, as the procedure does.
    facts.target = Target::DockerExec {
        container: "etcd_container".into(),
    };
    let plan = plan_cluster_backup(&facts);
    assert!(
        plan.steps.iter().any(|s| matches!(&s.action,
            Action::Run(c) if c.argv[..2] == ["etcdctl", "backup"])),
        "{:#?}",
        plan.steps
    );
}
