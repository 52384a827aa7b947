//! The runner against real processes (`sh`), without etcd: confirmation, dry run, failure,
//! abort and the transcript.

use tokio::sync::mpsc;

use super::*;
use crate::plan::{Action, Check, CommandSpec, Plan, Risk, Step};

fn step(title: &str, script: &str) -> Step {
    Step {
        title: title.into(),
        reason: "test".into(),
        risk: Risk::Reversible,
        action: Action::Run(CommandSpec::local(["sh", "-c", script])),
        check: Check::ExitSuccess,
        if_failed: format!("undo {title}"),
        always_run: false,
        required: false,
    }
}

/// Three steps that each leave a mark in `dir`, the second one failing when `fail` is set.
fn plan_in(dir: &std::path::Path, fail: bool) -> Plan {
    let mark = |name: &str| format!("touch {}/{name}", dir.display());
    Plan {
        procedure: crate::plan::Procedure::HealthCheck,
        title: "test plan".into(),
        summary: "marks files".into(),
        etcdctl_flags: vec![],
        steps: vec![
            step("first", &mark("one")),
            step(
                "second",
                &format!(
                    "{}; echo to-stderr >&2; {}",
                    mark("two"),
                    if fail { "exit 7" } else { "true" }
                ),
            ),
            step("third", &mark("three")),
        ],
    }
}

fn marks(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("lists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".jsonl"))
        .collect();
    names.sort();
    names
}

async fn collect(mut events: mpsc::UnboundedReceiver<RunEvent>) -> Vec<RunEvent> {
    let mut all = Vec::new();
    while let Some(event) = events.recv().await {
        all.push(event);
    }
    all
}

#[tokio::test]
async fn yes_runs_every_step_and_records_each_in_the_transcript() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tx, rx) = mpsc::unbounded_channel();
    let transcript = Transcript::open(dir.path()).expect("opens");
    let path = transcript.path().to_path_buf();
    let outcome = Runner::new(ConfirmPolicy::AssumeYes, tx)
        .with_transcript(transcript)
        .run(&plan_in(dir.path(), false))
        .await;
    assert_eq!(outcome, PlanOutcome::Completed);
    assert_eq!(marks(dir.path()), ["one", "three", "two"]);
    let records = Transcript::read_all(&path).expect("reads");
    assert_eq!(records.len(), 3);
    assert!(
        records
            .iter()
            .all(|r| r.outcome == "succeeded" && r.exit_code == Some(0))
    );
    assert_eq!(records[1].title, "second");
    assert!(
        records[1].command.starts_with("sh -c 'touch "),
        "{}",
        records[1].command
    );
    let events = collect(rx).await;
    assert!(events.contains(&RunEvent::Output {
        index: 1,
        stream: crate::exec::OutputStream::Stderr,
        line: "to-stderr".into()
    }));
}

#[tokio::test]
async fn dry_run_executes_nothing_and_writes_no_transcript() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tx, rx) = mpsc::unbounded_channel();
    let transcript = Transcript::open(dir.path()).expect("opens");
    let path = transcript.path().to_path_buf();
    let outcome = Runner::new(ConfirmPolicy::DryRun, tx)
        .with_transcript(transcript)
        .run(&plan_in(dir.path(), false))
        .await;
    assert_eq!(outcome, PlanOutcome::DryRun);
    assert!(marks(dir.path()).is_empty());
    assert_eq!(std::fs::read_to_string(path).expect("reads"), "");
    let not_run = collect(rx)
        .await
        .into_iter()
        .filter(|e| {
            matches!(
                e,
                RunEvent::StepFinished {
                    outcome: StepOutcome::NotRun,
                    ..
                }
            )
        })
        .count();
    assert_eq!(not_run, 3);
}

#[tokio::test]
async fn a_failing_step_stops_the_plan_and_says_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (tx, rx) = mpsc::unbounded_channel();
    let outcome = Runner::new(ConfirmPolicy::AssumeYes, tx)
        .run(&plan_in(dir.path(), true))
        .await;
    assert_eq!(outcome, PlanOutcome::Failed { at: 1 });
    assert_eq!(
        marks(dir.path()),
        ["one", "two"],
        "the third step must not run"
    );
    let failure = collect(rx).await.into_iter().find_map(|e| match e {
        RunEvent::StepFinished {
            index: 1,
            outcome: StepOutcome::Failed { error, next },
        } => Some((error, next)),
        _ => None,
    });
    assert_eq!(
        failure,
        Some(("exited with status 7".into(), "undo second".into()))
    );
}

/// Answers each confirmation from a script and records which steps were asked about.
fn scripted(answers: Vec<Decision>) -> (ConfirmPolicy, tokio::task::JoinHandle<Vec<usize>>) {
    let (tx, mut rx) = mpsc::channel::<ConfirmRequest>(1);
    let answerer = tokio::spawn(async move {
        let mut asked = Vec::new();
        let mut answers = answers.into_iter();
        while let Some(request) = rx.recv().await {
            asked.push(request.index);
            request.answer(answers.next().unwrap_or(Decision::Abort));
        }
        asked
    });
    (ConfirmPolicy::Ask(tx), answerer)
}

#[tokio::test]
async fn ask_confirms_each_step_and_honours_skip_and_abort() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (events, _rx) = mpsc::unbounded_channel();
    let (policy, answerer) = scripted(vec![Decision::Skip, Decision::Run, Decision::Abort]);
    let outcome = Runner::new(policy, events)
        .run(&plan_in(dir.path(), false))
        .await;
    assert_eq!(outcome, PlanOutcome::Aborted { at: 2 });
    assert_eq!(marks(dir.path()), ["two"]);
    assert_eq!(answerer.await.expect("answerer"), [0, 1, 2]);
}

#[tokio::test]
async fn a_required_step_cannot_be_skipped_and_skipping_it_stops_the_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (events, _rx) = mpsc::unbounded_channel();
    let mut plan = plan_in(dir.path(), false);
    plan.steps[1].required = true;
    let (policy, answerer) = scripted(vec![Decision::Run, Decision::Skip, Decision::Run]);
    let outcome = Runner::new(policy, events).run(&plan).await;
    assert_eq!(outcome, PlanOutcome::Aborted { at: 1 });
    assert_eq!(
        marks(dir.path()),
        ["one"],
        "nothing after the refused skip ran"
    );
    assert_eq!(answerer.await.expect("answerer"), [0, 1]);
}

#[tokio::test]
async fn nobody_to_ask_means_nothing_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (events, _rx) = mpsc::unbounded_channel();
    let (asks, receiver) = mpsc::channel(1);
    drop(receiver);
    let outcome = Runner::new(ConfirmPolicy::Ask(asks), events)
        .run(&plan_in(dir.path(), false))
        .await;
    assert_eq!(outcome, PlanOutcome::Aborted { at: 0 });
    assert!(marks(dir.path()).is_empty());
}

#[tokio::test]
async fn manual_steps_accepted_by_yes_say_so() {
    let (tx, _rx) = mpsc::unbounded_channel();
    let dir = tempfile::tempdir().expect("tempdir");
    let transcript = Transcript::open(dir.path()).expect("opens");
    let path = transcript.path().to_path_buf();
    let plan = Plan {
        procedure: crate::plan::Procedure::HealthCheck,
        title: "manual".into(),
        summary: String::new(),
        etcdctl_flags: vec![],
        steps: vec![Step {
            title: "Reinstall the platform".into(),
            reason: "the procedure says so".into(),
            risk: Risk::Destructive,
            action: Action::Manual {
                checklist: vec!["reinstall as before".into()],
            },
            check: Check::Confirmed,
            if_failed: String::new(),
            always_run: false,
            required: false,
        }],
    };
    let outcome = Runner::new(ConfirmPolicy::AssumeYes, tx)
        .with_transcript(transcript)
        .run(&plan)
        .await;
    assert_eq!(outcome, PlanOutcome::Completed);
    let records = Transcript::read_all(&path).expect("reads");
    assert_eq!(
        records[0].detail,
        "accepted by --yes without a person confirming"
    );
}

/// `plan_in` with a last step that always runs, as a cleanup does.
fn plan_with_cleanup(dir: &std::path::Path) -> Plan {
    let mut plan = plan_in(dir, false);
    plan.steps[0] = step("first", &format!("sleep 0.5; touch {}/one", dir.display()));
    plan.steps.push(Step {
        always_run: true,
        ..step("cleanup", &format!("touch {}/cleanup", dir.display()))
    });
    plan
}

#[tokio::test]
async fn an_interruption_ends_the_current_step_then_runs_only_the_always_run_steps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (events, rx) = mpsc::unbounded_channel();
    let interrupt = Interrupt::new();
    let trigger = interrupt.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        trigger.trigger();
    });
    let outcome = Runner::new(ConfirmPolicy::AssumeYes, events)
        .with_interrupt(interrupt)
        .run(&plan_with_cleanup(dir.path()))
        .await;
    assert_eq!(outcome, PlanOutcome::Aborted { at: 1 });
    assert_eq!(
        marks(dir.path()),
        ["cleanup", "one"],
        "the running step ended, the next ones did not start, the cleanup ran"
    );
    let said = collect(rx).await;
    assert!(said.iter().any(|e| matches!(
        e,
        RunEvent::Output { line, .. } if line.starts_with("interrupted")
    )));
}

#[tokio::test]
async fn an_abort_still_runs_the_always_run_steps_without_asking_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (events, _rx) = mpsc::unbounded_channel();
    let (policy, answerer) = scripted(vec![Decision::Run, Decision::Abort]);
    let outcome = Runner::new(policy, events)
        .run(&plan_with_cleanup(dir.path()))
        .await;
    assert_eq!(outcome, PlanOutcome::Aborted { at: 1 });
    assert_eq!(marks(dir.path()), ["cleanup", "one"]);
    assert_eq!(answerer.await.expect("answerer"), [0, 1]);
}

#[tokio::test]
async fn an_interruption_while_a_question_waits_stops_the_plan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (events, _rx) = mpsc::unbounded_channel();
    // Someone who never answers: only the interruption can end the wait.
    let (asks, mut questions) = mpsc::channel::<ConfirmRequest>(1);
    let held = tokio::spawn(async move {
        let mut kept = Vec::new();
        while let Some(request) = questions.recv().await {
            kept.push(request);
        }
        kept.len()
    });
    let interrupt = Interrupt::new();
    let trigger = interrupt.clone();
    tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        trigger.trigger();
    });
    let outcome = Runner::new(ConfirmPolicy::Ask(asks), events)
        .with_interrupt(interrupt)
        .run(&plan_with_cleanup(dir.path()))
        .await;
    assert_eq!(outcome, PlanOutcome::Aborted { at: 0 });
    assert_eq!(marks(dir.path()), ["cleanup"]);
    assert_eq!(held.await.expect("joins"), 1, "asked once, never again");
}
