//! `lifeboat run`: a procedure without the TUI, rendered as lines on the terminal.

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use color_eyre::eyre::{Result, bail};
use tokio::sync::mpsc;

use super::{build_plan, require_connection};
use crate::cli::{ConfirmArgs, ConnectionArgs, Placement};
use crate::connection::ConnectionSettings;
use crate::exec::OutputStream;
use crate::plan::Plan;
use crate::present::{command_line, counts_items, describe_catch_up, describe_progress};
use crate::procedures::Procedure;
use crate::run::{
    ConfirmPolicy, ConfirmRequest, Decision, Interrupt, PlanOutcome, RunEvent, Runner, StepOutcome,
    Transcript,
};

pub async fn run_headless(
    procedure: Procedure,
    args: &ConnectionArgs,
    placement: &Placement,
    confirm: ConfirmArgs,
) -> Result<ExitCode> {
    let connection = require_connection(args)?;
    let plan = build_plan(procedure, connection.clone(), placement).await?;
    run_plan(plan, connection, confirm).await
}

/// Runs any plan headless: events printed as lines, confirmations asked on the terminal.
pub async fn run_plan(
    plan: Plan,
    connection: ConnectionSettings,
    confirm: ConfirmArgs,
) -> Result<ExitCode> {
    run_plan_on(plan, Some(connection.target), confirm).await
}

/// Runs a plan headless; `etcd` is the cluster its native etcd actions talk to, `None` for
/// plans that have none (application data, project export and restore).
pub async fn run_plan_on(
    plan: Plan,
    etcd: Option<crate::connection::Endpoints>,
    confirm: ConfirmArgs,
) -> Result<ExitCode> {
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut asker = None;
    let policy = if confirm.dry_run {
        ConfirmPolicy::DryRun
    } else if confirm.yes {
        ConfirmPolicy::AssumeYes
    } else if std::io::stdin().is_terminal() {
        let (asks_tx, asks) = mpsc::channel(1);
        let shown = plan.clone();
        asker = Some(tokio::task::spawn_blocking(move || {
            answer_on_stdin(&shown, asks)
        }));
        ConfirmPolicy::Ask(asks_tx)
    } else {
        bail!(
            "standard input is not a terminal, so lifeboat cannot ask before each step.\n  Pass --yes to run every step, or --dry-run to preview them."
        );
    };
    // Ctrl-C and SIGTERM stop the plan between steps, so the cleanup and "start etcd again"
    // still run; the process ends when the plan has.
    let interrupt = Interrupt::new();
    let signals = interrupt.on_signals(|said| eprintln!("\n! {said}"))?;
    let mut runner = Runner::new(policy, events_tx).with_interrupt(interrupt.clone());
    if let Some(etcd) = etcd {
        runner = runner.with_etcd(etcd);
    }
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
            let mut progress = ProgressPrinter::default();
            while let Some(event) = events.recv().await {
                print_event(&plan, &event, &mut progress);
            }
        })
    };
    let outcome = runner.run(&plan).await;
    drop(runner);
    // Both tasks end once the runner's channels close; their results carry nothing.
    let _ = printer.await;
    signals.abort();
    // After an interruption the asking thread may still wait on a line of input: not awaited.
    if let Some(asker) = asker.filter(|_| !interrupt.is_set()) {
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
fn answer_on_stdin(plan: &Plan, mut asks: mpsc::Receiver<ConfirmRequest>) {
    let stdin = std::io::stdin();
    while let Some(request) = asks.blocking_recv() {
        // What will run, and why, before the question.
        println!(
            "\n? {}/{} {}",
            request.index + 1,
            plan.steps.len(),
            request.step.title
        );
        println!("  why: {}", request.step.reason);
        println!("  $ {}", command_line(plan, &request.step.action));
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

/// Throttles progress to a line per second, with rate and time left.
#[derive(Default)]
pub struct ProgressPrinter {
    started: Option<std::time::Instant>,
    last: Option<std::time::Instant>,
    last_done: Option<u64>,
}

impl ProgressPrinter {
    fn show(&mut self, done: u64, total: Option<u64>) {
        let now = std::time::Instant::now();
        let started = *self.started.get_or_insert(now);
        let finished = total == Some(done);
        let too_soon = self
            .last
            .is_some_and(|last| now.duration_since(last).as_secs_f64() < 1.0);
        if (!finished && too_soon) || self.last_done == Some(done) {
            return;
        }
        self.last = Some(now);
        self.last_done = Some(done);
        println!(
            "  ↓ {}",
            describe_progress(done, total, now.duration_since(started))
        );
    }
}

impl ProgressPrinter {
    /// "12/30", a line per second and the last one.
    fn show_items(&mut self, done: u64, total: Option<u64>) {
        let now = std::time::Instant::now();
        let too_soon = self
            .last
            .is_some_and(|last| now.duration_since(last).as_secs_f64() < 1.0);
        if total != Some(done) && too_soon {
            return;
        }
        self.last = Some(now);
        println!("  ↻ {done}/{}", total.map_or("?".into(), |t| t.to_string()));
    }

    /// A line per second while a new member catches up, and the last one.
    fn show_catch_up(&mut self, applied: u64, leader: u64) {
        let now = std::time::Instant::now();
        let too_soon = self
            .last
            .is_some_and(|last| now.duration_since(last).as_secs_f64() < 1.0);
        if applied < leader && too_soon {
            return;
        }
        self.last = Some(now);
        println!("  ↻ {}", describe_catch_up(applied, leader));
    }
}

fn print_event(plan: &Plan, event: &RunEvent, progress: &mut ProgressPrinter) {
    match event {
        RunEvent::Progress { index, done, total } if counts_items(plan, *index) => {
            progress.show_items(*done, *total)
        }
        RunEvent::Progress { done, total, .. } => progress.show(*done, *total),
        RunEvent::Object { outcome, .. } => print_object(outcome),
        RunEvent::CatchUp {
            applied, leader, ..
        } => progress.show_catch_up(*applied, *leader),
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
            println!("{}", plan.summary);
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
                println!("  why: {}", step.reason);
                println!("  $ {}", command_line(plan, &step.action));
            }
        }
        RunEvent::Output { stream, line, .. } => match stream {
            OutputStream::Stdout => println!("  │ {line}"),
            OutputStream::Stderr => println!("  ! {line}"),
        },
        RunEvent::StepFinished { index, outcome } => print_step_finished(plan, *index, outcome),
        RunEvent::PlanFinished { outcome } => match outcome {
            PlanOutcome::Completed => println!("\nAll steps done."),
            PlanOutcome::DryRun => println!("\nDry run: nothing was executed."),
            PlanOutcome::Aborted { at } => println!("\nStopped before step {}.", at + 1),
            PlanOutcome::Failed { at } => println!("\nStopped: step {} failed.", at + 1),
        },
    }
}

/// One object of a project restore: created, expected to fail, or failed.
fn print_object(outcome: &crate::kube::ObjectOutcome) {
    println!(
        "  {} {:<22} {} {}{}",
        match outcome.result {
            crate::kube::ObjectResult::Failed { .. } => "✗",
            crate::kube::ObjectResult::Expected { .. } => "○",
            _ => "✓",
        },
        outcome.result.label(),
        outcome.kind,
        outcome.name,
        match outcome.result.detail() {
            "" => String::new(),
            detail => format!(": {detail}"),
        }
    );
}

/// How a step ended; a dry run shows the command it would have run.
fn print_step_finished(plan: &Plan, index: usize, outcome: &StepOutcome) {
    let title = plan.steps.get(index).map_or("", |s| s.title.as_str());
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
            if let Some(step) = plan.steps.get(index) {
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

/// The full-screen wizard on a terminal, unless asked for lines, `--yes` or `--dry-run`.
/// `connection` is the etcd cluster, when the plan talks to one or the dashboard can show it;
/// plans over the Kubernetes API alone run without.
pub async fn run_on_screen_or_headless(
    plan: Plan,
    connection: Option<ConnectionSettings>,
    confirm: ConfirmArgs,
    headless: bool,
) -> Result<ExitCode> {
    let interactive = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if headless || confirm.yes || confirm.dry_run || !interactive {
        return run_plan_on(plan, connection.map(|c| c.target), confirm).await;
    }
    let outcome = crate::tui::run_wizard(plan, connection).await?;
    Ok(match outcome {
        Some(outcome) if outcome.succeeded() => ExitCode::SUCCESS,
        Some(crate::run::PlanOutcome::Failed { .. }) => ExitCode::from(1),
        _ => ExitCode::from(2),
    })
}
