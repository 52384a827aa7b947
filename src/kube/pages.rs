//! Lists read a page at a time (`limit` and `continue`, 500 objects a page as kubectl asks),
//! so that what lifeboat holds of a list of a hundred thousand objects is one page.

use kube::api::{Api, DynamicObject, ListParams};
use serde_json::Value;

use super::kinds::KindRef;

/// Objects asked for per request, as `kubectl get --chunk-size` does by default.
pub const PAGE: u32 = 500;

/// Hands every object of `kind` (in `namespace`, or in all) to `each`, one page at a time and
/// in the server's order, each with `apiVersion` and `kind` set (list items lack them).
pub async fn for_each_page(
    client: &kube::Client,
    namespace: Option<&str>,
    kind: &KindRef,
    mut each: impl FnMut(Vec<Value>) -> Result<(), String>,
) -> Result<(), String> {
    let resource = kind.api_resource();
    let api: Api<DynamicObject> = match namespace {
        Some(ns) => Api::namespaced_with(client.clone(), ns, &resource),
        None => Api::all_with(client.clone(), &resource),
    };
    let mut token: Option<String> = None;
    loop {
        let mut params = ListParams::default().limit(PAGE);
        if let Some(token) = &token {
            params = params.continue_token(token);
        }
        let list = api
            .list(&params)
            .await
            .map_err(|e| format!("listing {}: {}", kind.key(), super::describe_error(&e)))?;
        token = list.metadata.continue_.filter(|t| !t.is_empty());
        let page = list
            .items
            .into_iter()
            .map(|item| {
                let mut value = serde_json::to_value(item)
                    .map_err(|e| format!("reading a {}: {e}", kind.kind))?;
                value["apiVersion"] = Value::String(kind.api_version());
                value["kind"] = Value::String(kind.kind.clone());
                Ok(value)
            })
            .collect::<Result<Vec<Value>, String>>()?;
        each(page)?;
        if token.is_none() {
            return Ok(());
        }
    }
}

/// Every object of `kind` in `namespace` (or in all), gathered from its pages.
pub async fn list_objects(
    client: &kube::Client,
    namespace: Option<&str>,
    kind: &KindRef,
) -> Result<Vec<Value>, String> {
    let mut objects = Vec::new();
    for_each_page(client, namespace, kind, |page| {
        objects.extend(page);
        Ok(())
    })
    .await?;
    Ok(objects)
}
