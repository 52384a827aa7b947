//! Space maintenance: compaction, defragmentation of one member, alarm disarm and a test
//! write, each as etcdctl does it (`compact`, `defrag`, `alarm disarm`, `put`).

use std::time::Duration;

use etcd_client::{AlarmAction, AlarmOptions, AlarmType, CompactionOptions};

use super::client::{EtcdError, call, call_within, connect_within};
use super::membership::first_answering;
use super::status::{Alarm, endpoint_status};
use crate::connection::Endpoints;

/// How long one member's defragmentation may take: it rewrites the whole file, which on a
/// multi-gigabyte database takes minutes.
pub const DEFRAG_TIMEOUT: Duration = Duration::from_secs(600);

/// The key the test write puts and then deletes again.
pub const TEST_WRITE_KEY: &str = "/lifeboat/write-test";

/// Compacts the key space to the current revision, physically (waiting until the old
/// revisions are really gone from the backend, as `etcdctl compact --physical`). Returns the
/// revision compacted to.
pub async fn compact_to_current(target: &Endpoints) -> Result<i64, EtcdError> {
    let (mut client, endpoint) = first_answering(target).await?;
    let status = call(&endpoint, client.status()).await?;
    let revision = status.header().map_or(0, |h| h.revision());
    if revision <= 1 {
        return Ok(revision);
    }
    let options = CompactionOptions::new().with_physical();
    match call_within(
        &endpoint,
        DEFRAG_TIMEOUT,
        client.compact(revision, Some(options)),
    )
    .await
    {
        Ok(_) => Ok(revision),
        // Compacted already (by the API server's own compaction, or an earlier run): the
        // history is as short as it can be, which is what was asked.
        Err(EtcdError::Unreachable { detail, .. }) if detail.contains("compacted") => Ok(revision),
        Err(error) => Err(error),
    }
}

/// The database file of one member before and after its defragmentation, in bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Defragmented {
    pub before: i64,
    pub after: i64,
}

/// Defragments the one member at `endpoint` (a connection to that endpoint alone, as
/// `etcdctl --endpoints=URL defrag`): the member blocks reads and writes while it runs.
pub async fn defragment(target: &Endpoints, endpoint: &str) -> Result<Defragmented, EtcdError> {
    let before = endpoint_status(target, endpoint).await?.db_size;
    let mut client = connect_within(target, &[endpoint.to_string()], DEFRAG_TIMEOUT).await?;
    call_within(endpoint, DEFRAG_TIMEOUT, client.defragment()).await?;
    let after = endpoint_status(target, endpoint).await?.db_size;
    Ok(Defragmented { before, after })
}

/// Disarms every raised alarm, one by one as `etcdctl alarm disarm` does; returns those it
/// disarmed.
pub async fn disarm_alarms(target: &Endpoints) -> Result<Vec<Alarm>, EtcdError> {
    let (mut client, endpoint) = first_answering(target).await?;
    let listed = call(
        &endpoint,
        client.alarm(AlarmAction::Get, AlarmType::None, None),
    )
    .await?;
    let mut disarmed = Vec::new();
    for alarm in listed.alarms() {
        let mut options = AlarmOptions::new();
        options.with_member(alarm.member_id());
        call(
            &endpoint,
            client.alarm(AlarmAction::Deactivate, alarm.alarm(), Some(options)),
        )
        .await?;
        disarmed.push(Alarm {
            member_id: alarm.member_id(),
            alarm: alarm.alarm().as_str_name().to_string(),
        });
    }
    Ok(disarmed)
}

/// Puts [`TEST_WRITE_KEY`] and deletes it again: the proof that the cluster takes writes.
/// Returns the revision of the write.
pub async fn test_write(target: &Endpoints, value: &str) -> Result<i64, EtcdError> {
    let (mut client, endpoint) = first_answering(target).await?;
    let put = call(&endpoint, client.put(TEST_WRITE_KEY, value, None)).await?;
    call(&endpoint, client.delete(TEST_WRITE_KEY, None)).await?;
    Ok(put.header().map_or(0, |h| h.revision()))
}
