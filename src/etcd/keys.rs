//! What a restore is checked against: the store's revision and how many keys it holds.

use etcd_client::GetOptions;

use super::client::{EtcdError, call, connect};
use crate::connection::Endpoints;

/// The number of keys at `revision` (the latest when `None`), and the revision it was read at.
/// Counted by the server (`count_only`), so it costs the same for ten keys or ten million.
pub async fn count_keys(
    target: &Endpoints,
    revision: Option<i64>,
) -> Result<(i64, u64), EtcdError> {
    let mut client = connect(target, &target.endpoints).await?;
    let mut options = GetOptions::new().with_all_keys().with_count_only();
    if let Some(revision) = revision {
        options = options.with_revision(revision);
    }
    let endpoints = target.endpoints.join(",");
    let response = call(&endpoints, client.get("", Some(options))).await?;
    let read_at = response.header().map_or(0, |h| h.revision());
    Ok((
        revision.unwrap_or(read_at),
        u64::try_from(response.count()).unwrap_or(0),
    ))
}
