//! Etcd calls: native gRPC against the members, each described as the etcdctl command it stands for.

use std::time::Duration;

use super::{StepContext, path_arg};
use crate::connection::Endpoints;
use crate::etcd::{self, EtcdError};
use crate::exec::OutputStream;
use crate::plan::{Action, EtcdCall, EtcdState, Plan, shell_join};
use crate::run::check::ActionResult;
use crate::run::events::RunEvent;
use crate::run::{member_calls, native, restore};

/// The command an engineer would type for `action`, or `None` when it is not of this domain.
pub fn describe(plan: &Plan, action: &Action) -> Option<String> {
    Some(match action {
        Action::Etcd(call) => format!(
            "{}   (native gRPC; etcdctl equivalent)",
            shell_join(plan.etcdctl_command(call))
        ),
        Action::EtcdSnapshot { endpoint, to, .. } => {
            let mut argv = vec!["etcdctl".to_string()];
            argv.extend(
                plan.etcdctl_flags
                    .iter()
                    .filter(|f| !f.starts_with("--endpoints="))
                    .cloned(),
            );
            argv.push(format!("--endpoints={endpoint}"));
            argv.extend([
                "snapshot".to_string(),
                "save".to_string(),
                to.display().to_string(),
            ]);
            format!(
                "{}   (native gRPC stream; etcdctl equivalent)",
                shell_join(argv)
            )
        }
        Action::WaitForEtcd {
            endpoints,
            until,
            timeout_secs,
        } => match until {
            EtcdState::Down => format!(
                "wait up to {timeout_secs}s until nothing listens on {}",
                endpoints.join(", ")
            ),
            EtcdState::Healthy => format!(
                "wait up to {timeout_secs}s for {}   (native; etcdctl equivalent)",
                shell_join(
                    std::iter::once("etcdctl".to_string())
                        .chain(
                            plan.etcdctl_flags
                                .iter()
                                .filter(|f| !f.starts_with("--endpoints="))
                                .cloned()
                        )
                        .chain([
                            format!("--endpoints={}", endpoints.join(",")),
                            "endpoint".into(),
                            "health".into(),
                        ])
                )
            ),
        },
        Action::CompareWithBundle { revision, keys } => format!(
            "{}   (native; expect revision {revision}{})",
            shell_join(
                std::iter::once("etcdctl".to_string())
                    .chain(plan.etcdctl_flags.iter().cloned())
                    .chain([
                        "get".into(),
                        "--prefix".into(),
                        "".into(),
                        "--count-only".into(),
                        "-w".into(),
                        "json".into()
                    ])
            ),
            keys.map_or(String::new(), |k| format!(", {k} keys"))
        ),
        Action::ReadSnapshotBack { file } => format!(
            "ETCDCTL_API=3 etcdctl snapshot status {} -w json   (native read of the bbolt pages; etcdctl equivalent)",
            shell_join([path_arg(file)])
        ),
        _ => return None,
    })
}

const NO_CONNECTION: &str = "no etcd connection is configured for this run; pass --endpoints";

/// Runs `action` when it talks to etcd.
pub async fn execute(
    ctx: &StepContext<'_>,
    action: &Action,
) -> Option<Result<ActionResult, String>> {
    let index = ctx.index;
    Some(match action {
        Action::Etcd(call) => match ctx.etcd {
            Some(target) => call_etcd(ctx, call, target).await,
            None => Err(NO_CONNECTION.into()),
        },
        Action::EtcdSnapshot {
            endpoint,
            to,
            expected_size,
        } => match ctx.etcd {
            Some(target) => {
                native::snapshot(index, target, endpoint, to, *expected_size, ctx.events).await
            }
            None => Err(NO_CONNECTION.into()),
        },
        Action::WaitForEtcd {
            endpoints,
            until,
            timeout_secs,
        } => {
            let target = ctx.etcd.cloned().unwrap_or_default();
            restore::wait_for_etcd(index, &target, endpoints, *until, *timeout_secs, ctx.events)
                .await
        }
        Action::CompareWithBundle { revision, keys } => match ctx.etcd {
            Some(target) => restore::compare_with_bundle(target, *revision, *keys).await,
            None => Err(NO_CONNECTION.into()),
        },
        Action::ReadSnapshotBack { file } => native::read_snapshot_back(file),
        _ => return None,
    })
}

async fn call_etcd(
    ctx: &StepContext<'_>,
    call: &EtcdCall,
    target: &Endpoints,
) -> Result<ActionResult, String> {
    if let Some(result) = membership_call(ctx, call, target).await {
        return result;
    }
    if let Some(result) = super::etcd_space::execute(ctx, call, target).await {
        return result;
    }
    read_call(ctx, call, target)
        .await
        .map_err(|e| format!("{e}\n{}", e.hint()))
}

/// The calls of member recovery; `None` for the others.
async fn membership_call(
    ctx: &StepContext<'_>,
    call: &EtcdCall,
    target: &Endpoints,
) -> Option<Result<ActionResult, String>> {
    let (index, events) = (ctx.index, ctx.events);
    Some(match call {
        EtcdCall::QuorumCheck { remove } => {
            member_calls::quorum_check(index, target, *remove, events).await
        }
        EtcdCall::QuorumLostCheck { survivor } => {
            member_calls::quorum_lost_check(index, target, survivor, events).await
        }
        EtcdCall::MemberRemove { id, name } => member_calls::member_remove(target, *id, name).await,
        EtcdCall::MemberAdd {
            name,
            peer_urls,
            learner,
        } => member_calls::member_add(index, target, name, peer_urls, *learner, events)
            .await
            .map(|added| {
                let summary = format!(
                    "{name} added as {} with ID {}",
                    if added.is_learner {
                        "a learner"
                    } else {
                        "a member"
                    },
                    etcd::format_id(added.id)
                );
                ActionResult::MemberAdded {
                    member: added,
                    summary,
                }
            }),
        EtcdCall::WaitCaughtUp {
            name,
            client_url,
            timeout_secs,
        } => {
            let timeout = Duration::from_secs(*timeout_secs);
            member_calls::wait_caught_up(index, target, name, client_url, timeout, events).await
        }
        EtcdCall::MemberPromote { name, timeout_secs } => {
            let timeout = Duration::from_secs(*timeout_secs);
            member_calls::member_promote(index, target, name, timeout, events).await
        }
        EtcdCall::MemberList
        | EtcdCall::EndpointStatus
        | EtcdCall::AlarmList
        | EtcdCall::Compact
        | EtcdCall::Defragment { .. }
        | EtcdCall::AlarmDisarm
        | EtcdCall::TestWrite => return None,
    })
}

/// The read-only calls of the health check, each printed as etcdctl prints it.
async fn read_call(
    ctx: &StepContext<'_>,
    call: &EtcdCall,
    target: &Endpoints,
) -> Result<ActionResult, EtcdError> {
    let say = |line: String| {
        let _ = ctx.events.send(RunEvent::Output {
            index: ctx.index,
            stream: OutputStream::Stdout,
            line,
        });
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
        EtcdCall::QuorumCheck { .. }
        | EtcdCall::QuorumLostCheck { .. }
        | EtcdCall::MemberRemove { .. }
        | EtcdCall::MemberAdd { .. }
        | EtcdCall::WaitCaughtUp { .. }
        | EtcdCall::MemberPromote { .. }
        | EtcdCall::Compact
        | EtcdCall::Defragment { .. }
        | EtcdCall::AlarmDisarm
        | EtcdCall::TestWrite => Err(EtcdError::Unhandled(format!("{call:?}"))),
    }
}
