use std::time::Instant;

use tokio::sync::mpsc;

use super::check::{ActionResult, evaluate};
use super::confirm::{ConfirmPolicy, ConfirmRequest, Decision};
use super::events::{PlanOutcome, RunEvent, StepOutcome};
use super::transcript::{Transcript, TranscriptRecord};
use crate::connection::Endpoints;
use crate::etcd::{self, EtcdError};
use crate::exec::{Invocation, OutputStream, run_streaming};
use crate::plan::{Action, EtcdCall, Plan, Step, shell_join};

pub struct Runner {
    policy: ConfirmPolicy,
    events: mpsc::UnboundedSender<RunEvent>,
    transcript: Option<Transcript>,
    etcd: Option<Endpoints>,
    run_id: String,
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
        }
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
            procedure: plan.procedure.clone(),
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
        for (index, step) in plan.steps.iter().enumerate() {
            let decision = match &self.policy {
                ConfirmPolicy::DryRun => {
                    self.emit(RunEvent::StepFinished {
                        index,
                        outcome: StepOutcome::NotRun,
                    });
                    continue;
                }
                ConfirmPolicy::AssumeYes => Decision::Run,
                ConfirmPolicy::Ask(asker) => {
                    let (request, answer) = ConfirmRequest::new(index, step.clone());
                    // Nobody left to ask means nobody said yes.
                    if asker.send(request).await.is_err() {
                        Decision::Abort
                    } else {
                        answer.await.unwrap_or(Decision::Abort)
                    }
                }
            };
            match decision {
                Decision::Abort => {
                    self.emit(RunEvent::StepFinished {
                        index,
                        outcome: StepOutcome::Skipped {
                            reason: "the plan was stopped here".into(),
                        },
                    });
                    return PlanOutcome::Aborted { at: index };
                }
                Decision::Skip => {
                    self.emit(RunEvent::StepFinished {
                        index,
                        outcome: StepOutcome::Skipped {
                            reason: "skipped by the engineer".into(),
                        },
                    });
                    continue;
                }
                Decision::Run => {}
            }
            self.emit(RunEvent::StepStarted { index });
            let started = Instant::now();
            let result = self.execute(index, step).await;
            let outcome = match &result {
                Ok(result) => match evaluate(&step.check, result) {
                    Ok(summary) => StepOutcome::Succeeded { summary },
                    Err(error) => StepOutcome::Failed {
                        error,
                        next: step.if_failed.clone(),
                    },
                },
                Err(error) => StepOutcome::Failed {
                    error: error.clone(),
                    next: step.if_failed.clone(),
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
            if failed {
                return PlanOutcome::Failed { at: index };
            }
        }
        if dry_run {
            PlanOutcome::DryRun
        } else {
            PlanOutcome::Completed
        }
    }

    async fn execute(&self, index: usize, step: &Step) -> Result<ActionResult, String> {
        match &step.action {
            Action::Run(spec) => {
                let events = self.events.clone();
                let mut forward = move |line: crate::exec::OutputLine| {
                    let _ = events.send(RunEvent::Output {
                        index,
                        stream: line.stream,
                        line: line.line,
                    });
                };
                run_streaming(&Invocation::of(spec), &mut forward)
                    .await
                    .map(ActionResult::Command)
                    .map_err(|e| e.to_string())
            }
            Action::Etcd(call) => {
                let target = self
                    .etcd
                    .as_ref()
                    .ok_or("no etcd connection is configured for this run; pass --endpoints")?;
                self.etcd_call(index, call, target)
                    .await
                    .map_err(|e| format!("{e}\n{}", e.hint()))
            }
            Action::Manual { .. } => Ok(ActionResult::Confirmed {
                by_flag: matches!(self.policy, ConfirmPolicy::AssumeYes),
            }),
        }
    }

    async fn etcd_call(
        &self,
        index: usize,
        call: &EtcdCall,
        target: &Endpoints,
    ) -> Result<ActionResult, EtcdError> {
        let say = |line: String| {
            self.emit(RunEvent::Output {
                index,
                stream: OutputStream::Stdout,
                line,
            })
        };
        match call {
            EtcdCall::MemberList => {
                let members = etcd::list_members(target).await?;
                for m in &members {
                    say(format!(
                        "{:x}, {}, {}, {}, {}",
                        m.id,
                        m.display_name(),
                        m.peer_urls.join(" "),
                        m.client_urls.join(" "),
                        if m.is_learner { "learner" } else { "voter" }
                    ));
                }
                Ok(ActionResult::Members(members))
            }
            EtcdCall::EndpointStatus => {
                let snapshot = etcd::collect_snapshot(target).await;
                for report in &snapshot.endpoints {
                    say(match &report.result {
                        Ok(s) => format!(
                            "{}, {:x}, {}, db {} B, leader {:x}, term {}, index {}",
                            report.endpoint,
                            s.member_id,
                            s.version,
                            s.db_size,
                            s.leader,
                            s.raft_term,
                            s.raft_index
                        ),
                        Err(error) => format!("{}: {error}", report.endpoint),
                    });
                }
                Ok(ActionResult::Endpoints(snapshot.endpoints))
            }
            EtcdCall::AlarmList => {
                let alarms = etcd::list_alarms(target).await?;
                if alarms.is_empty() {
                    say("no alarms".into());
                }
                for alarm in &alarms {
                    say(format!(
                        "memberID:{:x} alarm:{}",
                        alarm.member_id, alarm.alarm
                    ));
                }
                Ok(ActionResult::Alarms(alarms))
            }
        }
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
        let command = match &step.action {
            Action::Run(spec) => Invocation::of(spec).display(),
            Action::Etcd(call) => shell_join(plan.etcdctl_command(call)),
            Action::Manual { checklist } => checklist.join("; "),
        };
        let (outcome_name, detail) = match outcome {
            StepOutcome::Succeeded { summary } => ("succeeded", summary.clone()),
            StepOutcome::Failed { error, .. } => ("failed", error.clone()),
            StepOutcome::Skipped { reason } => ("skipped", reason.clone()),
            StepOutcome::NotRun => ("not-run", String::new()),
        };
        let record = TranscriptRecord {
            time: jiff::Timestamp::now().to_string(),
            run_id: self.run_id.clone(),
            procedure: plan.procedure.clone(),
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
