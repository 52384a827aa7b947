//! `lifeboat run`: a procedure without the TUI, rendered as lines on the terminal.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use color_eyre::eyre::{Result, bail};
use tokio::sync::mpsc;

use super::{build_plan, require_connection};
use crate::cli::{ConfirmArgs, ConnectionArgs, Placement};
use crate::exec::{Invocation, OutputStream};
use crate::plan::{Action, Plan, shell_join};
use crate::procedures::Procedure;
use crate::run::{
    ConfirmPolicy, ConfirmRequest, Decision, PlanOutcome, RunEvent, Runner, StepOutcome, Transcript,
};

pub async fn run_headless(
    procedure: Procedure,
    args: &ConnectionArgs,
    placement: &Placement,
    confirm: ConfirmArgs,
) -> Result<ExitCode> {
    let connection = require_connection(args)?;
    let plan = build_plan(procedure, args, placement)?;
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut asker = None;
    let policy = if confirm.dry_run {
        ConfirmPolicy::DryRun
    } else if confirm.yes {
        ConfirmPolicy::AssumeYes
    } else if std::io::stdin().is_terminal() {
        let (asks_tx, asks) = mpsc::channel(1);
        asker = Some(tokio::task::spawn_blocking(move || answer_on_stdin(asks)));
        ConfirmPolicy::Ask(asks_tx)
    } else {
        bail!(
            "standard input is not a terminal, so lifeboat cannot ask before each step.\n  Pass --yes to run every step, or --dry-run to preview them."
        );
    };
    let mut runner = Runner::new(policy, events_tx).with_etcd(connection.target.clone());
    // A dry run executes nothing, so it has nothing to record.
    let mut transcript_path = None;
    if !confirm.dry_run {
        let transcript = Transcript::open(&crate::paths::state_dir()?)?;
        transcript_path = Some(transcript.path().to_path_buf());
        runner = runner.with_transcript(transcript);
    }
    let printer = {
        let plan = plan.clone();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                print_event(&plan, &event);
            }
        })
    };
    let outcome = runner.run(&plan).await;
    drop(runner);
    // Both tasks end once the runner's channels close; their results carry nothing.
    let _ = printer.await;
    if let Some(asker) = asker {
        let _ = asker.await;
    }
    if let Some(path) = transcript_path {
        println!("Transcript: {}", path.display());
    }
    Ok(match outcome {
        PlanOutcome::Completed | PlanOutcome::DryRun => ExitCode::SUCCESS,
        PlanOutcome::Failed { .. } => ExitCode::from(1),
        PlanOutcome::Aborted { .. } => ExitCode::from(2),
    })
}

/// Answers the runner's questions from the terminal; runs on a blocking thread.
fn answer_on_stdin(mut asks: mpsc::Receiver<ConfirmRequest>) {
    let stdin = std::io::stdin();
    while let Some(request) = asks.blocking_recv() {
        let decision = loop {
            print!(
                "Run step {} \"{}\" ({})? [y]es / [s]kip / [a]bort: ",
                request.index + 1,
                request.step.title,
                request.step.risk.label()
            );
            let _ = std::io::stdout().flush();
            let mut line = String::new();
            match stdin.lock().read_line(&mut line) {
                Ok(0) | Err(_) => break Decision::Abort,
                Ok(_) => match line.trim().to_ascii_lowercase().as_str() {
                    "y" | "yes" => break Decision::Run,
                    "s" | "skip" => break Decision::Skip,
                    "a" | "abort" | "n" | "no" => break Decision::Abort,
                    _ => continue,
                },
            }
        };
        request.answer(decision);
    }
}

fn print_event(plan: &Plan, event: &RunEvent) {
    match event {
        RunEvent::PlanStarted { steps, dry_run, .. } => {
            println!(
                "{} — {steps} steps{}",
                plan.title,
                if *dry_run {
                    " (dry run: nothing is executed)"
                } else {
                    ""
                }
            );
        }
        RunEvent::StepStarted { index } => {
            if let Some(step) = plan.steps.get(*index) {
                println!(
                    "\n▶ {}/{} {} [{}]",
                    index + 1,
                    plan.steps.len(),
                    step.title,
                    step.risk.label()
                );
                println!("  $ {}", command_line(plan, &step.action));
            }
        }
        RunEvent::Output { stream, line, .. } => match stream {
            OutputStream::Stdout => println!("  │ {line}"),
            OutputStream::Stderr => println!("  ! {line}"),
        },
        RunEvent::StepFinished { index, outcome } => {
            let title = plan.steps.get(*index).map_or("", |s| s.title.as_str());
            match outcome {
                StepOutcome::Succeeded { summary } => println!("  ✓ {summary}"),
                StepOutcome::Failed { error, next } => {
                    println!("  ✗ {title} failed: {error}");
                    println!("  What now: {next}");
                }
                StepOutcome::Skipped { reason } => {
                    println!("\n○ {}/{} {title}: {reason}", index + 1, plan.steps.len())
                }
                StepOutcome::NotRun => {
                    if let Some(step) = plan.steps.get(*index) {
                        println!(
                            "\n· {}/{} {} [{}] would run:",
                            index + 1,
                            plan.steps.len(),
                            step.title,
                            step.risk.label()
                        );
                        println!("  $ {}", command_line(plan, &step.action));
                    }
                }
            }
        }
        RunEvent::PlanFinished { outcome } => match outcome {
            PlanOutcome::Completed => println!("\nAll steps done."),
            PlanOutcome::DryRun => println!("\nDry run: nothing was executed."),
            PlanOutcome::Aborted { at } => println!("\nStopped before step {}.", at + 1),
            PlanOutcome::Failed { at } => println!("\nStopped: step {} failed.", at + 1),
        },
    }
}

/// The command shown before a step runs: the real one, or etcdctl's equivalent of a native call.
pub fn command_line(plan: &Plan, action: &Action) -> String {
    match action {
        Action::Run(spec) => Invocation::of(spec).display(),
        Action::Etcd(call) => format!(
            "{}   (native gRPC; etcdctl equivalent)",
            shell_join(plan.etcdctl_command(call))
        ),
        Action::Manual { checklist } => format!("manual: {}", checklist.join("; ")),
    }
}
