//! The TUI as a person sees it: frames rendered on ratatui's TestBackend from hand-made
//! cluster states and key presses (insta snapshots), and one end-to-end run of the real
//! binary in tmux against a real sandbox.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::screens::*;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lifeboat::etcd::Alarm;
use lifeboat::plan::Target;
use lifeboat::procedures::{HealthCheckFacts, plan_health_check};
use lifeboat::run::{ConfirmRequest, Decision, RunEvent, StepOutcome};
use lifeboat::tui::{App, Effect, Msg, Screen, update};

#[test]
fn dashboard_of_a_healthy_cluster() {
    let app = app_with(Some(snapshot((1..=3).map(status).collect(), vec![])));
    let frame = render(&app);
    insta::assert_snapshot!(frame);
    assert!(frame.contains("tolerates 1 more failure"));
    assert!(frame.contains("below the member-add threshold (700 MB)"));
    assert!(
        frame.contains("12d  CN=master-0"),
        "the expiring peer certificate is listed first"
    );
    assert!(frame.contains("systemd etcd: active"));
    assert!(frame.contains("Kubernetes: no kubeconfig"));
}

#[test]
fn dashboard_of_a_degraded_cluster_with_an_alarm() {
    let alarm = Alarm {
        member_id: 0x1001,
        alarm: "NOSPACE".into(),
    };
    let app = app_with(Some(snapshot(
        vec![status(1), status(2), down(3)],
        vec![alarm],
    )));
    let frame = render(&app);
    insta::assert_snapshot!(frame);
    assert!(frame.contains("ONE MORE FAILURE LOSES QUORUM"));
    assert!(frame.contains("✗ etcd-3 (1003): no answer within 3s"));
    assert!(frame.contains("ALARM NOSPACE on member 1001"));
}

#[test]
fn dashboard_of_a_cluster_that_lost_quorum() {
    let mut lost = snapshot(vec![status(1), down(2), down(3)], vec![]);
    lost.members = Err("https://10.0.0.1:2379: etcdserver: request timed out".into());
    let frame = render(&app_with(Some(lost)));
    assert!(frame.contains("member list unavailable"));
    insta::assert_snapshot!(frame);
}

#[test]
fn welcome_offers_the_sandbox_when_nothing_is_configured() {
    let mut app = App::new(None, at(0));
    assert_eq!(app.screen, Screen::Welcome);
    let frame = render(&app);
    // lifeboat does not start the rehearsal cluster itself (it lives in a crate of its own):
    // the welcome says which command does.
    assert!(frame.contains("make demo"), "{frame}");
    assert!(frame.contains("lifeboat-sandbox up"), "{frame}");
    insta::assert_snapshot!(frame);
    assert!(update(&mut app, key(KeyCode::Char('s'))).is_empty());
}

#[test]
fn help_overlay_opens_and_closes() {
    let mut app = app_with(Some(snapshot((1..=3).map(status).collect(), vec![])));
    update(&mut app, key(KeyCode::Char('?')));
    let frame = render(&app);
    assert!(frame.contains("Help — Esc to close"));
    insta::assert_snapshot!(frame);
    update(&mut app, key(KeyCode::Esc));
    assert!(!render(&app).contains("Help — Esc to close"));
    assert_eq!(
        app.screen,
        Screen::Dashboard,
        "Esc closed the help, not the dashboard"
    );
}

#[test]
fn refresh_rate_is_visible_and_adjustable() {
    let mut app = app_with(None);
    assert!(render(&app).contains("refresh every 2s"));
    assert_eq!(
        update(&mut app, key(KeyCode::Char('-'))),
        [Effect::SetRefreshInterval(Duration::from_secs(5))]
    );
    assert!(render(&app).contains("refresh every 5s"));
    update(&mut app, key(KeyCode::Char('+')));
    update(&mut app, key(KeyCode::Char('+')));
    assert!(render(&app).contains("refresh every 1s"));
}

#[test]
fn wizard_asks_before_each_step_and_shows_the_command() {
    let mut app = app_with(Some(snapshot((1..=3).map(status).collect(), vec![])));
    let effects = update(&mut app, key(KeyCode::Enter));
    assert_eq!(effects.len(), 1);
    assert!(matches!(effects[0], Effect::StartPlan(_)));

    let plan = plan_health_check(&HealthCheckFacts {
        connection: connection(),
        etcdctl: Some("/usr/bin/etcdctl".into()),
        target: Target::Local,
    });
    update(&mut app, Msg::PlanReady(plan.clone()));
    for index in 0..2 {
        update(&mut app, Msg::Run(RunEvent::StepStarted { index }));
        update(
            &mut app,
            Msg::Run(RunEvent::StepFinished {
                index,
                outcome: StepOutcome::Succeeded {
                    summary: "fine".into(),
                },
            }),
        );
    }
    let (request, mut answer) = ConfirmRequest::new(2, plan.steps[2].clone());
    update(&mut app, Msg::Confirm(Box::new(request)));
    let frame = render(&app);
    assert!(frame.contains("Run step 3 \"Check for alarms\" (read-only)?"));
    insta::assert_snapshot!(frame);

    assert!(
        answer.try_recv().is_err(),
        "nothing is decided before a key is pressed"
    );
    update(&mut app, key(KeyCode::Char('y')));
    assert_eq!(answer.try_recv(), Ok(Decision::Run));
}

#[test]
fn quitting_with_a_question_open_aborts_the_plan() {
    let mut app = app_with(None);
    let plan = plan_health_check(&HealthCheckFacts {
        connection: connection(),
        etcdctl: None,
        target: Target::Local,
    });
    update(&mut app, Msg::PlanReady(plan.clone()));
    let (request, mut answer) = ConfirmRequest::new(0, plan.steps[0].clone());
    update(&mut app, Msg::Confirm(Box::new(request)));
    let quit = Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert_eq!(update(&mut app, quit), [Effect::Quit]);
    assert_eq!(answer.try_recv(), Ok(Decision::Abort));
}

#[test]
fn quitting_while_a_step_runs_asks_first_then_stops_after_it() {
    let mut app = app_with(None);
    let plan = plan_health_check(&HealthCheckFacts {
        connection: connection(),
        etcdctl: None,
        target: Target::Local,
    });
    update(&mut app, Msg::PlanReady(plan));
    update(&mut app, Msg::Run(RunEvent::StepStarted { index: 0 }));
    // Ctrl-C only asks: leaving now would skip the cleanup of a running plan.
    let ctrl_c = || Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(update(&mut app, ctrl_c()).is_empty());
    assert!(!app.quit);
    let asked = app.notice.clone().unwrap_or_default();
    assert!(asked.contains("A step is running"), "{asked}");
    // Any other key keeps going.
    assert!(update(&mut app, key(KeyCode::Char('x'))).is_empty());
    assert!(!app.quit && app.notice.is_none());
    // From the wizard q leads back to the dashboard, where q asks; q again stops: the event
    // loop stops the plan and waits for its always-run steps.
    assert!(update(&mut app, key(KeyCode::Char('q'))).is_empty());
    assert_eq!(app.screen, Screen::Dashboard);
    assert!(update(&mut app, key(KeyCode::Char('q'))).is_empty());
    assert!(
        app.notice
            .as_deref()
            .is_some_and(|n| n.contains("A step is running"))
    );
    assert_eq!(update(&mut app, key(KeyCode::Char('q'))), [Effect::Quit]);
    assert!(app.quit);
}

/// The real binary in a real terminal (tmux) against a real sandbox.
#[test]
fn end_to_end_in_tmux_shows_every_member_and_quits_cleanly() {
    if !common::have("etcd") || !common::have("tmux") {
        return;
    }
    let sandbox = common::Sandbox::up(3);
    let socket = format!("lifeboat-test-{}", std::process::id());
    let tmux = |args: &[&str]| {
        Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .output()
            .expect("tmux runs")
    };
    let mut env_args = Vec::new();
    for (key, value) in sandbox.env() {
        env_args.push(format!("{key}={value}"));
    }
    let home = sandbox.lifeboat.home.path();
    env_args.push(format!("XDG_STATE_HOME={}", home.join("state").display()));
    env_args.push(format!("XDG_DATA_HOME={}", home.join("data").display()));
    let script = format!(
        "env {} {}; echo lifeboat-exited-$?; sleep 60",
        env_args.join(" "),
        env!("CARGO_BIN_EXE_lifeboat")
    );
    let started = tmux(&[
        "new-session",
        "-d",
        "-s",
        "e2e",
        "-x",
        "140",
        "-y",
        "36",
        &script,
    ]);
    assert!(started.status.success(), "{}", common::text(&started));
    let capture =
        || String::from_utf8_lossy(&tmux(&["capture-pane", "-p", "-t", "e2e"]).stdout).into_owned();
    let wait_for = |what: &dyn Fn(&str) -> bool| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let screen = capture();
            if what(&screen) || Instant::now() > deadline {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    };
    let screen = wait_for(&|s| {
        ["etcd-1", "etcd-2", "etcd-3", "leader"]
            .iter()
            .all(|n| s.contains(n))
    });
    let shown = ["etcd-1", "etcd-2", "etcd-3"]
        .iter()
        .all(|n| screen.contains(n));
    let healthy = screen.matches("healthy").count();
    tmux(&["send-keys", "-t", "e2e", "q"]);
    let after = wait_for(&|s| s.contains("lifeboat-exited-"));
    tmux(&["kill-server"]);
    assert!(shown, "every member is on screen:\n{screen}");
    assert!(healthy >= 3, "every member is healthy:\n{screen}");
    assert!(
        after.contains("lifeboat-exited-0"),
        "q exits with status 0:\n{after}"
    );
    assert!(
        !after.contains("Members (3)"),
        "the terminal is restored:\n{after}"
    );
}

#[test]
fn the_member_table_switches_between_raft_progress_and_urls() {
    let mut lagging = status(3);
    if let Ok(s) = lagging.result.as_mut() {
        s.raft_index -= 250;
        s.raft_applied_index -= 250;
    }
    let mut app = app_with(Some(snapshot(vec![status(1), status(2), lagging], vec![])));
    let raft = render(&app);
    assert!(raft.contains("APPLIED"), "{raft}");
    assert!(
        raft.contains(" 250 "),
        "the lag of etcd-3 is shown:\n{raft}"
    );
    update(&mut app, key(KeyCode::Char('u')));
    let urls = render(&app);
    assert!(
        urls.contains("PEER URLS") && urls.contains("https://10.0.0.3:2380"),
        "{urls}"
    );
}

#[test]
fn backup_wizard_shows_a_progress_gauge_while_streaming() {
    use lifeboat::bundle::BundleIdentity;
    use lifeboat::procedures::{BackupMethod, ClusterBackupFacts, plan_cluster_backup};
    let mut app = app_with(Some(snapshot((1..=3).map(status).collect(), vec![])));
    let plan = plan_cluster_backup(&ClusterBackupFacts {
        connection: connection(),
        out: "/var/backups/lifeboat/cluster-1".into(),
        method: BackupMethod::Snapshot,
        host: "master-0".into(),
        master_dir: "/etc/origin/master".into(),
        master_files_present: None,
        installation_files: vec![],
        etc_etcd: None,
        snapshot_source: Some(("https://10.0.0.1:2379".into(), 24 * 1024 * 1024)),
        identity: BundleIdentity::default(),
        etcdctl: Some("/usr/bin/etcdctl".into()),
        etcdutl: None,
        target: Target::Local,
        data_dir: "/var/lib/etcd".into(),
        stop: None,
    });
    update(&mut app, Msg::PlanReady(plan));
    update(&mut app, Msg::Run(RunEvent::StepStarted { index: 4 }));
    update(
        &mut app,
        Msg::Run(RunEvent::Progress {
            index: 4,
            done: 12 * 1024 * 1024,
            total: Some(24 * 1024 * 1024),
        }),
    );
    let frame = render(&app);
    assert!(frame.contains("Progress"), "{frame}");
    assert!(frame.contains("12.0 MiB of ~24.0 MiB"), "{frame}");
    // The rate depends on the clock, so only the stable part of the frame is compared.
    let stable: String = frame.lines().take(12).collect::<Vec<_>>().join("\n");
    insta::assert_snapshot!(stable);
}

#[test]
fn restore_wizard_asks_before_the_destructive_step_and_shows_the_way_back() {
    use lifeboat::bundle::SnapshotStats;
    use lifeboat::procedures::{
        ClusterRestoreFacts, EtcdService, RestoreData, RestoreMember, plan_cluster_restore,
    };
    let mut app = app_with(Some(snapshot(vec![status(1)], vec![])));
    let plan = plan_cluster_restore(&ClusterRestoreFacts {
        connection: connection(),
        bundle: "/var/backups/lifeboat/cluster-1".into(),
        bundle_host: "master-0".into(),
        data: RestoreData::Snapshot("/var/backups/lifeboat/cluster-1/etcd-snapshot.db".into()),
        stats: Some(SnapshotStats {
            revision: 4242,
            total_keys: 120,
            total_size: 1 << 20,
            keys: Some(97),
        }),
        certificates: Err("the bundle holds no certificates and keys".into()),
        installation_archives: vec![],
        members: vec![RestoreMember {
            name: "master-0".into(),
            peer_url: "https://10.0.0.1:2380".into(),
            client_urls: vec!["https://10.0.0.1:2379".into()],
            data_dir: "/var/lib/etcd".into(),
            keep_as: Some("/var/lib/etcd.orig".into()),
            service: EtcdService::Systemd,
            conf: Some("/etc/etcd/etcd.conf".into()),
            local: true,
            image: None,
        }],
        disaster_recovery: false,
        cluster_token: "etcd-cluster".into(),
        etcdctl: "/usr/bin/etcdctl".into(),
        etcdutl: None,
        restore_abilities: Default::default(),
        selinux: Err("SELinux is not enabled on this host".into()),
        owner: Ok("etcd:etcd".into()),
    });
    update(&mut app, Msg::PlanReady(plan.clone()));
    let restore = plan
        .steps
        .iter()
        .position(|s| s.title.starts_with("Restore the etcd data"))
        .expect("a restore step");
    for index in 0..restore {
        update(&mut app, Msg::Run(RunEvent::StepStarted { index }));
        update(
            &mut app,
            Msg::Run(RunEvent::StepFinished {
                index,
                outcome: StepOutcome::Succeeded {
                    summary: "done".into(),
                },
            }),
        );
    }
    let (request, mut answer) = ConfirmRequest::new(restore, plan.steps[restore].clone());
    update(&mut app, Msg::Confirm(Box::new(request)));
    let frame = render(&app);
    assert!(frame.contains("(destructive)?"), "{frame}");
    assert!(frame.contains("etcdctl snapshot restore"), "{frame}");
    assert!(frame.contains("If it fails: To go back"), "{frame}");
    insta::assert_snapshot!(frame);
    update(&mut app, key(KeyCode::Char('n')));
    assert_ne!(answer.try_recv(), Ok(Decision::Run));
}

fn jenkins_and_shop() -> Vec<lifeboat::kube::workload::Workload> {
    use lifeboat::kube::workload::{Workload, WorkloadKind, WorkloadRef, WorkloadVolume};
    let volume = |name: &str, mount: &str, claim: Option<&str>, source: &str| WorkloadVolume {
        name: name.into(),
        container: "main".into(),
        mount_path: mount.into(),
        claim: claim.map(String::from),
        source: source.into(),
        read_only: false,
    };
    vec![
        Workload {
            namespace: "ci".into(),
            reference: WorkloadRef {
                kind: WorkloadKind::DeploymentConfig,
                name: "jenkins".into(),
            },
            replicas: 1,
            selector: "deploymentconfig=jenkins".into(),
            volumes: vec![volume(
                "jenkins-data",
                "/var/lib/jenkins",
                Some("jenkins"),
                "persistentVolumeClaim",
            )],
        },
        Workload {
            namespace: "shop".into(),
            reference: WorkloadRef {
                kind: WorkloadKind::Deployment,
                name: "web".into(),
            },
            replicas: 2,
            selector: "app=shop,tier=web".into(),
            volumes: vec![
                volume("nginx-conf", "/etc/nginx/conf.d", None, "configMap"),
                volume("cache", "/var/cache/shop", None, "emptyDir"),
            ],
        },
    ]
}

#[test]
fn app_data_picker_shows_mount_paths_and_claims_and_starts_a_backup() {
    let mut app = app_with(Some(snapshot((1..=3).map(status).collect(), vec![])));
    let effects = update(&mut app, key(KeyCode::Char('a')));
    assert_eq!(effects, vec![Effect::LoadWorkloads]);
    assert_eq!(app.screen, Screen::AppData);
    assert!(render(&app).contains("Listing DeploymentConfigs"));
    update(&mut app, Msg::Workloads(Ok(jenkins_and_shop())));
    let frame = render(&app);
    assert!(frame.contains("[x] jenkins-data"), "{frame}");
    assert!(frame.contains("[ ] cache"), "{frame}");
    insta::assert_snapshot!(frame);
    // Space ticks the emptyDir too; Enter backs up the selected workload's ticked volumes.
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Char(' ')));
    let effects = update(&mut app, key(KeyCode::Enter));
    assert_eq!(
        effects,
        vec![Effect::StartAppData(lifeboat::tui::AppDataRequest {
            namespace: "shop".into(),
            workload: "deployment/web".into(),
            volumes: vec!["cache".into()],
            restore: false,
        })]
    );
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Dashboard);
}

#[test]
fn app_data_wizard_shows_the_copy_gauge_and_the_file_count() {
    use lifeboat::procedures::{AppDataBackupFacts, plan_app_data_backup};
    let mut app = app_with(Some(snapshot((1..=3).map(status).collect(), vec![])));
    let workload = jenkins_and_shop().remove(0);
    let plan = plan_app_data_backup(&AppDataBackupFacts {
        volumes: vec![(workload.volumes[0].clone(), Some(200 * 1024 * 1024))],
        workload,
        pod: "jenkins-1-x7k2p".into(),
        out: "/var/backups/lifeboat/appdata-ci-dc-jenkins-1".into(),
        host: "master-0".into(),
    });
    update(&mut app, Msg::PlanReady(plan));
    update(&mut app, Msg::Run(RunEvent::StepStarted { index: 2 }));
    update(
        &mut app,
        Msg::Run(RunEvent::Output {
            index: 2,
            stream: lifeboat::exec::OutputStream::Stdout,
            line: "1204 files, 80.0 MiB so far".into(),
        }),
    );
    update(
        &mut app,
        Msg::Run(RunEvent::Progress {
            index: 2,
            done: 80 * 1024 * 1024,
            total: Some(200 * 1024 * 1024),
        }),
    );
    let frame = render(&app);
    assert!(frame.contains("80.0 MiB of ~200.0 MiB"), "{frame}");
    assert!(frame.contains("1204 files"), "{frame}");
    assert!(frame.contains("tar cf - -C /var/lib/jenkins ."), "{frame}");
}
