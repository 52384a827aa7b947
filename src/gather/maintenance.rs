//! Space recovery and defragmentation: every member's database size, the part in use, who
//! leads, and the raised alarms, read from the cluster into [`SpaceFacts`].

use color_eyre::eyre::{Result, eyre};

use crate::connection::ConnectionSettings;
use crate::etcd::{ClusterSnapshot, collect_snapshot};
use crate::plan::Plan;
use crate::procedures::{MemberSpace, SpaceFacts, SpaceStatus, plan_defrag, plan_space_recovery};

/// The members' space as one look at the cluster shows it; `only` is `--member NAME`.
pub async fn space_facts(
    connection: ConnectionSettings,
    only: Option<String>,
) -> Result<SpaceFacts> {
    let snapshot = collect_snapshot(&connection.target).await;
    facts_from(&snapshot, connection, only)
}

/// [`space_facts`] from a snapshot already taken (pure, so it is tested on made-up ones).
pub fn facts_from(
    snapshot: &ClusterSnapshot,
    connection: ConnectionSettings,
    only: Option<String>,
) -> Result<SpaceFacts> {
    let members = snapshot.members.as_ref().map_err(|error| {
        eyre!(
            "cannot list the members ({error}): without quorum nothing can be compacted or \
             defragmented. Run `lifeboat status` to see which members answer."
        )
    })?;
    let leader = snapshot.leader();
    let name_of = |id: u64| {
        members
            .iter()
            .find(|m| m.id == id)
            .map_or_else(|| crate::etcd::format_id(id), |m| m.name.clone())
    };
    let space = members
        .iter()
        .filter(|m| !m.is_learner)
        .map(|member| {
            let client_url = member.client_urls.first().cloned().unwrap_or_default();
            let status = match snapshot.status_of(member.id) {
                Some(status) => Ok(SpaceStatus {
                    db_size: status.db_size,
                    db_in_use: status.db_size_in_use,
                    is_leader: leader == Some(member.id),
                }),
                None => Err(snapshot
                    .error_of(member)
                    .unwrap_or("did not answer")
                    .to_string()),
            };
            MemberSpace {
                name: member.display_name().to_string(),
                client_url,
                status,
            }
        })
        .collect();
    let alarms = snapshot
        .alarms
        .iter()
        .map(|a| format!("{} on {}", a.alarm, name_of(a.member_id)))
        .collect();
    Ok(SpaceFacts {
        connection,
        members: space,
        alarms,
        only,
    })
}

/// `lifeboat maintenance nospace`: the plan, or why there is none.
pub async fn plan_nospace(connection: ConnectionSettings) -> Result<Plan> {
    let facts = space_facts(connection, None).await?;
    plan_space_recovery(&facts).map_err(|why| eyre!(why))
}

/// `lifeboat maintenance defrag [--member NAME]`: the plan, or why there is none.
pub async fn plan_defragmentation(
    connection: ConnectionSettings,
    only: Option<String>,
) -> Result<Plan> {
    let facts = space_facts(connection, only).await?;
    plan_defrag(&facts).map_err(|why| eyre!(why))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::connection::{Endpoints, Source};
    use crate::etcd::{Alarm, EndpointReport, EndpointStatus, MemberInfo};

    fn connection() -> ConnectionSettings {
        ConnectionSettings {
            target: Endpoints {
                endpoints: vec!["https://h1:2379".into()],
                cacert: None,
                cert: None,
                key: None,
            },
            source: Source::Flags,
        }
    }

    fn member(id: u64, learner: bool) -> MemberInfo {
        MemberInfo {
            id,
            name: format!("etcd-{id}"),
            peer_urls: vec![format!("https://h{id}:2380")],
            client_urls: vec![format!("https://h{id}:2379")],
            is_learner: learner,
        }
    }

    fn answered(id: u64, leader: u64, size: i64, in_use: i64) -> EndpointReport {
        EndpointReport {
            endpoint: format!("https://h{id}:2379"),
            result: Ok(EndpointStatus {
                member_id: id,
                cluster_id: 9,
                version: "3.5.17".into(),
                db_size: size,
                db_size_in_use: in_use,
                leader,
                raft_term: 2,
                raft_index: 10,
                raft_applied_index: 10,
                revision: 5,
                is_learner: false,
                errors: vec![],
            }),
        }
    }

    #[test]
    fn sizes_the_leader_and_the_silent_member_come_from_one_look() {
        let snapshot = ClusterSnapshot {
            members: Ok(vec![member(1, false), member(2, false), member(3, true)]),
            endpoints: vec![
                answered(1, 2, 800, 300),
                EndpointReport {
                    endpoint: "https://h2:2379".into(),
                    result: Err("https://h2:2379: connection refused".into()),
                },
                answered(3, 2, 10, 10),
            ],
            alarms: vec![Alarm {
                member_id: 1,
                alarm: "NOSPACE".into(),
            }],
            taken_at: jiff::Timestamp::UNIX_EPOCH,
        };
        let facts = facts_from(&snapshot, connection(), None).expect("facts");
        // The learner holds no vote, so it is neither waited for nor defragmented.
        assert_eq!(facts.members.len(), 2);
        assert_eq!(
            facts.members[0].status,
            Ok(SpaceStatus {
                db_size: 800,
                db_in_use: 300,
                is_leader: false
            })
        );
        assert_eq!(facts.members[1].status, Err("connection refused".into()));
        assert_eq!(facts.alarms, ["NOSPACE on etcd-1"]);
    }

    #[test]
    fn without_a_member_list_there_is_nothing_to_plan() {
        let snapshot = ClusterSnapshot {
            members: Err("context deadline exceeded".into()),
            endpoints: vec![],
            alarms: vec![],
            taken_at: jiff::Timestamp::UNIX_EPOCH,
        };
        let error = facts_from(&snapshot, connection(), None).expect_err("refused");
        assert!(error.to_string().contains("quorum"), "{error}");
    }
}
