//! `?watch=true`: the current objects as ADDED (when no resourceVersion is given, as a real
//! server does for "any"), then every change as it is committed, one JSON event per line,
//! until `timeoutSeconds`.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use http_body_util::{BodyExt, StreamBody};
use hyper::Response;
use hyper::body::{Bytes, Frame};
use serde_json::{Value, json};

use super::handlers::{ApiState, param};
use super::routes::ObjectPath;
use super::selectors::{FieldSelector, LabelSelector};
use super::server::{Body, error_response};
use super::store::namespace_of;

fn event(kind: &str, object: &Value) -> Result<Frame<Bytes>, Infallible> {
    let mut line = json!({"type": kind, "object": object}).to_string();
    line.push('\n');
    Ok(Frame::data(Bytes::from(line)))
}

pub fn stream(api: Arc<ApiState>, path: ObjectPath, query: &[(String, String)]) -> Response<Body> {
    let selectors =
        LabelSelector::parse(param(query, "labelSelector").unwrap_or("")).and_then(|labels| {
            FieldSelector::parse(param(query, "fieldSelector").unwrap_or(""))
                .map(|fields| (labels, fields))
        });
    let (labels, fields) = match selectors {
        Ok(selectors) => selectors,
        Err(error) => return error_response(&error),
    };
    let timeout = param(query, "timeoutSeconds")
        .and_then(|t| t.parse().ok())
        .unwrap_or(1800u64);
    let since = param(query, "resourceVersion").unwrap_or("");
    let namespace = path.namespace.clone();
    let resource = path.resource;
    let wanted = move |object: &Value| {
        namespace
            .as_deref()
            .is_none_or(|ns| namespace_of(object) == ns)
            && labels.matches(object)
            && fields.matches(object)
    };
    // Subscribe before reading the current objects so nothing falls in between.
    let changes = api.changes.subscribe();
    let initial: Vec<_> = if since.is_empty() || since == "0" {
        api.store()
            .list(resource, path.namespace.as_deref())
            .iter()
            .filter(|o| wanted(o))
            .map(|o| event("ADDED", o))
            .collect()
    } else {
        Vec::new()
    };
    let live = futures::stream::unfold(changes, |mut changes| async move {
        loop {
            match changes.recv().await {
                Ok(change) => return Some((change, changes)),
                Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
            }
        }
    })
    .filter(move |change| {
        let keep = change.resource == resource && wanted(&change.object);
        async move { keep }
    })
    .map(|change| event(change.event, &change.object));
    let body = futures::stream::iter(initial)
        .chain(live)
        .take_until(tokio::time::sleep(Duration::from_secs(timeout)));
    let mut response = Response::new(BodyExt::boxed(StreamBody::new(body)));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}
