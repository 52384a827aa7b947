use std::time::Instant;

use tokio::sync::mpsc;

use super::actions::{self, StepContext};
use super::check::{ActionResult, evaluate};
use super::confirm::{ConfirmPolicy, ConfirmRequest, Decision};
use super::events::{PlanOutcome, RunEvent, StepOutcome};
use super::outputs::StepOutputs;
use super::transcript::{Transcript, TranscriptRecord};
use crate::connection::Endpoints;
use crate::exec::OutputStream;
use crate::plan::{Action, Plan, Step};

/// What the runner does with a step before executing it.
enum Gate {
    Run,
    /// Not run (reported as skipped or not run); the plan goes on.
    Skipped,
    /// The plan stops here: only the always-run steps after it run.
    Stop,
    /// Refused by read-only mode: reported as failed, so the plan stops as after a failure.
    Refused,
}

pub struct Runner {
    policy: ConfirmPolicy,
    events: mpsc::UnboundedSender<RunEvent>,
    transcript: Option<Transcript>,
    etcd: Option<Endpoints>,
    run_id: String,
    /// What earlier steps produced for later ones.
    outputs: StepOutputs,
    /// Asked to stop (Ctrl-C, SIGTERM, the TUI quitting): checked between steps.
    interrupt: Option<super::Interrupt>,
    /// The step just executed was stopped part-way by the interruption (it did not fail).
    cut_short: bool,
    /// Read-only mode: how to leave it, when it is on (`super::readonly`).
    readonly: Option<String>,
}

impl Runner {
    pub fn new(policy: ConfirmPolicy, events: mpsc::UnboundedSender<RunEvent>) -> Self {
        Runner {
            policy,
            events,
            transcript: None,
            etcd: None,
            run_id: jiff::Timestamp::now()
                .strftime("%Y%m%dT%H%M%S%.3fZ")
                .to_string(),
            outputs: StepOutputs::default(),
            interrupt: None,
            cut_short: false,
            readonly: crate::config::current().readonly_exit(),
        }
    }

    /// Stops the plan between steps once `interrupt` is triggered; the always-run steps still
    /// run, without asking.
    pub fn with_interrupt(mut self, interrupt: super::Interrupt) -> Self {
        self.interrupt = Some(interrupt);
        self
    }

    fn interrupted(&self) -> bool {
        self.interrupt
            .as_ref()
            .is_some_and(super::Interrupt::is_set)
    }

    /// Resolves when the run is asked to stop; never without an interrupt.
    async fn stop_requested(&self) {
        match &self.interrupt {
            Some(interrupt) => interrupt.triggered().await,
            None => std::future::pending().await,
        }
    }

    /// Read-only mode on (with how to leave it) or off, whatever the settings say.
    pub fn with_readonly(mut self, how_to_leave: Option<String>) -> Self {
        self.readonly = how_to_leave;
        self
    }

    /// Every executed action is appended to `transcript`.
    pub fn with_transcript(mut self, transcript: Transcript) -> Self {
        self.transcript = Some(transcript);
        self
    }

    /// The cluster that native etcd actions talk to.
    pub fn with_etcd(mut self, endpoints: Endpoints) -> Self {
        self.etcd = Some(endpoints);
        self
    }

    fn emit(&self, event: RunEvent) {
        // A renderer that went away (the TUI closed) must not stop a running plan.
        let _ = self.events.send(event);
    }

    pub async fn run(&mut self, plan: &Plan) -> PlanOutcome {
        let dry_run = matches!(self.policy, ConfirmPolicy::DryRun);
        self.emit(RunEvent::PlanStarted {
            procedure: plan.procedure,
            steps: plan.steps.len(),
            dry_run,
        });
        let outcome = self.run_steps(plan, dry_run).await;
        self.emit(RunEvent::PlanFinished {
            outcome: outcome.clone(),
        });
        outcome
    }

    async fn run_steps(&mut self, plan: &Plan, dry_run: bool) -> PlanOutcome {
        let mut failed_at = None;
        // Where the plan was stopped (an abort, a refused skip, an interruption): from there on
        // only the always-run steps run, as after a failure, and without asking again.
        let mut stopped_at = None;
        for (index, step) in plan.steps.iter().enumerate() {
            if failed_at.is_none() && stopped_at.is_none() && self.interrupted() {
                stopped_at = Some(index);
                self.emit(RunEvent::Output {
                    index,
                    stream: OutputStream::Stderr,
                    line: "interrupted: the steps left are not run; the always-run steps \
                           (cleanup, restarting what was stopped) run now"
                        .into(),
                });
            }
            match self.gate(index, step, failed_at, stopped_at).await {
                Gate::Run => {}
                Gate::Skipped => continue,
                Gate::Stop => {
                    stopped_at = stopped_at.or(Some(index));
                    continue;
                }
                Gate::Refused => {
                    failed_at.get_or_insert(index);
                    continue;
                }
            }
            let failed = self.run_step(plan, index, step).await;
            if std::mem::take(&mut self.cut_short) {
                stopped_at = stopped_at.or(Some(index));
            } else if failed && failed_at.is_none() {
                failed_at = Some(index);
            }
        }
        match (failed_at, stopped_at) {
            (Some(at), _) => PlanOutcome::Failed { at },
            (None, Some(at)) => PlanOutcome::Aborted { at },
            (None, None) if dry_run => PlanOutcome::DryRun,
            (None, None) => PlanOutcome::Completed,
        }
    }

    /// Whether `step` runs: not after a failure unless it always runs, not when it is a skip,
    /// and only as the confirm policy (the engineer, `--yes`, `--dry-run`) decides.
    async fn gate(
        &mut self,
        index: usize,
        step: &Step,
        failed_at: Option<usize>,
        stopped_at: Option<usize>,
    ) -> Gate {
        let halted = match (failed_at, stopped_at) {
            (Some(at), _) => Some(format!("not run: step {} failed", at + 1)),
            (None, Some(_)) => Some("not run: the plan was stopped".to_string()),
            (None, None) => None,
        };
        if let Some(reason) = halted.filter(|_| !step.always_run) {
            self.emit(RunEvent::StepFinished {
                index,
                outcome: StepOutcome::Skipped { reason },
            });
            return Gate::Skipped;
        }
        if let Action::Skip { reason } = &step.action {
            self.emit(RunEvent::StepFinished {
                index,
                outcome: StepOutcome::Skipped {
                    reason: reason.clone(),
                },
            });
            return Gate::Skipped;
        }
        let dry_run = matches!(self.policy, ConfirmPolicy::DryRun);
        let halted = failed_at.is_some() || stopped_at.is_some();
        let how_to_leave = self.readonly.as_deref();
        if let Some(refused) = super::readonly::refusal(step, how_to_leave, dry_run, halted) {
            self.emit(RunEvent::StepFinished {
                index,
                outcome: refused,
            });
            return Gate::Refused;
        }
        let Some(decision) = self.decide(index, step, stopped_at).await else {
            return Gate::Skipped;
        };
        match decision {
            Decision::Abort => {
                self.emit(RunEvent::StepFinished {
                    index,
                    outcome: StepOutcome::Skipped {
                        reason: "the plan was stopped here".into(),
                    },
                });
                return Gate::Stop;
            }
            Decision::Skip if step.required => {
                // The steps after it are only safe because this one runs: stopping here is
                // the only safe way not to run it.
                self.emit(RunEvent::StepFinished {
                    index,
                    outcome: StepOutcome::Skipped {
                        reason: "this step cannot be skipped (the steps after it rely on it): \
                                 the plan was stopped here"
                            .into(),
                    },
                });
                return Gate::Stop;
            }
            Decision::Skip => {
                self.emit(RunEvent::StepFinished {
                    index,
                    outcome: StepOutcome::Skipped {
                        reason: "skipped by the engineer".into(),
                    },
                });
                return Gate::Skipped;
            }
            Decision::Run => {}
        }
        Gate::Run
    }

    /// What the confirm policy says of `step`; `None` for a dry run, which runs nothing. A
    /// stopped plan's always-run steps run without asking.
    async fn decide(
        &self,
        index: usize,
        step: &Step,
        stopped_at: Option<usize>,
    ) -> Option<Decision> {
        Some(match &self.policy {
            ConfirmPolicy::DryRun => {
                self.emit(RunEvent::StepFinished {
                    index,
                    outcome: StepOutcome::NotRun,
                });
                return None;
            }
            // Whoever stopped the plan wants it to end cleanly, not to be asked again.
            _ if stopped_at.is_some() => Decision::Run,
            ConfirmPolicy::AssumeYes => Decision::Run,
            ConfirmPolicy::Ask(asker) => {
                let (request, answer) = ConfirmRequest::new(index, step.clone());
                // Nobody left to ask means nobody said yes.
                if asker.send(request).await.is_err() {
                    Decision::Abort
                } else {
                    tokio::select! {
                        answer = answer => answer.unwrap_or(Decision::Abort),
                        () = self.stop_requested() => Decision::Abort,
                    }
                }
            }
        })
    }

    /// Executes the step, checks it, keeps its outputs, records and reports it; `true` when it
    /// failed.
    async fn run_step(&mut self, plan: &Plan, index: usize, step: &Step) -> bool {
        self.emit(RunEvent::StepStarted { index });
        let started = Instant::now();
        let result = self.execute(index, step).await;
        let outcome = match &result {
            Ok(result) => match evaluate(&step.check, result) {
                Ok(summary) => {
                    self.outputs.record(&step.action, &step.check, result);
                    StepOutcome::Succeeded { summary }
                }
                Err(error) => StepOutcome::Failed {
                    error,
                    next: self.outputs.fill_text(&step.if_failed),
                },
            },
            // Stopped part-way by the interruption: not a failure, the plan stops here.
            Err(error) if self.cut_short => StepOutcome::Skipped {
                reason: error.clone(),
            },
            Err(error) => StepOutcome::Failed {
                error: error.clone(),
                next: self.outputs.fill_text(&step.if_failed),
            },
        };
        self.record(
            plan,
            index,
            step,
            &outcome,
            result.ok().and_then(|r| r.exit_code()),
            started,
        );
        let failed = matches!(outcome, StepOutcome::Failed { .. });
        self.emit(RunEvent::StepFinished { index, outcome });
        failed
    }

    async fn execute(&mut self, index: usize, step: &Step) -> Result<ActionResult, String> {
        let ctx = StepContext {
            index,
            etcd: self.etcd.as_ref(),
            events: &self.events,
            assume_yes: matches!(self.policy, ConfirmPolicy::AssumeYes),
            outputs: &self.outputs,
        };
        // A snapshot streams for minutes: it is the one step an interruption cuts short. Its
        // file is in the staging directory, which the cleanup removes, so nothing is lost.
        if !matches!(step.action, Action::EtcdSnapshot { .. }) {
            return actions::execute(&ctx, &step.action).await;
        }
        let finished = tokio::select! {
            result = actions::execute(&ctx, &step.action) => Some(result),
            () = self.stop_requested() => None,
        };
        finished.unwrap_or_else(|| {
            self.cut_short = true;
            Err(
                "stopped part-way by the interruption; the unfinished snapshot goes with the \
                 staging directory"
                    .into(),
            )
        })
    }

    fn record(
        &mut self,
        plan: &Plan,
        index: usize,
        step: &Step,
        outcome: &StepOutcome,
        exit_code: Option<i32>,
        started: Instant,
    ) {
        let Some(transcript) = self.transcript.as_mut() else {
            return;
        };
        let command = super::describe_action(plan, &step.action);
        let (outcome_name, detail) = match outcome {
            StepOutcome::Succeeded { summary } => ("succeeded", summary.clone()),
            StepOutcome::Failed { error, .. } => ("failed", error.clone()),
            StepOutcome::Skipped { reason } => ("skipped", reason.clone()),
            StepOutcome::NotRun => ("not-run", String::new()),
        };
        let record = TranscriptRecord {
            time: jiff::Timestamp::now().to_string(),
            run_id: self.run_id.clone(),
            procedure: plan.procedure,
            step: index + 1,
            title: step.title.clone(),
            risk: step.risk,
            action: step.action.clone(),
            command,
            outcome: outcome_name.into(),
            detail,
            exit_code,
            duration_ms: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        if let Err(error) = transcript.append(&record) {
            // The step already ran; say loudly that its record is missing rather than pretend.
            self.emit(RunEvent::Output {
                index,
                stream: OutputStream::Stderr,
                line: format!("WARNING: could not write the transcript: {error:#}"),
            });
        }
    }
}
