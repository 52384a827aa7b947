use std::time::Instant;

use tokio::sync::mpsc;

use super::check::{ActionResult, evaluate, parse_snapshot_status};
use super::confirm::{ConfirmPolicy, ConfirmRequest, Decision};
use super::events::{PlanOutcome, RunEvent, StepOutcome};
use super::member_calls;
use super::native;
use super::native_files;
use super::restore;
use super::transcript::{Transcript, TranscriptRecord};
use crate::connection::Endpoints;
use crate::etcd::{self, EtcdError};
use crate::exec::{Invocation, OutputStream, run_streaming};
use crate::plan::{Action, Check, EtcdCall, Plan, Step};

pub struct Runner {
    policy: ConfirmPolicy,
    events: mpsc::UnboundedSender<RunEvent>,
    transcript: Option<Transcript>,
    etcd: Option<Endpoints>,
    run_id: String,
    /// What the snapshot status step read back, for the manifest the seal step writes.
    snapshot_stats: Option<crate::bundle::SnapshotStats>,
    /// Values later steps refer to as `${NAME}`: `NODE_ID` once a member was added.
    bindings: std::collections::BTreeMap<String, String>,
    /// Digests of files this run wrote and hashed on the way, so sealing need not re-read them.
    known_sha256: std::collections::BTreeMap<std::path::PathBuf, String>,
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
            snapshot_stats: None,
            bindings: std::collections::BTreeMap::new(),
            known_sha256: std::collections::BTreeMap::new(),
            readonly: crate::config::current().readonly_exit(),
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
        let mut failed_at = None;
        for (index, step) in plan.steps.iter().enumerate() {
            if let Some(at) = failed_at {
                if !step.always_run {
                    self.emit(RunEvent::StepFinished {
                        index,
                        outcome: StepOutcome::Skipped {
                            reason: format!("not run: step {} failed", at + 1),
                        },
                    });
                    continue;
                }
            }
            if let Action::Skip { reason } = &step.action {
                self.emit(RunEvent::StepFinished {
                    index,
                    outcome: StepOutcome::Skipped {
                        reason: reason.clone(),
                    },
                });
                continue;
            }
            let stopped = failed_at.is_some();
            let how_to_leave = self.readonly.as_deref();
            if let Some(refused) = super::readonly::refusal(step, how_to_leave, dry_run, stopped) {
                self.emit(RunEvent::StepFinished {
                    index,
                    outcome: refused,
                });
                failed_at.get_or_insert(index);
                continue;
            }
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
                    Ok(summary) => {
                        match (&step.check, result) {
                            (Check::SnapshotStatus, ActionResult::Command(outcome)) => {
                                self.snapshot_stats = parse_snapshot_status(&outcome.tail);
                            }
                            (Check::SnapshotStatus, ActionResult::SnapshotRead(stats)) => {
                                self.snapshot_stats = Some(*stats);
                            }
                            (Check::SnapshotHash, ActionResult::Snapshot { sha256, .. }) => {
                                if let Action::EtcdSnapshot { to, .. } = &step.action {
                                    self.known_sha256.insert(to.clone(), sha256.clone());
                                }
                            }
                            _ => {}
                        }
                        StepOutcome::Succeeded { summary }
                    }
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
            if failed && failed_at.is_none() {
                failed_at = Some(index);
            }
        }
        match failed_at {
            Some(at) => PlanOutcome::Failed { at },
            None if dry_run => PlanOutcome::DryRun,
            None => PlanOutcome::Completed,
        }
    }

    async fn execute(&mut self, index: usize, step: &Step) -> Result<ActionResult, String> {
        match &step.action {
            Action::Run(spec) => {
                let spec = &self.bind(spec);
                let events = self.events.clone();
                let mut forward = move |line: crate::exec::OutputLine| {
                    let _ = events.send(RunEvent::Output {
                        index,
                        stream: line.stream,
                        line: line.line,
                    });
                };
                let invocation = Invocation::of(spec);
                let running = run_streaming(&invocation, &mut forward);
                let finished = match spec.timeout_secs {
                    // Dropping the future kills the process (kill_on_drop).
                    Some(seconds) => {
                        tokio::time::timeout(std::time::Duration::from_secs(seconds), running)
                            .await
                            .map_err(|_| {
                                format!("no result after {seconds}s: the command was stopped")
                            })?
                    }
                    None => running.await,
                };
                finished
                    .map(ActionResult::Command)
                    .map_err(|e| e.to_string())
            }
            Action::Etcd(call) => {
                let target = self
                    .etcd
                    .clone()
                    .ok_or("no etcd connection is configured for this run; pass --endpoints")?;
                if let Some(result) = self.membership_call(index, call, &target).await {
                    return result;
                }
                self.etcd_call(index, call, &target)
                    .await
                    .map_err(|e| format!("{e}\n{}", e.hint()))
            }
            Action::WriteFile {
                path,
                contents,
                mode,
            } => native_files::write_file(path, contents, *mode),
            Action::IssueCertificates {
                ca_dir,
                common_name,
                sans,
                out_dir,
            } => native_files::issue_certificates(ca_dir, common_name, sans, out_dir),
            Action::PackDirectory { dir, to } => native_files::pack_directory(dir, to),
            Action::ExtractBundle { bundle, into } => native_files::extract_bundle(bundle, into),
            Action::RemoveDir { path } => native_files::remove_dir(path),
            Action::StartEtcd(how) => native_files::start_etcd(how).await,
            Action::AppData(action) => super::appdata::run(index, action, &self.events).await,
            Action::Manual { .. } => Ok(ActionResult::Confirmed {
                by_flag: matches!(self.policy, ConfirmPolicy::AssumeYes),
            }),
            Action::Skip { reason } => Ok(ActionResult::Done {
                summary: reason.clone(),
            }),
            Action::PrepareBundle { staging, out } => native::prepare_bundle(staging, out),
            Action::Archive {
                base,
                entries,
                to,
                mode,
            } => native::archive(base, entries, to, *mode),
            Action::EtcdSnapshot {
                endpoint,
                to,
                expected_size,
            } => {
                let target = self
                    .etcd
                    .as_ref()
                    .ok_or("no etcd connection is configured for this run; pass --endpoints")?;
                native::snapshot(index, target, endpoint, to, *expected_size, &self.events).await
            }
            Action::SealBundle {
                staging,
                out,
                identity,
            } => {
                let stats = self.with_live_key_count(self.snapshot_stats).await;
                native::seal_bundle(staging, out, identity, stats, &self.known_sha256)
            }
            Action::DiscardStaging { staging } => native::discard_staging(staging),
            Action::ReadSnapshotBack { file } => native::read_snapshot_back(file),
            Action::VerifyBundle { bundle } => restore::verify_bundle(bundle),
            Action::RestoreArchive {
                archive,
                into,
                keep_old,
            } => restore::restore_archive(archive, into, keep_old),
            Action::WaitForEtcd {
                endpoints,
                until,
                timeout_secs,
            } => {
                let target = self.etcd.clone().unwrap_or_default();
                restore::wait_for_etcd(
                    index,
                    &target,
                    endpoints,
                    *until,
                    *timeout_secs,
                    &self.events,
                )
                .await
            }
            Action::MoveAside { from, to } => restore::move_aside(from, to),
            Action::SetConfValue { conf, key, value } => {
                restore::set_conf_value(conf, key, value.as_deref())
            }
            Action::ExportProject {
                namespace,
                kinds,
                excluded,
                secrets,
                out,
            } => {
                super::kube::export_project(
                    index,
                    namespace,
                    kinds,
                    excluded,
                    *secrets,
                    out,
                    &self.events,
                )
                .await
            }
            Action::CreateProject {
                name,
                annotations,
                openshift,
                dry_run,
            } => super::kube::create_project(name, annotations, *openshift, *dry_run).await,
            Action::RestoreObjects {
                from,
                source,
                target,
                existing,
                dry_run,
            } => {
                super::kube::restore_objects(
                    index,
                    from,
                    source,
                    target,
                    *existing,
                    *dry_run,
                    &self.events,
                )
                .await
            }
            Action::CompareWithBundle { revision, keys } => {
                let target = self
                    .etcd
                    .as_ref()
                    .ok_or("no etcd connection is configured for this run; pass --endpoints")?;
                restore::compare_with_bundle(target, *revision, *keys).await
            }
        }
    }

    /// The snapshot's statistics with the key count a client sees at its revision, so that a
    /// restore can be checked key for key. Left out (not guessed) when the cluster cannot say.
    async fn with_live_key_count(
        &self,
        stats: Option<crate::bundle::SnapshotStats>,
    ) -> Option<crate::bundle::SnapshotStats> {
        let mut stats = stats?;
        if let Some(target) = &self.etcd {
            stats.keys = etcd::count_keys(target, Some(stats.revision))
                .await
                .ok()
                .map(|(_, keys)| keys);
        }
        Some(stats)
    }

    /// `${NAME}` arguments replaced by what earlier steps found out.
    fn bind(&self, spec: &crate::plan::CommandSpec) -> crate::plan::CommandSpec {
        let mut bound = spec.clone();
        for arg in &mut bound.argv {
            if let Some(value) = arg
                .strip_prefix("${")
                .and_then(|rest| rest.strip_suffix('}'))
                .and_then(|name| self.bindings.get(name))
            {
                *arg = value.clone();
            }
        }
        bound
    }

    /// The calls of member recovery; `None` for the others.
    async fn membership_call(
        &mut self,
        index: usize,
        call: &EtcdCall,
        target: &Endpoints,
    ) -> Option<Result<ActionResult, String>> {
        let events = &self.events;
        Some(match call {
            EtcdCall::QuorumCheck { remove } => {
                member_calls::quorum_check(index, target, *remove, events).await
            }
            EtcdCall::MemberRemove { id, name } => {
                member_calls::member_remove(target, *id, name).await
            }
            EtcdCall::MemberAdd {
                name,
                peer_urls,
                learner,
            } => match member_calls::member_add(index, target, name, peer_urls, *learner, events)
                .await
            {
                Ok(added) => {
                    self.bindings
                        .insert("NODE_ID".into(), crate::etcd::format_id(added.id));
                    Ok(ActionResult::Done {
                        summary: format!(
                            "{name} added as {} with ID {}",
                            if added.is_learner {
                                "a learner"
                            } else {
                                "a member"
                            },
                            crate::etcd::format_id(added.id)
                        ),
                    })
                }
                Err(error) => Err(error),
            },
            EtcdCall::WaitCaughtUp {
                name,
                client_url,
                timeout_secs,
            } => {
                member_calls::wait_caught_up(
                    index,
                    target,
                    name,
                    client_url,
                    std::time::Duration::from_secs(*timeout_secs),
                    events,
                )
                .await
            }
            EtcdCall::MemberPromote { name, timeout_secs } => {
                member_calls::member_promote(
                    index,
                    target,
                    name,
                    std::time::Duration::from_secs(*timeout_secs),
                    events,
                )
                .await
            }
            EtcdCall::MemberList | EtcdCall::EndpointStatus | EtcdCall::AlarmList => return None,
        })
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
            EtcdCall::QuorumCheck { .. }
            | EtcdCall::MemberRemove { .. }
            | EtcdCall::MemberAdd { .. }
            | EtcdCall::WaitCaughtUp { .. }
            | EtcdCall::MemberPromote { .. } => Err(EtcdError::Unhandled(format!("{call:?}"))),
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
        let command = plan.describe_action(&step.action);
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
