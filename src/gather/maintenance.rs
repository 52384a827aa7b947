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
