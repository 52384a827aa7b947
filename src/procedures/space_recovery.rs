//! Space recovery (the NOSPACE alarm) and defragmentation: compact, defragment each member
//! one at a time with the leader last, waiting for health in between, then (for NOSPACE)
//! disarm the alarm, prove a write works and read the quota gauge again.
//!
//! A member being defragmented answers nothing until it is done; with another member already
//! unhealthy that would cost quorum, so both planners refuse while any member is unhealthy.

use crate::connection::ConnectionSettings;
use crate::plan::{Action, Check, EtcdCall, EtcdState, Plan, Procedure, Risk, Step};

/// OpenShift 4's defragmentation rule (cluster-etcd-operator's defragcontroller): a member is
/// worth defragmenting when at least this share of its file is free space...
pub const DEFRAG_FREE_SHARE: f64 = 0.45;
/// ...and at least this many bytes.
pub const DEFRAG_FREE_BYTES: i64 = 100 * 1000 * 1000;

/// How long to wait for every member to be healthy again after one is defragmented.
const HEALTH_WAIT_SECS: u64 = 120;

/// One member's database, as its own status call reported it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSpace {
    pub name: String,
    pub client_url: String,
    /// Its status, or why it did not answer.
    pub status: Result<SpaceStatus, String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpaceStatus {
    /// The database file's size.
    pub db_size: i64,
    /// The part of the file holding data; the rest is free pages a defragmentation gives back.
    pub db_in_use: i64,
    pub is_leader: bool,
}

impl SpaceStatus {
    pub fn free(&self) -> i64 {
        (self.db_size - self.db_in_use).max(0)
    }

    /// At least 45% of the file and 100 MB free: the operator's rule.
    pub fn fragmented(&self) -> bool {
        let free = self.free();
        free >= DEFRAG_FREE_BYTES && (free as f64) >= DEFRAG_FREE_SHARE * self.db_size as f64
    }
}

/// What both planners need: the connection, every member's space, the raised alarms.
#[derive(Clone, Debug)]
pub struct SpaceFacts {
    pub connection: ConnectionSettings,
    pub members: Vec<MemberSpace>,
    /// Raised alarms as etcd names them (`NOSPACE`, `CORRUPT`), with the member's name.
    pub alarms: Vec<String>,
    /// `--member NAME`: defragment this member only (defragmentation only).
    pub only: Option<String>,
}

/// `lifeboat maintenance nospace`: compact, defragment every member (leader last), disarm,
/// test write, gauge. Refused while a member is unhealthy.
pub fn plan_space_recovery(facts: &SpaceFacts) -> Result<Plan, String> {
    refuse_unhealthy(facts)?;
    let order = leader_last(facts.members.iter().collect());
    let mut steps = vec![health_step(), compact_step()];
    steps.extend(defrag_steps(facts, &order));
    steps.extend(disarm_steps());
    steps.push(gauge_step());
    let alarms = if facts.alarms.is_empty() {
        "no alarm is raised now".to_string()
    } else {
        format!("raised: {}", facts.alarms.join(", "))
    };
    Ok(Plan {
        procedure: Procedure::SpaceRecovery,
        title: "etcd space recovery (NOSPACE)".into(),
        summary: format!(
            "Gives the database space back and makes the cluster writable again ({alarms}): \
             compact to the current revision, defragment {} one at a time with the leader last, \
             waiting for health in between, then disarm the alarm, prove a write works and read \
             the quota gauge again.",
            names(&order)
        ),
        etcdctl_flags: facts.connection.etcdctl_flags(),
        steps,
    })
}

/// `lifeboat maintenance defrag`: the members the rule (or `--member`) picks, leader last.
pub fn plan_defrag(facts: &SpaceFacts) -> Result<Plan, String> {
    refuse_unhealthy(facts)?;
    let chosen: Vec<&MemberSpace> = match &facts.only {
        Some(name) => {
            let member = facts.members.iter().find(|m| &m.name == name);
            vec![member.ok_or_else(|| {
                format!(
                    "no member is called {name}; the members are {}",
                    names(&facts.members.iter().collect::<Vec<_>>())
                )
            })?]
        }
        None => facts
            .members
            .iter()
            .filter(|m| m.status.as_ref().is_ok_and(SpaceStatus::fragmented))
            .collect(),
    };
    if chosen.is_empty() {
        return Err(format!(
            "no member needs defragmenting: none has at least {:.0}% of its file and {} MB \
             free. Name one with --member NAME to defragment it anyway.",
            DEFRAG_FREE_SHARE * 100.0,
            DEFRAG_FREE_BYTES / 1_000_000
        ));
    }
    let order = leader_last(chosen);
    let mut steps = vec![health_step()];
    steps.extend(defrag_steps(facts, &order));
    steps.push(gauge_step());
    Ok(Plan {
        procedure: Procedure::Defrag,
        title: "etcd defragmentation".into(),
        summary: format!(
            "Gives back the free pages of {}: one member at a time, the leader last, waiting \
             for every member to be healthy in between. A member answers nothing while it is \
             defragmented.",
            names(&order)
        ),
        etcdctl_flags: facts.connection.etcdctl_flags(),
        steps,
    })
}

/// Refuses while any member does not answer: defragmenting another would cost quorum.
fn refuse_unhealthy(facts: &SpaceFacts) -> Result<(), String> {
    if facts.members.is_empty() {
        return Err(
            "no member answered the member list: quorum may be lost. Run the health \
                    check first."
                .into(),
        );
    }
    let down: Vec<String> = facts
        .members
        .iter()
        .filter_map(|m| {
            let error = m.status.as_ref().err()?;
            Some(format!("{} ({error})", m.name))
        })
        .collect();
    if down.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "refusing to defragment while a member is unhealthy: {}. A member being \
             defragmented answers nothing until it is done, so with another one down the \
             cluster could lose quorum. Bring it back (or replace it with `lifeboat member \
             replace`) first.",
            down.join(", ")
        ))
    }
}

/// The members in the order they are defragmented: by name, the leader last.
fn leader_last(mut members: Vec<&MemberSpace>) -> Vec<&MemberSpace> {
    let is_leader = |m: &MemberSpace| m.status.as_ref().is_ok_and(|s| s.is_leader);
    members.sort_by(|a, b| (is_leader(a), a.name.as_str()).cmp(&(is_leader(b), b.name.as_str())));
    members
}

fn names(members: &[&MemberSpace]) -> String {
    let list: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
    list.join(", ")
}

fn health_step() -> Step {
    Step::new(
        "Check that every member is healthy",
        "Each defragmentation blocks its member: it is only safe while every other member \
         answers, so that the cluster keeps quorum.",
        Risk::ReadOnly,
        Action::Etcd(EtcdCall::EndpointStatus),
        Check::EndpointsHealthy,
        "Nothing was changed. Bring the unhealthy member back, or replace it, before \
         defragmenting.",
    )
}

fn compact_step() -> Step {
    Step::new(
        "Compact to the current revision",
        "Drops every older revision of every key, so that defragmentation has pages to give \
         back; the current revision is read from the cluster when the step runs. The API \
         server compacts every few minutes anyway; only history is lost, no current value.",
        Risk::Destructive,
        Action::Etcd(EtcdCall::Compact),
        Check::Completed,
        "Nothing was defragmented yet. A compaction that fails on a NOSPACE cluster is \
         unusual: check the members' logs.",
    )
}

/// Per member: its defragmentation, then a wait until every member is healthy again.
fn defrag_steps(facts: &SpaceFacts, order: &[&MemberSpace]) -> Vec<Step> {
    let all: Vec<String> = facts.members.iter().map(|m| m.client_url.clone()).collect();
    let mut steps = Vec::new();
    for member in order {
        let leader = member.status.as_ref().is_ok_and(|s| s.is_leader);
        let size = member.status.as_ref().map_or(String::new(), |s| {
            format!(
                " Its file is {}, {} in use.",
                crate::units::human_bytes(s.db_size),
                crate::units::human_bytes(s.db_in_use)
            )
        });
        steps.push(Step::new(
            format!("Defragment {}", member.name),
            format!(
                "Rewrites the member's database file without its free pages; it answers nothing \
                 while it does.{size}{}",
                if leader {
                    " The leader goes last, so that leadership moves at most once."
                } else {
                    ""
                }
            ),
            Risk::Reversible,
            Action::Etcd(EtcdCall::Defragment {
                name: member.name.clone(),
                client_url: member.client_url.clone(),
            }),
            Check::Completed,
            format!(
                "{} may still be defragmenting or restarting: wait until `etcdctl endpoint \
                 health --cluster` shows it healthy before going on. Its data is unchanged.",
                member.name
            ),
        ));
        steps.push(Step::new(
            format!("Wait until every member is healthy after {}", member.name),
            "The next member is only defragmented once this one answers again.",
            Risk::ReadOnly,
            Action::WaitForEtcd {
                endpoints: all.clone(),
                until: EtcdState::Healthy,
                timeout_secs: HEALTH_WAIT_SECS,
            },
            Check::Completed,
            "Stop here: look at the member's log before defragmenting another one.",
        ));
    }
    steps
}

/// The alarm disarmed, then proved gone, then a write that proves the cluster takes them.
fn disarm_steps() -> Vec<Step> {
    vec![
        Step::new(
            "Disarm the alarm",
            "etcd keeps refusing writes until the NOSPACE alarm is disarmed, even with space \
             given back.",
            Risk::Reversible,
            Action::Etcd(EtcdCall::AlarmDisarm),
            Check::Completed,
            "If the database is still above its quota the alarm comes back: delete data (old \
             events, stale objects) or raise --quota-backend-bytes, then disarm again.",
        ),
        Step::new(
            "Check that no alarm is raised",
            "A member still over its quota raises NOSPACE again at once.",
            Risk::ReadOnly,
            Action::Etcd(EtcdCall::AlarmList),
            Check::NoAlarms,
            "The space given back was not enough: see the sizes above.",
        ),
        Step::new(
            "Write a test key",
            "The proof that the cluster takes writes again: a key put and deleted.",
            Risk::Reversible,
            Action::Etcd(EtcdCall::TestWrite),
            Check::Completed,
            "Writes still fail: look at the error above and the alarm list.",
        ),
    ]
}

fn gauge_step() -> Step {
    Step::new(
        "Read every member's database size again",
        "The quota gauge after the recovery: each member's file and the part in use.",
        Risk::ReadOnly,
        Action::Etcd(EtcdCall::EndpointStatus),
        Check::EndpointsHealthy,
        "A member that does not answer now may still be restarting: run the health check.",
    )
}

#[cfg(test)]
#[path = "space_recovery_tests.rs"]
mod tests;
