//! Membership changes: remove, add (also as a learner), promote. Each runs exactly once, on the
//! first member that answers, unlike reads, which ask every member at once.

use etcd_client::{Client, MemberAddOptions};
use futures::future::select_ok;

use super::client::{EtcdError, call, connect};
use super::status::MemberInfo;
use crate::connection::Endpoints;

/// A connection to the first endpoint that answers a status call.
pub(crate) async fn first_answering(target: &Endpoints) -> Result<(Client, String), EtcdError> {
    if target.endpoints.is_empty() {
        return Err(EtcdError::NoEndpoints);
    }
    let attempts = target.endpoints.iter().map(|endpoint| {
        Box::pin(async move {
            let mut client = connect(target, std::slice::from_ref(endpoint)).await?;
            call(endpoint, client.status()).await?;
            Ok::<_, EtcdError>((client, endpoint.clone()))
        })
    });
    select_ok(attempts).await.map(|(answer, _)| answer)
}

pub async fn remove_member(target: &Endpoints, id: u64) -> Result<(), EtcdError> {
    let (mut client, endpoint) = first_answering(target).await?;
    call(&endpoint, client.member_remove(id)).await.map(|_| ())
}

/// Adds a member and returns it as etcd recorded it (with its new ID).
pub async fn add_member(
    target: &Endpoints,
    name: &str,
    peer_urls: &[String],
    learner: bool,
) -> Result<MemberInfo, EtcdError> {
    let (mut client, endpoint) = first_answering(target).await?;
    let options = learner.then(|| MemberAddOptions::new().with_is_learner());
    let response = call(&endpoint, client.member_add(peer_urls, options)).await?;
    let member = response.member().ok_or_else(|| EtcdError::Unreachable {
        endpoints: endpoint.clone(),
        detail: "member add answered without the new member".into(),
    })?;
    Ok(MemberInfo {
        id: member.id(),
        // etcd names a member only once it has started; ours is known already.
        name: name.to_string(),
        peer_urls: member.peer_urls().to_vec(),
        client_urls: member.client_urls().to_vec(),
        is_learner: member.is_learner(),
    })
}

pub async fn promote_member(target: &Endpoints, id: u64) -> Result<(), EtcdError> {
    let (mut client, endpoint) = first_answering(target).await?;
    call(&endpoint, client.member_promote(id)).await.map(|_| ())
}
