//! The membership calls of member recovery, as the runner executes them: every change is
//! re-checked against the cluster as it is now, not as it was when the plan was made.

use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::check::ActionResult;
use super::events::RunEvent;
use crate::connection::Endpoints;
use crate::etcd::{self, ClusterSnapshot, EtcdError, MemberInfo, check_removal, format_id};
use crate::exec::OutputStream;

const POLL: Duration = Duration::from_millis(500);
/// etcd's own health interval is 5 s; six times that is plenty.
const UNHEALTHY_RETRY: Duration = Duration::from_secs(30);

struct Say<'a> {
    index: usize,
    events: &'a UnboundedSender<RunEvent>,
}

impl Say<'_> {
    fn line(&self, line: String) {
        let _ = self.events.send(RunEvent::Output {
            index: self.index,
            stream: OutputStream::Stdout,
            line,
        });
    }
}

fn with_hint(error: etcd::EtcdError) -> String {
    format!("{error}\n{}", error.hint())
}

/// Whether removing `id` keeps quorum in the cluster as `snapshot` sees it.
fn removal_allowed(snapshot: &ClusterSnapshot, id: u64) -> Result<(etcd::Quorum, String), String> {
    let members = snapshot.members.as_ref().map_err(|error| {
        format!(
            "no member could list the cluster ({error}): quorum is lost or nothing is reachable.\n  \
             Member recovery needs a working majority; restore from a backup instead (the \
             disaster-recovery path)."
        )
    })?;
    let target = members.iter().find(|m| m.id == id);
    let Some(target) = target else {
        return Ok((
            snapshot.quorum(),
            format!("{} is no longer a member", format_id(id)),
        ));
    };
    let quorum = snapshot.quorum();
    let healthy = snapshot.status_of(id).is_some();
    let after = check_removal(
        quorum.voters,
        quorum.healthy_voters,
        healthy && !target.is_learner,
        !target.is_learner,
        target.display_name(),
    )?;
    Ok((after, target.display_name().to_string()))
}

pub async fn quorum_check(
    index: usize,
    target: &Endpoints,
    remove: Option<u64>,
    events: &UnboundedSender<RunEvent>,
) -> Result<ActionResult, String> {
    let say = Say { index, events };
    let snapshot = etcd::collect_snapshot(target).await;
    for member in snapshot.members.as_deref().unwrap_or_default() {
        let state = match snapshot.error_of(member) {
            None => "healthy".to_string(),
            Some(error) => format!("DOWN: {error}"),
        };
        say.line(format!(
            "{} {} {}: {state}",
            format_id(member.id),
            member.display_name(),
            if member.is_learner {
                "learner"
            } else {
                "voter"
            }
        ));
    }
    let quorum = snapshot.quorum();
    say.line(quorum.verdict());
    if !quorum.has_quorum() {
        // Said in the same words as a refusal at planning time.
        removal_allowed(&snapshot, remove.unwrap_or(0))?;
        return Err(quorum.verdict());
    }
    let summary = match remove {
        Some(id) => {
            let (after, name) = removal_allowed(&snapshot, id)?;
            format!(
                "{}; after removing {name}: {} of {} voters, {} needed",
                quorum.verdict(),
                after.healthy_voters,
                after.voters,
                after.majority
            )
        }
        None => quorum.verdict(),
    };
    Ok(ActionResult::Done { summary })
}

/// Before a new cluster is forced from one survivor: quorum must still be lost, and the
/// survivor must still answer. Each reachable member's raft index is printed, so the choice
/// can be checked once more.
pub async fn quorum_lost_check(
    index: usize,
    target: &Endpoints,
    survivor: &str,
    events: &UnboundedSender<RunEvent>,
) -> Result<ActionResult, String> {
    let say = Say { index, events };
    let snapshot = etcd::collect_snapshot(target).await;
    let quorum = snapshot.quorum();
    if quorum.has_quorum() {
        return Err(format!(
            "{}: quorum holds again, so nothing was changed. Forcing a new cluster now would split \
             it; replace the members that are down instead (`lifeboat member replace`).",
            quorum.verdict()
        ));
    }
    let names = snapshot.members.as_deref().unwrap_or_default();
    let mut survivor_answers = false;
    for report in &snapshot.endpoints {
        match &report.result {
            Ok(status) => {
                let name = names
                    .iter()
                    .find(|m| m.id == status.member_id)
                    .map_or(String::new(), |m| m.name.clone());
                survivor_answers |= name == survivor;
                say.line(format!(
                    "{} {name}: raft index {}, revision {}",
                    report.endpoint, status.raft_index, status.revision
                ));
            }
            Err(error) => say.line(format!("{}: {error}", report.endpoint)),
        }
    }
    if !survivor_answers && snapshot.members.is_ok() {
        return Err(format!(
            "{survivor} does not answer any more: nothing was changed. Check it with `lifeboat \
             status` and plan the quorum restore again."
        ));
    }
    Ok(ActionResult::Done {
        summary: format!("{}; {survivor} answers", quorum.verdict()),
    })
}

pub async fn member_remove(
    target: &Endpoints,
    id: u64,
    name: &str,
) -> Result<ActionResult, String> {
    let snapshot = etcd::collect_snapshot(target).await;
    let members = snapshot.members.as_deref().unwrap_or_default();
    if snapshot.members.is_ok() && !members.iter().any(|m| m.id == id) {
        return Ok(ActionResult::Done {
            summary: format!(
                "{name} ({}) is already gone from the member list",
                format_id(id)
            ),
        });
    }
    removal_allowed(&snapshot, id)?;
    etcd::remove_member(target, id).await.map_err(with_hint)?;
    Ok(ActionResult::Done {
        summary: format!("removed {name} ({})", format_id(id)),
    })
}

pub async fn member_add(
    index: usize,
    target: &Endpoints,
    name: &str,
    peer_urls: &[String],
    learner: bool,
    events: &UnboundedSender<RunEvent>,
) -> Result<MemberInfo, String> {
    let say = Say { index, events };
    let started = Instant::now();
    let added = loop {
        match etcd::add_member(target, name, peer_urls, learner).await {
            Ok(added) => break added,
            // etcd refuses a new voter until its members have been connected to each other for
            // a few seconds (its strict reconfiguration check), as right after a removal or a
            // restart: that passes by itself.
            Err(error @ EtcdError::UnhealthyCluster { .. })
                if started.elapsed() < UNHEALTHY_RETRY =>
            {
                say.line(format!(
                    "etcd says \"unhealthy cluster\": its members have not been connected long enough \
                     for a membership change yet; trying again ({error})"
                ));
                tokio::time::sleep(POLL * 2).await;
            }
            Err(error) => return Err(with_hint(error)),
        }
    };
    // What `etcdctl member add` prints, for an engineer comparing with the procedure.
    say.line(format!(
        "Member {} added to cluster{}",
        format_id(added.id),
        if added.is_learner {
            " as a learner"
        } else {
            ""
        }
    ));
    say.line(format!("ETCD_NAME=\"{name}\""));
    say.line("ETCD_INITIAL_CLUSTER_STATE=\"existing\"".into());
    say.line(format!("NODE_ID={}", format_id(added.id)));
    Ok(added)
}

async fn find_member(
    target: &Endpoints,
    name: &str,
    client_url: Option<&str>,
) -> Option<MemberInfo> {
    let members = etcd::list_members(target).await.ok()?;
    members.into_iter().find(|m| {
        m.name == name || client_url.is_some_and(|url| m.client_urls.iter().any(|u| u == url))
    })
}

/// Waits until the member at `client_url` answers and has applied what the leader had
/// committed when we looked.
pub async fn wait_caught_up(
    index: usize,
    target: &Endpoints,
    name: &str,
    client_url: &str,
    timeout: Duration,
    events: &UnboundedSender<RunEvent>,
) -> Result<ActionResult, String> {
    let say = Say { index, events };
    let started = Instant::now();
    let mut last_error = String::from("no answer yet");
    let mut announced = false;
    while started.elapsed() < timeout {
        let snapshot = etcd::collect_snapshot(target).await;
        let leader = snapshot
            .leader()
            .and_then(|id| snapshot.status_of(id))
            .map(|s| s.raft_index);
        match (etcd::endpoint_status(target, client_url).await, leader) {
            (Ok(own), Some(leader_index)) => {
                if !announced {
                    say.line(format!(
                        "{name} answers: etcd {}, {}",
                        own.version,
                        if own.is_learner { "learner" } else { "voter" }
                    ));
                    announced = true;
                }
                let _ = events.send(RunEvent::CatchUp {
                    index,
                    applied: own.raft_applied_index,
                    leader: leader_index,
                });
                if own.raft_applied_index >= leader_index {
                    return Ok(ActionResult::Done {
                        summary: format!(
                            "{name} has applied raft index {} (leader at {leader_index}) after {:.1}s",
                            own.raft_applied_index,
                            started.elapsed().as_secs_f64()
                        ),
                    });
                }
            }
            (Err(error), _) => last_error = error.to_string(),
            (Ok(_), None) => last_error = "the members do not agree on a leader".into(),
        }
        tokio::time::sleep(POLL).await;
    }
    Err(format!(
        "{name} did not catch up within {}s; last: {last_error}",
        timeout.as_secs()
    ))
}

/// Promotes the learner `name`, retrying while etcd says it is not in sync yet.
pub async fn member_promote(
    index: usize,
    target: &Endpoints,
    name: &str,
    timeout: Duration,
    events: &UnboundedSender<RunEvent>,
) -> Result<ActionResult, String> {
    let say = Say { index, events };
    let started = Instant::now();
    let member = find_member(target, name, None)
        .await
        .ok_or_else(|| format!("no member named {name} is listed; check `lifeboat status`"))?;
    if !member.is_learner {
        return Ok(ActionResult::Done {
            summary: format!(
                "{name} ({}) is already a voting member",
                format_id(member.id)
            ),
        });
    }
    loop {
        match etcd::promote_member(target, member.id).await {
            Ok(()) => {
                return Ok(ActionResult::Done {
                    summary: format!("{name} ({}) is a voting member now", format_id(member.id)),
                });
            }
            Err(error) if started.elapsed() < timeout => {
                say.line(format!("not yet: {error}"));
                tokio::time::sleep(POLL * 2).await;
            }
            Err(error) => return Err(with_hint(error)),
        }
    }
}
