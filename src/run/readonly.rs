//! Read-only mode (`--readonly`, `LIFEBOAT_READONLY`, `readonly = true`): the runner refuses
//! every step that is not read-only before it is confirmed or run. It lives in the runner so
//! that every front end (TUI, CLI, tests) gets it without being able to forget it.

use super::events::StepOutcome;
use crate::plan::{Action, AppDataAction, EtcdCall, Risk, Step};

/// The refusal of `step`, when read-only mode is on (`how_to_leave` says how to turn it off)
/// and the step could change something; `None` when it may run. A dry run executes nothing,
/// so it refuses nothing either. `stopped`: an earlier step failed or was refused.
pub(super) fn refusal(
    step: &Step,
    how_to_leave: Option<&str>,
    dry_run: bool,
    stopped: bool,
) -> Option<StepOutcome> {
    let how = how_to_leave?;
    if dry_run || (step.risk == Risk::ReadOnly && only_reads(&step.action)) {
        return None;
    }
    if step.always_run && stopped {
        // Cleanup after a refusal: only steps that read have run, so there is nothing to undo,
        // and a second refusal would only read as a second problem.
        return Some(StepOutcome::Skipped {
            reason: "read-only mode: nothing was changed, so there is nothing to clean up".into(),
        });
    }
    let what = if step.risk == Risk::ReadOnly {
        // The planners call a step read-only when it leaves the cluster as it was; a backup's
        // new files still change this host, and "just looking" means nothing at all.
        "it writes on this host, though it leaves the cluster as it was".to_string()
    } else {
        format!(
            "it is {}: it changes the cluster or the host",
            step.risk.label()
        )
    };
    Some(StepOutcome::Failed {
        error: format!("refused: read-only mode is on, and {what}; nothing was done"),
        next: format!("To run it, leave read-only mode: {how}, then start the procedure again."),
    })
}

/// Whether `action` only reads, whatever it is pointed at. Every variant is named (no `_`), so
/// a new action cannot run in read-only mode before someone decides which side it is on.
/// Commands and manual items are judged by their step's risk, the only thing known of them.
fn only_reads(action: &Action) -> bool {
    match action {
        Action::Run(_) | Action::Manual { .. } | Action::Skip { .. } => true,
        Action::Etcd(call) => match call {
            EtcdCall::MemberList
            | EtcdCall::EndpointStatus
            | EtcdCall::AlarmList
            | EtcdCall::QuorumCheck { .. }
            | EtcdCall::QuorumLostCheck { .. }
            | EtcdCall::WaitCaughtUp { .. } => true,
            EtcdCall::MemberRemove { .. }
            | EtcdCall::MemberAdd { .. }
            | EtcdCall::MemberPromote { .. }
            // Compaction drops history; a defragmentation blocks a member and rewrites its
            // file; disarming and the test write change the cluster.
            | EtcdCall::Compact
            | EtcdCall::Defragment { .. }
            | EtcdCall::AlarmDisarm
            | EtcdCall::TestWrite => false,
        },
        Action::ReadSnapshotBack { .. }
        | Action::VerifyBundle { .. }
        | Action::WaitForEtcd { .. }
        | Action::CompareWithBundle { .. } => true,
        Action::CreateProject { dry_run, .. } | Action::RestoreObjects { dry_run, .. } => *dry_run,
        Action::AppData(call) => match call {
            AppDataAction::ProbePod { writable, .. } => !writable,
            AppDataAction::CopyOut { .. }
            | AppDataAction::CopyIn { .. }
            | AppDataAction::Restart { .. } => false,
        },
        Action::PrepareBundle { .. }
        | Action::Archive { .. }
        | Action::EtcdSnapshot { .. }
        | Action::SealBundle { .. }
        | Action::DiscardStaging { .. }
        | Action::RestoreArchive { .. }
        | Action::MoveAside { .. }
        | Action::SetConfValue { .. }
        | Action::WriteFile { .. }
        | Action::IssueCertificates { .. }
        | Action::PackDirectory { .. }
        | Action::ExtractBundle { .. }
        | Action::RemoveDir { .. }
        | Action::StartEtcd(_)
        | Action::ExportProject { .. }
        | Action::ExportFromSnapshot { .. } => false,
    }
}

#[cfg(test)]
mod tests {
    use tokio::sync::mpsc;

    use crate::plan::{Action, Check, CommandSpec, Plan, Risk, Step};
    use crate::run::{ConfirmPolicy, PlanOutcome, RunEvent, Runner, StepOutcome};

    #[test]
    fn space_recovery_calls_change_the_cluster_even_if_labelled_read_only() {
        use crate::plan::EtcdCall;
        for call in [
            EtcdCall::Compact,
            EtcdCall::Defragment {
                name: "etcd-1".into(),
                client_url: "https://h1:2379".into(),
            },
            EtcdCall::AlarmDisarm,
            EtcdCall::TestWrite,
        ] {
            assert!(!super::only_reads(&Action::Etcd(call.clone())), "{call:?}");
        }
    }

    fn step(title: &str, risk: Risk, action: Action) -> Step {
        Step {
            title: title.into(),
            reason: "test".into(),
            risk,
            action,
            check: Check::ExitSuccess,
            if_failed: format!("undo {title}"),
            always_run: false,
            required: false,
        }
    }

    /// A look (which leaves a mark, to prove it ran), a write, and another look.
    fn plan_in(dir: &std::path::Path) -> Plan {
        let look = |name: &str| {
            Action::Run(CommandSpec::local([
                "sh".to_string(),
                "-c".to_string(),
                format!("touch {}/{name}", dir.display()),
            ]))
        };
        let write = Action::WriteFile {
            path: dir.join("written"),
            contents: "changed\n".into(),
            mode: 0o600,
        };
        Plan {
            procedure: crate::plan::Procedure::HealthCheck,
            title: "test plan".into(),
            summary: "looks, writes, looks".into(),
            etcdctl_flags: vec![],
            steps: vec![
                step("look", Risk::ReadOnly, look("looked")),
                Step {
                    check: Check::Completed,
                    ..step("write", Risk::Destructive, write)
                },
                step("look again", Risk::ReadOnly, look("looked-again")),
            ],
        }
    }

    async fn run(
        runner: Runner,
        plan: &Plan,
        rx: mpsc::UnboundedReceiver<RunEvent>,
    ) -> (PlanOutcome, Vec<RunEvent>) {
        let mut runner = runner;
        let outcome = runner.run(plan).await;
        drop(runner);
        let mut rx = rx;
        let mut events = Vec::new();
        while let Some(event) = rx.recv().await {
            events.push(event);
        }
        (outcome, events)
    }

    #[tokio::test]
    async fn a_step_that_writes_is_refused_and_the_plan_stops() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tx, rx) = mpsc::unbounded_channel();
        let runner = Runner::new(ConfirmPolicy::AssumeYes, tx)
            .with_readonly(Some("run the command again without --readonly".into()));
        let (outcome, events) = run(runner, &plan_in(dir.path()), rx).await;

        assert_eq!(outcome, PlanOutcome::Failed { at: 1 });
        assert!(
            dir.path().join("looked").exists(),
            "read-only steps still run"
        );
        assert!(
            !dir.path().join("written").exists(),
            "the write was refused"
        );
        assert!(
            !dir.path().join("looked-again").exists(),
            "the plan stopped"
        );
        let refused = events.iter().find_map(|e| match e {
            RunEvent::StepFinished {
                index: 1,
                outcome: StepOutcome::Failed { error, next },
            } => Some((error.clone(), next.clone())),
            _ => None,
        });
        let (error, next) = refused.expect("step 2 is reported as refused");
        assert!(error.contains("read-only mode is on"), "{error}");
        assert!(next.contains("without --readonly"), "{next}");
        assert!(
            !events.contains(&RunEvent::StepStarted { index: 1 }),
            "a refused step never starts"
        );
    }

    /// A backup's steps leave the cluster as it was and are labelled read-only; they still
    /// write on the host, which "just looking" must not.
    #[tokio::test]
    async fn a_step_labelled_read_only_that_writes_a_file_is_refused_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut plan = plan_in(dir.path());
        plan.steps[1].risk = Risk::ReadOnly;
        let (tx, rx) = mpsc::unbounded_channel();
        let runner = Runner::new(ConfirmPolicy::AssumeYes, tx).with_readonly(Some("x".into()));
        let (outcome, events) = run(runner, &plan, rx).await;
        assert_eq!(outcome, PlanOutcome::Failed { at: 1 });
        assert!(!dir.path().join("written").exists());
        assert!(
            events.iter().any(|e| matches!(e, RunEvent::StepFinished {
                index: 1,
                outcome: StepOutcome::Failed { error, .. },
            } if error.contains("it writes on this host"))),
            "{events:?}"
        );
    }

    #[tokio::test]
    async fn cleanup_after_a_refusal_is_skipped_not_refused_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut plan = plan_in(dir.path());
        plan.steps.push(Step {
            always_run: true,
            ..step(
                "clean up",
                Risk::Reversible,
                Action::RemoveDir {
                    path: dir.path().to_path_buf(),
                },
            )
        });
        let (tx, rx) = mpsc::unbounded_channel();
        let runner = Runner::new(ConfirmPolicy::AssumeYes, tx).with_readonly(Some("x".into()));
        let (outcome, events) = run(runner, &plan, rx).await;
        assert_eq!(outcome, PlanOutcome::Failed { at: 1 });
        assert!(dir.path().exists(), "the cleanup did not run");
        assert!(
            events.iter().any(|e| matches!(e, RunEvent::StepFinished {
                index: 3,
                outcome: StepOutcome::Skipped { reason },
            } if reason.contains("nothing to clean up"))),
            "{events:?}"
        );
    }

    #[tokio::test]
    async fn a_refused_step_is_never_put_to_the_engineer() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tx, rx) = mpsc::unbounded_channel();
        let (asks_tx, mut asks) = mpsc::channel::<crate::run::ConfirmRequest>(1);
        let answerer = tokio::spawn(async move {
            let mut asked = Vec::new();
            while let Some(request) = asks.recv().await {
                asked.push(request.index);
                request.answer(crate::run::Decision::Run);
            }
            asked
        });
        let runner = Runner::new(ConfirmPolicy::Ask(asks_tx), tx).with_readonly(Some("x".into()));
        let (outcome, _) = run(runner, &plan_in(dir.path()), rx).await;
        assert_eq!(outcome, PlanOutcome::Failed { at: 1 });
        assert_eq!(answerer.await.expect("the answerer ends"), [0]);
        assert!(!dir.path().join("written").exists());
    }

    #[tokio::test]
    async fn without_read_only_mode_the_same_plan_writes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tx, rx) = mpsc::unbounded_channel();
        let runner = Runner::new(ConfirmPolicy::AssumeYes, tx).with_readonly(None);
        let (outcome, _) = run(runner, &plan_in(dir.path()), rx).await;
        assert_eq!(outcome, PlanOutcome::Completed);
        assert!(dir.path().join("written").exists());
    }

    #[tokio::test]
    async fn a_dry_run_shows_every_step_in_read_only_mode() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (tx, rx) = mpsc::unbounded_channel();
        let runner = Runner::new(ConfirmPolicy::DryRun, tx).with_readonly(Some("x".into()));
        let (outcome, events) = run(runner, &plan_in(dir.path()), rx).await;
        assert_eq!(outcome, PlanOutcome::DryRun);
        let not_run = events
            .iter()
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
}
