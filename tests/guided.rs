//! The guided procedures as a person sees them, on ratatui's TestBackend: the palette, each
//! form with a validation error, the member table's details and actions, the plan preview,
//! the run to the next destructive step, and the summary.

mod common;

use std::path::PathBuf;

use common::screens::*;
use crossterm::event::KeyCode;
use lifeboat::plan::Target;
use lifeboat::procedures::{HealthCheckFacts, plan_health_check};
use lifeboat::run::{ConfirmRequest, Decision, PlanOutcome, RunEvent, StepOutcome};
use lifeboat::tui::form::{
    BackupForm, BundleChoice, FormRequest, JoinForm, MemberChoice, RealHost, ReplaceForm,
    RestoreForm,
};
use lifeboat::tui::{App, Effect, Msg, Screen, update};

fn degraded() -> App {
    app_with(Some(snapshot(vec![status(1), status(2), down(3)], vec![])))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        update(app, key(KeyCode::Char(c)));
    }
}

/// Paths that exist on no machine, so that the errors they draw are the same everywhere.
fn nowhere(path: &str) -> PathBuf {
    PathBuf::from("/nonexistent-lifeboat-test").join(path)
}

fn replace_spec() -> ReplaceForm {
    let member = |i: u8, healthy: bool| MemberChoice {
        name: format!("etcd-{i}"),
        id: 0x1000 + u64::from(i),
        healthy,
        peer_urls: vec![format!("https://10.0.0.{i}:2380")],
        client_urls: vec![format!("https://10.0.0.{i}:2379")],
        error: (!healthy).then(|| "no answer within 3s".into()),
        diverged: false,
    };
    ReplaceForm {
        members: vec![member(1, true), member(2, true), member(3, false)],
        db_size: Some(24 << 20),
        preselect: None,
        etcd_conf: nowhere("etcd.conf"),
        ca_dir: nowhere("ca"),
        default_out: nowhere("join"),
        process_cluster: None,
    }
}

fn show(app: &mut App, form: lifeboat::tui::form::Form) {
    app.form = Some(form);
    app.screen = Screen::Form;
}

#[test]
fn the_palette_filters_procedures_as_you_type_and_opens_one() {
    let mut app = degraded();
    update(&mut app, key(KeyCode::Char(':')));
    type_text(&mut app, "rep");
    let frame = render(&app);
    assert!(frame.contains(":rep"), "{frame}");
    assert!(frame.contains("Replace a failed member"), "{frame}");
    assert!(
        !frame.contains("export    Project export"),
        "filtered out:\n{frame}"
    );
    insta::assert_snapshot!(frame);
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Form);
    let form = app.form.as_ref().expect("the replace form");
    assert_eq!(form.title, "Replace a failed member");
    assert_eq!(
        lifeboat::tui::form::answer(&form.fields, "failed"),
        "etcd-3",
        "the one member that is down is chosen"
    );
}

#[test]
fn the_replace_form_shows_its_command_line_and_an_error_as_typed() {
    let mut app = degraded();
    show(&mut app, replace_spec().form(&RealHost));
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Tab));
    type_text(&mut app, "10.0.0.300");
    let frame = render(&app);
    assert!(
        frame.contains("✗ \"10.0.0.300\" is not a valid IP address"),
        "{frame}"
    );
    assert!(
        frame.contains(
            "lifeboat member replace --failed etcd-3 --new-name etcd-4 --new-host 10.0.0.300"
        ),
        "{frame}"
    );
    insta::assert_snapshot!(frame);
    for _ in 0..3 {
        update(&mut app, key(KeyCode::Backspace));
    }
    type_text(&mut app, "14");
    let frame = render(&app);
    assert!(
        frame.contains("--new-host 10.0.0.14"),
        "the line follows the typing:\n{frame}"
    );
    assert!(!frame.contains("not a valid IP"), "{frame}");
}

#[test]
fn the_backup_form_offers_the_containers_found_and_refuses_an_existing_directory() {
    let mut app = degraded();
    let out = std::env::temp_dir();
    let spec = BackupForm {
        db_size: Some(24 << 20),
        containers: vec![(
            "etcd_container".into(),
            "registry.access.redhat.com/rhel7/etcd".into(),
        )],
        default_out: out.clone(),
    };
    show(&mut app, spec.form(&RealHost));
    let frame = render(&app);
    assert!(frame.contains("already exists"), "{frame}");
    assert!(frame.contains("docker exec etcd_container"), "{frame}");
    assert!(frame.contains("--docker etcd_container"), "{frame}");
    let frame = frame.replace(&out.display().to_string(), "/tmp");
    insta::assert_snapshot!(frame);
}

#[test]
fn the_restore_form_lists_bundles_with_their_manifests_and_restores_one_not_the_newest() {
    let mut app = app_with(Some(snapshot(vec![status(1)], vec![])));
    let bundle = |name: &str, summary: &str| BundleChoice {
        path: nowhere(name),
        summary: format!("{name}  {summary}"),
        snapshot: true,
    };
    let spec = RestoreForm {
        bundles: vec![
            bundle(
                "cluster-20261130-0400",
                "2026-11-30 04:00 · cluster c1 · rev 900 · 640 keys · 24.0 MiB · from master-0",
            ),
            bundle(
                "cluster-20261129-0400",
                "2026-11-29 04:00 · cluster c1 · rev 700 · 610 keys · 23.5 MiB · from master-0",
            ),
        ],
        live_members: Some(1),
        containers: vec![],
        etcd_conf: None,
        backups_dir: nowhere("backups"),
        disaster_recovery: false,
    };
    show(&mut app, spec.form(&RealHost));
    update(&mut app, key(KeyCode::Right));
    for _ in 0..3 {
        update(&mut app, key(KeyCode::Tab));
    }
    let typo = nowhere("etcd.conf").display().to_string();
    type_text(&mut app, &typo);
    let frame = render(&app);
    assert!(
        frame.contains(&format!("✗ there is no etcd.conf at {typo}")),
        "{frame}"
    );
    assert!(
        frame.contains("rev 700"),
        "the second bundle is chosen:\n{frame}"
    );
    assert!(frame.contains("(2 of 2)"), "{frame}");
    insta::assert_snapshot!(frame);
    let clear = crossterm::event::KeyEvent::new(
        KeyCode::Char('u'),
        crossterm::event::KeyModifiers::CONTROL,
    );
    update(&mut app, Msg::Key(clear));
    assert!(
        !render(&app).contains('✗'),
        "Ctrl-U cleared the answer and its error"
    );
    let effects: Vec<Effect> = (0..8)
        .flat_map(|_| update(&mut app, key(KeyCode::Enter)))
        .collect();
    match effects.as_slice() {
        [Effect::PlanRequest(FormRequest::Restore(request))] => {
            assert_eq!(request.bundle, nowhere("cluster-20261129-0400"));
            assert!(!request.disaster_recovery);
        }
        other => panic!("the form plans a restore: {other:?}"),
    }
}

#[test]
fn the_join_form_reports_a_missing_bundle() {
    let mut app = degraded();
    let spec = JoinForm {
        bundles: vec![nowhere("etcd-4.tgz")],
        systemd: true,
        process_cluster: None,
    };
    show(&mut app, spec.form(&RealHost));
    let frame = render(&app);
    assert!(frame.contains("✗ there is no join bundle at"), "{frame}");
    insta::assert_snapshot!(frame);
}

#[test]
fn a_member_that_is_down_offers_replace_from_the_member_table() {
    let mut app = degraded();
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Enter));
    let frame = render(&app);
    assert!(frame.contains(" etcd-3 "), "{frame}");
    assert!(frame.contains("replace this member"), "{frame}");
    assert!(frame.contains("Last error"), "{frame}");
    insta::assert_snapshot!(frame);
    update(&mut app, key(KeyCode::Char('r')));
    assert_eq!(app.screen, Screen::Form);
    let form = app.form.as_ref().expect("the replace form");
    assert_eq!(
        lifeboat::tui::form::answer(&form.fields, "failed"),
        "etcd-3"
    );
}

#[test]
fn a_healthy_member_offers_nothing_to_do() {
    let mut app = degraded();
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Enter));
    let frame = render(&app);
    assert!(frame.contains("Healthy: nothing to do"), "{frame}");
    update(&mut app, key(KeyCode::Char('r')));
    assert_eq!(
        app.screen,
        Screen::Dashboard,
        "no replace for a healthy member"
    );
}

fn health_plan() -> lifeboat::plan::Plan {
    plan_health_check(&HealthCheckFacts {
        connection: connection(),
        etcdctl: Some("/usr/bin/etcdctl".into()),
        target: Target::Local,
    })
}

#[test]
fn the_plan_is_previewed_with_its_risks_before_anything_runs() {
    let mut app = degraded();
    update(
        &mut app,
        Msg::Planned {
            plan: health_plan(),
            etcd: None,
        },
    );
    let frame = render(&app);
    assert!(frame.contains("nothing has run yet"), "{frame}");
    assert!(frame.contains("4 read-only"), "{frame}");
    insta::assert_snapshot!(frame);
    assert_eq!(update(&mut app, key(KeyCode::Enter)), vec![Effect::RunPlan]);
    assert!(!app.wizard.as_ref().expect("wizard").previewing);
}

/// The plan arrives as a preview and the engineer starts it with Enter.
fn preview_then_run(app: &mut App, plan: &lifeboat::plan::Plan) {
    update(
        app,
        Msg::Planned {
            plan: plan.clone(),
            etcd: None,
        },
    );
    update(app, key(KeyCode::Enter));
}

#[test]
fn n_runs_every_step_up_to_the_next_destructive_one() {
    let mut app = degraded();
    let mut plan = health_plan();
    plan.steps[2].risk = lifeboat::plan::Risk::Destructive;
    preview_then_run(&mut app, &plan);
    let (first, mut answer) = ConfirmRequest::new(0, plan.steps[0].clone());
    update(&mut app, Msg::Confirm(Box::new(first)));
    update(&mut app, key(KeyCode::Char('n')));
    assert_eq!(answer.try_recv(), Ok(Decision::Run));
    let (second, mut answer) = ConfirmRequest::new(1, plan.steps[1].clone());
    update(&mut app, Msg::Confirm(Box::new(second)));
    assert_eq!(
        answer.try_recv(),
        Ok(Decision::Run),
        "answered without a key"
    );
    let (destructive, mut answer) = ConfirmRequest::new(2, plan.steps[2].clone());
    update(&mut app, Msg::Confirm(Box::new(destructive)));
    assert!(
        answer.try_recv().is_err(),
        "a destructive step waits for its own key"
    );
    update(&mut app, key(KeyCode::Char('n')));
    assert!(
        answer.try_recv().is_err(),
        "n never runs a destructive step"
    );
    update(&mut app, key(KeyCode::Char('y')));
    assert_eq!(answer.try_recv(), Ok(Decision::Run));
}

#[test]
fn the_summary_says_what_changed_where_the_result_is_and_what_next() {
    let mut app = degraded();
    let request = lifeboat::requests::MemberReplaceRequest {
        failed: "etcd-3".into(),
        new_name: "etcd-4".into(),
        new_host: "10.0.0.14".into(),
        client_port: 2379,
        peer_port: 2380,
        out: "/root/join".into(),
        learner_threshold: 700_000_000,
        ca_dir: None,
        etcd_conf: None,
        process_cluster: None,
    };
    app.request = Some(FormRequest::Replace(request));
    let mut plan = health_plan();
    plan.steps[1].risk = lifeboat::plan::Risk::Reversible;
    preview_then_run(&mut app, &plan);
    for index in 0..plan.steps.len() {
        update(&mut app, Msg::Run(RunEvent::StepStarted { index }));
        let summary = format!("step {} done", index + 1);
        let outcome = StepOutcome::Succeeded { summary };
        update(
            &mut app,
            Msg::Run(RunEvent::StepFinished { index, outcome }),
        );
    }
    let finished = Msg::Run(RunEvent::PlanFinished {
        outcome: PlanOutcome::Completed,
    });
    assert_eq!(
        update(&mut app, finished),
        vec![Effect::Summarize(vec!["/root/join/etcd-4.tgz".into()])]
    );
    update(
        &mut app,
        Msg::Artifacts(vec![lifeboat::tui::Artifact {
            path: "/root/join/etcd-4.tgz".into(),
            bytes: 1843,
            sha256: Some("03009935d3f36d2724f106e579e16d5fbace57f49c36eaa677ea27203b81e247".into()),
        }]),
    );
    let frame = render(&app);
    assert!(frame.contains("What changed"), "{frame}");
    assert!(
        frame.contains("scp /root/join/etcd-4.tgz 10.0.0.14:/etc/etcd/"),
        "{frame}"
    );
    assert!(frame.contains("SHA-256 03009935"), "{frame}");
    insta::assert_snapshot!(frame);
    update(&mut app, key(KeyCode::Char('l')));
    assert!(render(&app).contains("Steps"), "l shows the steps again");
}

#[test]
fn a_refusal_is_shown_whole_and_offers_the_procedure_that_applies() {
    let mut app = degraded();
    let refusal = "this cluster has 3 members, and the procedure's cluster restore only works for a \
                   single-member cluster.\n  Instead:\n  - a member was lost: `lifeboat member replace` \
                   recovers it from a surviving host, without downtime;\n  - quorum is lost for good: \
                   `lifeboat restore cluster --from B --disaster-recovery` restores every member.";
    update(&mut app, Msg::Refused(refusal.into()));
    let frame = render(&app);
    assert!(frame.contains("every member."), "shown whole:\n{frame}");
    assert!(frame.contains("1  open Replace a failed member"), "{frame}");
    insta::assert_snapshot!(frame);
    update(&mut app, key(KeyCode::Char('1')));
    assert_eq!(app.screen, Screen::Form);
    assert!(app.message.is_none());
}

#[test]
fn a_learner_that_caught_up_offers_promote() {
    let mut snap = snapshot((1..=3).map(status).collect(), vec![]);
    if let Ok(members) = snap.members.as_mut() {
        members[2].is_learner = true;
    }
    if let Ok(s) = snap.endpoints[2].result.as_mut() {
        s.is_learner = true;
    }
    let mut app = app_with(Some(snap));
    update(&mut app, key(KeyCode::Tab));
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Down));
    update(&mut app, key(KeyCode::Enter));
    let frame = render(&app);
    assert!(frame.contains("promote this learner"), "{frame}");
    assert_eq!(
        update(&mut app, key(KeyCode::Char('p'))),
        vec![Effect::PlanPromote {
            name: "etcd-3".into(),
            client_url: "https://10.0.0.3:2379".into(),
        }]
    );
}

#[test]
fn with_quorum_lost_the_palette_opens_the_survivor_choice_and_plans_from_it() {
    let mut app = app_with(Some(snapshot(vec![status(1), down(2), down(3)], vec![])));
    update(&mut app, key(KeyCode::Char(':')));
    type_text(&mut app, "quorum");
    update(&mut app, key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Form);
    let frame = render(&app);
    assert!(frame.contains("Keep the data of"), "{frame}");
    assert!(
        frame.contains("1 of 3 voting members answer: quorum is lost"),
        "{frame}"
    );
    assert!(frame.contains("lifeboat restore quorum"), "{frame}");
    insta::assert_snapshot!(frame);
    let effects = update(&mut app, key(KeyCode::Enter));
    assert!(
        matches!(
            effects.as_slice(),
            [Effect::PlanRequest(FormRequest::Quorum(request))] if request.member.is_none()
        ),
        "{effects:?}"
    );
}
