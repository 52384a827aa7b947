//! One look at the whole cluster: the member list, every member's own status, alarms.
//!
//! Each member is asked on its own connection with a short timeout, concurrently, so one dead
//! or hanging member delays nothing and shows up as its own error.

use std::collections::BTreeSet;

use etcd_client::{AlarmAction, AlarmType, Client};
use futures::future::{join_all, select_ok};
use serde::Serialize;

use super::Quorum;
use super::client::{EtcdError, call, connect};
use crate::connection::Endpoints;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberInfo {
    #[serde(serialize_with = "hex_id")]
    pub id: u64,
    /// Empty until the member has started for the first time.
    pub name: String,
    pub peer_urls: Vec<String>,
    pub client_urls: Vec<String>,
    pub is_learner: bool,
}

impl MemberInfo {
    pub fn display_name(&self) -> &str {
        if self.name.is_empty() {
            "(not started)"
        } else {
            &self.name
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndpointStatus {
    #[serde(serialize_with = "hex_id")]
    pub member_id: u64,
    #[serde(serialize_with = "hex_id")]
    pub cluster_id: u64,
    pub version: String,
    pub db_size: i64,
    pub db_size_in_use: i64,
    #[serde(serialize_with = "hex_id")]
    pub leader: u64,
    pub raft_term: u64,
    pub raft_index: u64,
    pub raft_applied_index: u64,
    pub revision: i64,
    pub is_learner: bool,
    pub errors: Vec<String>,
}

/// What one endpoint said, or why it said nothing.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EndpointReport {
    pub endpoint: String,
    #[serde(flatten, serialize_with = "crate::serde_fields::result_as_fields")]
    pub result: Result<EndpointStatus, String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Alarm {
    #[serde(serialize_with = "hex_id")]
    pub member_id: u64,
    pub alarm: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ClusterSnapshot {
    /// `Err` when no endpoint could list the members (quorum lost or nothing reachable).
    pub members: Result<Vec<MemberInfo>, String>,
    pub endpoints: Vec<EndpointReport>,
    pub alarms: Vec<Alarm>,
    #[serde(serialize_with = "crate::serde_fields::timestamp")]
    pub taken_at: jiff::Timestamp,
}

impl ClusterSnapshot {
    /// The status a member answered with, matched by member ID.
    pub fn status_of(&self, member_id: u64) -> Option<&EndpointStatus> {
        self.endpoints
            .iter()
            .filter_map(|report| report.result.as_ref().ok())
            .find(|status| status.member_id == member_id)
    }

    /// The error of a member's endpoints when none of them answered.
    pub fn error_of(&self, member: &MemberInfo) -> Option<&str> {
        if self.status_of(member.id).is_some() {
            return None;
        }
        if member.client_urls.is_empty() {
            return Some("not started: no client URL advertised");
        }
        self.endpoints
            .iter()
            .filter(|report| member.client_urls.contains(&report.endpoint))
            .find_map(|report| {
                // The endpoint is already in the member's row; keep only what went wrong.
                let error = report.result.as_ref().err()?;
                Some(
                    error
                        .strip_prefix(&format!("{}: ", report.endpoint))
                        .unwrap_or(error),
                )
            })
    }

    pub fn leader(&self) -> Option<u64> {
        let leaders: BTreeSet<u64> = self
            .endpoints
            .iter()
            .filter_map(|report| report.result.as_ref().ok())
            .map(|status| status.leader)
            .filter(|&leader| leader != 0)
            .collect();
        // Members that disagree about the leader are mid-election: report none.
        (leaders.len() == 1)
            .then(|| leaders.into_iter().next())
            .flatten()
    }

    pub fn quorum(&self) -> Quorum {
        let members = self.members.as_deref().unwrap_or_default();
        let voters: Vec<_> = members.iter().filter(|m| !m.is_learner).collect();
        let healthy = voters
            .iter()
            .filter(|m| self.status_of(m.id).is_some())
            .count();
        Quorum::new(voters.len(), healthy)
    }
}

/// Collects a snapshot; never fails as a whole, since a broken cluster is exactly what the
/// engineer needs to see.
pub async fn collect_snapshot(target: &Endpoints) -> ClusterSnapshot {
    let taken_at = jiff::Timestamp::now();
    let (members, alarms) = tokio::join!(list_members(target), list_alarms(target));
    let members = members.map_err(|e| e.to_string());
    let alarms = alarms.unwrap_or_default();
    // Like `etcdctl endpoint status --cluster`: ask every member's advertised client URL, or
    // the configured endpoints when the member list is unavailable.
    let endpoints: Vec<String> = match &members {
        Ok(members) if members.iter().any(|m| !m.client_urls.is_empty()) => members
            .iter()
            .flat_map(|m| m.client_urls.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect(),
        _ => target.endpoints.clone(),
    };
    let reports = join_all(endpoints.into_iter().map(|endpoint| async move {
        let result = endpoint_status(target, &endpoint)
            .await
            .map_err(|e| e.to_string());
        EndpointReport { endpoint, result }
    }))
    .await;
    ClusterSnapshot {
        members,
        endpoints: reports,
        alarms,
        taken_at,
    }
}

/// Runs `call` against every endpoint at once, each on its own connection, and takes the first
/// answer. One balanced connection over all endpoints would keep sending requests to a dead
/// member, which is the very situation lifeboat is opened in.
async fn on_any_endpoint<T, F, Fut>(target: &Endpoints, call: F) -> Result<T, EtcdError>
where
    F: Fn(Client, String) -> Fut,
    Fut: Future<Output = Result<T, EtcdError>>,
{
    if target.endpoints.is_empty() {
        return Err(EtcdError::NoEndpoints);
    }
    let attempts = target.endpoints.iter().map(|endpoint| {
        let call = &call;
        Box::pin(async move {
            let client = connect(target, std::slice::from_ref(endpoint)).await?;
            call(client, endpoint.clone()).await
        })
    });
    select_ok(attempts).await.map(|(value, _)| value)
}

pub async fn list_members(target: &Endpoints) -> Result<Vec<MemberInfo>, EtcdError> {
    on_any_endpoint(target, |mut client, endpoint| async move {
        let response = call(&endpoint, client.member_list()).await?;
        Ok(response
            .members()
            .iter()
            .map(|m| MemberInfo {
                id: m.id(),
                name: m.name().to_string(),
                peer_urls: m.peer_urls().to_vec(),
                client_urls: m.client_urls().to_vec(),
                is_learner: m.is_learner(),
            })
            .collect())
    })
    .await
}

pub async fn list_alarms(target: &Endpoints) -> Result<Vec<Alarm>, EtcdError> {
    on_any_endpoint(target, |mut client, endpoint| async move {
        let response = call(
            &endpoint,
            client.alarm(AlarmAction::Get, AlarmType::None, None),
        )
        .await?;
        Ok(response
            .alarms()
            .iter()
            .map(|a| Alarm {
                member_id: a.member_id(),
                alarm: a.alarm().as_str_name().to_string(),
            })
            .collect())
    })
    .await
}

pub async fn endpoint_status(
    target: &Endpoints,
    endpoint: &str,
) -> Result<EndpointStatus, EtcdError> {
    let mut client = connect(target, &[endpoint.to_string()]).await?;
    let status = call(endpoint, client.status()).await?;
    let header = status.header();
    Ok(EndpointStatus {
        member_id: header.map_or(0, |h| h.member_id()),
        cluster_id: header.map_or(0, |h| h.cluster_id()),
        version: status.version().to_string(),
        db_size: status.db_size(),
        db_size_in_use: status.raft_used_db_size(),
        leader: status.leader(),
        raft_term: status.raft_term(),
        raft_index: status.raft_index(),
        raft_applied_index: status.raft_applied_index(),
        revision: header.map_or(0, |h| h.revision()),
        is_learner: status.is_learner(),
        errors: status.errors().to_vec(),
    })
}

/// Member IDs are printed in hex everywhere, as etcdctl prints them.
pub fn format_id(id: u64) -> String {
    format!("{id:x}")
}

fn hex_id<S: serde::Serializer>(id: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_id(*id))
}
