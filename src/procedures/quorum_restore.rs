//! Quorum restore from the best survivor: when a majority of members is gone for good but one
//! survivor's data is current, a new one-member cluster is forced from its data directory
//! (etcd's `--force-new-cluster`), which keeps everything up to the last write it applied.
//! Restoring last night's snapshot instead would throw away a day.
//!
//! The order is OpenShift 4's `quorum-restore.sh`, with lifeboat's rules: the survivor is the
//! voting member with the highest raft index (the engineer may choose another, with the cost
//! shown), quorum is checked to be still lost just before anything changes, the data directory
//! is copied before the forced start, and the force flag is removed again so a later restart
//! cannot reset membership twice. The lost members are then replaced one at a time.

use std::path::PathBuf;

use super::{EtcdService, FORCE_NEW_CLUSTER};
use crate::connection::ConnectionSettings;
use crate::plan::{Action, Check, CommandSpec, EtcdCall, EtcdState, Plan, Risk, Step, shell_join};

/// A member that still answers its status call, and what this host knows of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Survivor {
    pub name: String,
    pub raft_index: u64,
    pub revision: i64,
    pub is_learner: bool,
    pub client_urls: Vec<String>,
    /// Where it runs when it runs on this host; `None` for a member on another host.
    pub local: Option<LocalMember>,
}

/// A member on this host: the files a forced start needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalMember {
    pub data_dir: PathBuf,
    pub conf: PathBuf,
    pub service: EtcdService,
    /// The free name the data directory is copied to before the forced start.
    pub copy_to: PathBuf,
}

#[derive(Clone, Debug)]
pub struct QuorumRestoreFacts {
    pub connection: ConnectionSettings,
    /// Voting members in the member list (or known to this host's configuration).
    pub voters: usize,
    pub survivors: Vec<Survivor>,
    /// The survivor the engineer chose; `None` takes the best.
    pub chosen: Option<String>,
    /// Every member's name: all but the survivor are added back afterwards (a forced new
    /// cluster drops the other survivors too).
    pub members: Vec<String>,
}

/// The voting survivor with the highest raft index (its revision breaks ties).
pub fn best_survivor(survivors: &[Survivor]) -> Option<&Survivor> {
    survivors
        .iter()
        .filter(|s| !s.is_learner)
        .max_by_key(|s| (s.raft_index, s.revision))
}

/// Plans the restore, or refuses before anything runs: quorum holds, no voting survivor, or
/// the chosen one is not on this host.
pub fn plan_quorum_restore(facts: &QuorumRestoreFacts) -> Result<Plan, String> {
    let (survivor, local, cost) = choose(facts)?;
    let mut steps = vec![check(facts, survivor, &cost)];
    steps.extend(stop_and_copy(survivor, local));
    steps.extend(forced_start(survivor, local));
    steps.extend(normal_restart(survivor, local));
    steps.push(handover(facts, survivor));
    Ok(Plan {
        procedure: crate::plan::Procedure::QuorumRestore,
        title: format!("Restore quorum from {}", survivor.name),
        summary: format!(
            "Forces a new one-member cluster from {}'s data (raft index {}, revision {}), keeping \
             a copy of its data directory in {}; then the lost members ({}) are added back one at \
             a time. Reached through {}.",
            survivor.name,
            survivor.raft_index,
            survivor.revision,
            local.copy_to.display(),
            lost(facts, survivor).join(", "),
            facts.connection.source
        ),
        etcdctl_flags: facts.connection.etcdctl_flags(),
        steps,
    })
}

/// The survivor and what choosing it costs against the best one.
fn choose(facts: &QuorumRestoreFacts) -> Result<(&Survivor, &LocalMember, String), String> {
    let healthy_voters = facts.survivors.iter().filter(|s| !s.is_learner).count();
    if facts.voters > 0 && healthy_voters > facts.voters / 2 {
        return Err(format!(
            "quorum holds: {healthy_voters} of {} voters answer. A forced new cluster would split \
             it; replace the members that are down instead (`lifeboat member replace`).",
            facts.voters
        ));
    }
    let best = best_survivor(&facts.survivors).ok_or(
        "no voting member answers: there is no survivor to keep. Restore from a backup \
         (`lifeboat restore cluster --from BUNDLE`).",
    )?;
    let survivor = match &facts.chosen {
        None => best,
        Some(name) => facts
            .survivors
            .iter()
            .find(|s| &s.name == name)
            .ok_or_else(|| {
                format!(
                    "{name} does not answer: the members that do are {}",
                    names(facts)
                )
            })?,
    };
    if survivor.is_learner {
        return Err(format!(
            "{} is a learner: it may not hold every committed entry. Choose a voting member: {}",
            survivor.name,
            names(facts)
        ));
    }
    let local = survivor.local.as_ref().ok_or_else(|| {
        format!(
            "{} runs on another host: run `lifeboat restore quorum` there, where its data \
             directory and etcd.conf are",
            survivor.name
        )
    })?;
    let behind = best.raft_index.saturating_sub(survivor.raft_index);
    let cost = if behind == 0 {
        format!(
            "{} has the highest raft index of the members that answer ({}): nothing it applied is \
             lost.",
            survivor.name, survivor.raft_index
        )
    } else {
        format!(
            "COST: {} is {behind} raft entries behind {} (index {} against {}): the writes in \
             between are lost.",
            survivor.name, best.name, survivor.raft_index, best.raft_index
        )
    };
    Ok((survivor, local, cost))
}

fn names(facts: &QuorumRestoreFacts) -> String {
    facts
        .survivors
        .iter()
        .map(|s| format!("{} (index {})", s.name, s.raft_index))
        .collect::<Vec<_>>()
        .join(", ")
}

fn step(title: String, reason: String, risk: Risk, action: Action, if_failed: &str) -> Step {
    let check = match action {
        Action::Run(_) => Check::ExitSuccess,
        Action::Manual { .. } => Check::Confirmed,
        _ => Check::Completed,
    };
    Step::new(title, reason, risk, action, check, if_failed)
}

fn required(step: Step) -> Step {
    Step {
        required: true,
        ..step
    }
}

/// Quorum still lost and the survivor still answering, checked just before anything changes.
fn check(facts: &QuorumRestoreFacts, survivor: &Survivor, cost: &str) -> Step {
    required(step(
        "Check that quorum is still lost".into(),
        format!(
            "{} of {} voters answer: {}. {cost} If a lost member came back, forcing a new \
             cluster would split the cluster: this is checked again now.",
            facts.survivors.iter().filter(|s| !s.is_learner).count(),
            facts.voters,
            facts
                .survivors
                .iter()
                .map(describe_survivor)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        Risk::ReadOnly,
        Action::Etcd(EtcdCall::QuorumLostCheck {
            survivor: survivor.name.clone(),
        }),
        "Nothing was changed. Read the output above.",
    ))
}

/// One survivor as the check lists it: its raft index, and its data directory when it is here.
fn describe_survivor(survivor: &Survivor) -> String {
    let role = if survivor.is_learner {
        " (learner)"
    } else {
        ""
    };
    match &survivor.local {
        Some(local) => format!(
            "{}{role} at raft index {}, data in {}",
            survivor.name,
            survivor.raft_index,
            local.data_dir.display()
        ),
        None => format!(
            "{}{role} at raft index {}, on another host",
            survivor.name, survivor.raft_index
        ),
    }
}

/// The survivor stopped and its data directory copied whole.
fn stop_and_copy(survivor: &Survivor, local: &LocalMember) -> Vec<Step> {
    let start_again = shell_join(local.service.start_command().argv);
    let data = local.data_dir.display().to_string();
    let copy = local.copy_to.display().to_string();
    vec![
        required(step(
            format!("Stop etcd ({})", local.service.describe()),
            "Its data directory is copied next: etcd must not write to it meanwhile.".into(),
            Risk::Reversible,
            Action::Run(local.service.stop_command()),
            &format!("Nothing was changed; start it again: {start_again}"),
        )),
        required(step(
            "Wait until etcd is really down".into(),
            "A stop command can return while the process is still exiting.".into(),
            Risk::ReadOnly,
            Action::WaitForEtcd {
                endpoints: survivor.client_urls.clone(),
                until: EtcdState::Down,
                timeout_secs: 60,
            },
            &format!(
                "Find the process (`ss -ltnp`) and stop it, or start etcd again: {start_again}"
            ),
        )),
        required(step(
            format!("Keep a copy of {data}"),
            format!(
                "The forced start rewrites the membership in {data}: the copy in {copy} is the \
                 way back to the member as it was."
            ),
            Risk::Reversible,
            Action::Run(CommandSpec::local(["cp", "-a", &data, &copy])),
            &format!(
                "The data directory is untouched. Free space for the copy (`df -h {data}`), remove \
                 a partial {copy}, or start etcd again: {start_again}"
            ),
        )),
    ]
}

/// The one start with `--force-new-cluster`: from here on it is a new cluster of one.
fn forced_start(survivor: &Survivor, local: &LocalMember) -> Vec<Step> {
    let way_back = way_back(local);
    vec![
        required(step(
            format!("Set {FORCE_NEW_CLUSTER}=true in {}", local.conf.display()),
            "etcd reads it like --force-new-cluster: on its next start it drops every other \
             member from the membership and forms a cluster of one with its own data."
                .into(),
            Risk::Reversible,
            Action::SetConfValue {
                conf: local.conf.clone(),
                key: FORCE_NEW_CLUSTER.into(),
                value: Some("true".into()),
            },
            &way_back,
        )),
        required(step(
            format!("Start {} as a new one-member cluster", survivor.name),
            "The forced start: the lost members are no longer members, and the survivor accepts \
             writes alone with everything it had applied."
                .into(),
            Risk::Destructive,
            Action::Run(local.service.start_command()),
            &way_back,
        )),
        wait_healthy(survivor, &way_back),
    ]
}

/// The flag removed and etcd restarted without it, so a later restart cannot force again.
fn normal_restart(survivor: &Survivor, local: &LocalMember) -> Vec<Step> {
    let way_back = way_back(local);
    vec![
        required(step(
            format!("Remove {FORCE_NEW_CLUSTER} from {}", local.conf.display()),
            "A second forced start would reset membership again, after members were added back."
                .into(),
            Risk::Reversible,
            Action::SetConfValue {
                conf: local.conf.clone(),
                key: FORCE_NEW_CLUSTER.into(),
                value: None,
            },
            &way_back,
        )),
        required(step(
            format!("Stop {} after its forced start", survivor.name),
            "It restarts without the flag.".into(),
            Risk::Reversible,
            Action::Run(local.service.stop_command()),
            &way_back,
        )),
        step(
            "Wait until etcd is down again".into(),
            "It must not be started twice.".into(),
            Risk::ReadOnly,
            Action::WaitForEtcd {
                endpoints: survivor.client_urls.clone(),
                until: EtcdState::Down,
                timeout_secs: 60,
            },
            &way_back,
        ),
        required(step(
            format!("Start {} again", survivor.name),
            "A normal start of the new one-member cluster.".into(),
            Risk::Reversible,
            Action::Run(local.service.start_command()),
            &way_back,
        )),
        wait_healthy(survivor, &way_back),
    ]
}

fn wait_healthy(survivor: &Survivor, way_back: &str) -> Step {
    required(step(
        format!("Wait until {} is healthy", survivor.name),
        "It answers and leads itself.".into(),
        Risk::ReadOnly,
        Action::WaitForEtcd {
            endpoints: survivor.client_urls.clone(),
            until: EtcdState::Healthy,
            timeout_secs: 90,
        },
        &format!("Read etcd's log for why it does not come up. {way_back}"),
    ))
}

/// The way back to the member as it was before the forced start.
fn way_back(local: &LocalMember) -> String {
    let data = local.data_dir.display();
    format!(
        "To go back: stop etcd ({}), move {data} aside, `cp -a {} {data}`, remove \
         {FORCE_NEW_CLUSTER} from {}, and start etcd again.",
        shell_join(local.service.stop_command().argv),
        local.copy_to.display(),
        local.conf.display()
    )
}

/// Every member but the survivor.
fn lost<'a>(facts: &'a QuorumRestoreFacts, survivor: &Survivor) -> Vec<&'a str> {
    facts
        .members
        .iter()
        .map(String::as_str)
        .filter(|name| *name != survivor.name && !name.is_empty())
        .collect()
}

/// The members to add back, one at a time, each through member replacement.
fn handover(facts: &QuorumRestoreFacts, survivor: &Survivor) -> Step {
    let mut checklist: Vec<String> = lost(facts, survivor)
        .into_iter()
        .map(|name| {
            format!(
                "lifeboat member replace --failed {name} --new-name {name} --new-host HOST --out \
                 DIR   (then `lifeboat member join` on that host; one member at a time)"
            )
        })
        .collect();
    checklist.push("lifeboat status   (every member healthy, one leader)".into());
    step(
        "Add the lost members back".into(),
        format!(
            "{} is a cluster of one and tolerates no failure: add the others back one at a time, \
             each caught up before the next.",
            survivor.name
        ),
        Risk::ReadOnly,
        Action::Manual { checklist },
        "The cluster of one works; add the members when you can.",
    )
}

#[cfg(test)]
#[path = "quorum_restore_tests.rs"]
mod tests;
