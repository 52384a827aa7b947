//! "Browse a cluster backup" as a person sees it, on ratatui's TestBackend: opened from the
//! palette, the backups, a backup's projects with their counts and their difference from the
//! live cluster, Enter on a project starts its export out of the snapshot, and a finished
//! export opens the project restore with its dry run first.

mod common;

use common::screens::*;
use crossterm::event::KeyCode;
use lifeboat::plan::{Action, Check, Plan, Procedure, Risk, Step};
use lifeboat::run::{PlanOutcome, RunEvent};
use lifeboat::tui::snapshot_browser::{BundleRow, ProjectRow};
use lifeboat::tui::{Effect, Msg, Screen, update};

fn bundles() -> Vec<BundleRow> {
    vec![
        BundleRow {
            path: "/var/backups/lifeboat/cluster-20261130-0100".into(),
            created: "2026-11-30T01:00:02Z".into(),
            revision: Some(48213),
        },
        BundleRow {
            path: "/var/backups/lifeboat/cluster-20261129-0100".into(),
            created: "2026-11-29T01:00:03Z".into(),
            revision: Some(47001),
        },
    ]
}

fn projects() -> Vec<ProjectRow> {
    vec![
        ProjectRow {
            namespace: "ci".into(),
            objects: 14,
            kinds: "DeploymentConfig 1, Route 1, Secret 8, Service 2, ServiceAccount 2".into(),
            live: "same".into(),
        },
        ProjectRow {
            namespace: "shop".into(),
            objects: 23,
            kinds: "ConfigMap 2, Deployment 2, PersistentVolumeClaim 1, Secret 10".into(),
            live: "gone from the live cluster".into(),
        },
    ]
}

#[test]
fn a_backup_s_projects_are_shown_against_the_live_cluster_and_one_comes_back() {
    let mut app = app_with(None);
    update(&mut app, key(KeyCode::Char(':')));
    for c in "browse".chars() {
        update(&mut app, key(KeyCode::Char(c)));
    }
    let effects = update(&mut app, key(KeyCode::Enter));
    assert_eq!(effects, [Effect::LoadClusterBackups]);
    assert_eq!(app.screen, Screen::SnapshotBrowser);
    update(&mut app, Msg::SnapshotBundles(Ok(bundles())));
    insta::assert_snapshot!("backups", render(&app));

    let effects = update(&mut app, key(KeyCode::Enter));
    assert_eq!(
        effects,
        [Effect::LoadSnapshotProjects(
            "/var/backups/lifeboat/cluster-20261130-0100".into()
        )]
    );
    update(&mut app, Msg::SnapshotProjects(Ok(projects())));
    update(&mut app, key(KeyCode::Down));
    insta::assert_snapshot!("projects", render(&app));

    let effects = update(&mut app, key(KeyCode::Enter));
    assert_eq!(
        effects,
        [Effect::StartSnapshotExport {
            source: "/var/backups/lifeboat/cluster-20261130-0100".into(),
            namespace: "shop".into(),
        }]
    );

    // The export's plan ran to the end: the project restore follows, dry run first.
    let out = std::path::PathBuf::from("/var/backups/lifeboat/from-backup-x/shop");
    let plan = Plan {
        procedure: Procedure::SnapshotExport,
        title: "Project export from a cluster backup".into(),
        summary: String::new(),
        etcdctl_flags: vec![],
        steps: vec![Step::new(
            "Read project shop out of the snapshot",
            "why",
            Risk::ReadOnly,
            Action::ExportFromSnapshot {
                source: "/var/backups/lifeboat/cluster-20261130-0100".into(),
                namespace: "shop".into(),
                out: out.clone(),
                accept_unknown_fields: false,
            },
            Check::Completed,
            "way back",
        )],
    };
    update(&mut app, Msg::PlanReady(plan));
    let effects = update(
        &mut app,
        Msg::Run(RunEvent::PlanFinished {
            outcome: PlanOutcome::Completed,
        }),
    );
    assert!(
        effects.contains(&Effect::StartProjectRestore {
            from: out,
            rename: None,
            preview: true,
        }),
        "{effects:?}"
    );
}

#[test]
fn a_backup_that_cannot_be_read_says_why() {
    let mut app = app_with(None);
    update(&mut app, key(KeyCode::Char(':')));
    for c in "browse".chars() {
        update(&mut app, key(KeyCode::Char(c)));
    }
    update(&mut app, key(KeyCode::Enter));
    update(&mut app, Msg::SnapshotBundles(Ok(bundles())));
    update(&mut app, key(KeyCode::Enter));
    update(
        &mut app,
        Msg::SnapshotProjects(Err(
            "/var/backups/lifeboat/cluster-20261130-0100/etcd-snapshot.db is not an etcd database: page 7 says it is page 0".into(),
        )),
    );
    assert!(render(&app).contains("page 7 says it is page 0"));
    update(&mut app, key(KeyCode::Esc));
    update(&mut app, key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Dashboard);
}
