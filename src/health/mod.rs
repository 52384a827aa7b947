//! The health report: everything the dashboard's panels and `lifeboat status` show, collected
//! in one go, and the verdict an on-call engineer needs first.

mod alarms;
mod size;
mod sources;

pub use alarms::alarm_advice;

pub use size::{
    DEFAULT_QUOTA, MEMBER_ADD_THRESHOLD, SizeAssessment, SizeLevel, assess_size, decimal_mb,
};
pub use sources::HealthSources;

use serde::Serialize;

use crate::etcd::{
    ClusterSnapshot, ConsistencyReport, EndpointStatus, Quorum, check_consistency, collect_snapshot,
};
use crate::exec::detached::is_running;
use crate::facts::ProcessCluster;
use crate::facts::certs::{CertFile, inspect_all};
use crate::facts::host::{EtcdRuntime, HostFacts, discover_runtimes, disk_space};
use crate::kube::KubeSummary;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Verdict {
    Healthy,
    /// Something is wrong but quorum holds.
    Degraded {
        reasons: Vec<String>,
    },
    /// Writes are refused, or nothing answered at all.
    QuorumLost {
        reasons: Vec<String>,
    },
}

impl Verdict {
    /// `lifeboat status`'s exit code: 0 healthy, 1 degraded, 2 quorum lost or nothing reachable.
    pub fn exit_code(&self) -> u8 {
        match self {
            Verdict::Healthy => 0,
            Verdict::Degraded { .. } => 1,
            Verdict::QuorumLost { .. } => 2,
        }
    }
}

/// One member as the report shows it, with its lag behind the leader.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberHealth {
    #[serde(serialize_with = "hex")]
    pub id: u64,
    pub name: String,
    pub peer_urls: Vec<String>,
    pub client_urls: Vec<String>,
    pub is_learner: bool,
    pub is_leader: bool,
    pub healthy: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<EndpointStatus>,
    /// Raft entries behind the leader; `None` when either is unknown.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lag: Option<u64>,
    /// Its data differs from the majority's (hashkv at one revision): it must be replaced.
    pub diverged: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HealthReport {
    #[serde(flatten)]
    pub verdict: Verdict,
    pub quorum: Quorum,
    pub members: Vec<MemberHealth>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member_list_error: Option<String>,
    pub alarms: Vec<crate::etcd::Alarm>,
    /// The members' hashes at one revision; `None` when not checked this time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub consistency: Option<ConsistencyReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<SizeAssessment>,
    pub certificates: Vec<CertFile>,
    pub host: HostFacts,
    pub kubernetes: KubeSummary,
    #[serde(skip)]
    pub snapshot: ClusterSnapshot,
}

/// The verdict from the cluster alone, so it is the same for the UI, the CLI and the tests.
pub fn verdict(snapshot: &ClusterSnapshot, consistency: Option<&ConsistencyReport>) -> Verdict {
    let answered = snapshot
        .endpoints
        .iter()
        .filter(|r| r.result.is_ok())
        .count();
    if let Err(error) = &snapshot.members {
        let reason = if answered == 0 {
            format!("no endpoint answered: {error}")
        } else {
            format!("the member list is unavailable ({error}); {answered} endpoints answered")
        };
        return Verdict::QuorumLost {
            reasons: vec![reason],
        };
    }
    let quorum = snapshot.quorum();
    let mut reasons = Vec::new();
    for member in snapshot.members.as_deref().unwrap_or_default() {
        if let Some(error) = snapshot.error_of(member) {
            reasons.push(format!(
                "{} ({:x}) is down: {error}",
                member.display_name(),
                member.id
            ));
        }
    }
    for alarm in &snapshot.alarms {
        reasons.push(format!(
            "alarm {} on member {:x}",
            alarm.alarm, alarm.member_id
        ));
    }
    reasons.extend(consistency.and_then(ConsistencyReport::problem));
    if !quorum.has_quorum() {
        reasons.insert(0, quorum.verdict());
        Verdict::QuorumLost { reasons }
    } else if reasons.is_empty() {
        Verdict::Healthy
    } else {
        Verdict::Degraded { reasons }
    }
}

pub fn members(snapshot: &ClusterSnapshot) -> Vec<MemberHealth> {
    let leader = snapshot.leader();
    let leader_index = leader
        .and_then(|id| snapshot.status_of(id))
        .map(|s| s.raft_index);
    let mut members: Vec<MemberHealth> = snapshot
        .members
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|member| {
            let status = snapshot.status_of(member.id).cloned();
            MemberHealth {
                id: member.id,
                name: member.name.clone(),
                peer_urls: member.peer_urls.clone(),
                client_urls: member.client_urls.clone(),
                is_learner: member.is_learner,
                is_leader: leader == Some(member.id),
                healthy: status.is_some(),
                error: snapshot.error_of(member).map(String::from),
                lag: status
                    .as_ref()
                    .zip(leader_index)
                    .map(|(s, leader_index)| leader_index.saturating_sub(s.raft_index)),
                status,
                diverged: false,
            }
        })
        .collect();
    members.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    members
}

/// Collects everything at once; each part has its own timeout, so one slow source delays the
/// report by seconds at most.
pub async fn collect(sources: &HealthSources) -> HealthReport {
    collect_keeping(sources, None).await
}

/// As `collect`, but when `sources.consistency` is off the members' hashes are not asked for
/// again and `earlier` (the last check, with its revision) stands in for them.
pub async fn collect_keeping(
    sources: &HealthSources,
    earlier: Option<ConsistencyReport>,
) -> HealthReport {
    let now = jiff::Timestamp::now();
    let kube = async {
        if sources.kubernetes {
            crate::kube::summarize().await
        } else {
            KubeSummary::NotConfigured {
                reason: "not asked".into(),
            }
        }
    };
    let (snapshot, mut runtimes, kubernetes) = tokio::join!(
        collect_snapshot(&sources.connection.target),
        discover_runtimes(),
        kube
    );
    if let Some(path) = &sources.process_cluster {
        if let Ok(cluster) = ProcessCluster::load(path) {
            runtimes.extend(cluster.members.iter().map(|m| EtcdRuntime::Process {
                name: m.name.clone(),
                pid: m.pid,
                running: m.pid.is_some_and(is_running),
            }));
        }
    }
    let consistency = if sources.consistency {
        check_consistency(&sources.connection.target, &snapshot).await
    } else {
        earlier
    };
    let host = HostFacts {
        runtimes,
        data_dirs: sources.data_dirs.iter().map(|d| disk_space(d)).collect(),
    };
    let certificates = inspect_all(sources.cert_files.iter().cloned(), now);
    assemble(
        snapshot,
        consistency,
        certificates,
        host,
        kubernetes,
        sources.quota,
        sources.member_add_threshold,
    )
}

/// Builds the report from what was collected; pure, so the UI's tests can make any report.
pub fn assemble(
    snapshot: ClusterSnapshot,
    consistency: Option<ConsistencyReport>,
    certificates: Vec<CertFile>,
    host: HostFacts,
    kubernetes: KubeSummary,
    quota: u64,
    member_add_threshold: u64,
) -> HealthReport {
    let size = snapshot
        .endpoints
        .iter()
        .filter_map(|r| r.result.as_ref().ok())
        .max_by_key(|s| s.db_size)
        .map(|s| {
            let bytes = |v: i64| u64::try_from(v).unwrap_or(0);
            assess_size(
                bytes(s.db_size),
                bytes(s.db_size_in_use),
                quota,
                member_add_threshold,
            )
        });
    let mut members = members(&snapshot);
    if let Some(consistency) = &consistency {
        for member in &mut members {
            member.diverged = consistency.odd_members().contains(&member.id);
        }
    }
    HealthReport {
        verdict: verdict(&snapshot, consistency.as_ref()),
        quorum: snapshot.quorum(),
        members,
        member_list_error: snapshot.members.as_ref().err().cloned(),
        alarms: snapshot.alarms.clone(),
        consistency,
        size,
        certificates,
        host,
        kubernetes,
        snapshot,
    }
}

fn hex<S: serde::Serializer>(id: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format!("{id:x}"))
}
