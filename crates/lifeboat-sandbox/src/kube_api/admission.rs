//! What a real server does to an object before storing it: name checks and the few field checks
//! that answer 422 Invalid, the defaults its kind gets, and a Service's cluster IP.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::discovery::{Resource, core};
use super::status::{ApiError, ApiResult};
use super::store::{Store, name_of, now};

/// The OpenShift 3 default service network.
const SERVICE_NETWORK: (u8, u8) = (172, 30);
/// The pod network of the one emulated node.
const POD_NETWORK: (u8, u8) = (10, 128);
pub const NODE_NAME: &str = "sandbox-node";
pub const NODE_IP: &str = "127.0.0.1";

fn invalid(resource: &Resource, name: &str, field: &str, message: &str) -> ApiError {
    ApiError::Invalid {
        group: resource.group.into(),
        kind: resource.kind.into(),
        name: name.into(),
        causes: vec![(field.into(), message.into())],
    }
}

/// RFC 1123 label (namespaces, services) or subdomain (everything else).
fn valid_name(name: &str, label: bool) -> bool {
    let max = if label { 63 } else { 253 };
    let ok_chars = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (!label && c == '.'));
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    !name.is_empty()
        && name.len() <= max
        && ok_chars
        && ends(name.chars().next())
        && ends(name.chars().last())
}

/// Checks and defaults for a create; fills `generateName`.
pub fn admit_create(store: &mut Store, resource: &Resource, object: &mut Value) -> ApiResult<()> {
    if name_of(object).is_empty() {
        if let Some(base) = object["metadata"]["generateName"]
            .as_str()
            .map(String::from)
        {
            let suffix = store.fresh_suffix();
            object["metadata"]["name"] = json!(format!("{base}{suffix}"));
        }
    }
    validate(resource, object)?;
    if resource.has_status && resource.kind != "Pod" {
        if let Some(fields) = object.as_object_mut() {
            fields.remove("status");
        }
    }
    match resource.kind {
        "Namespace" => {
            object["spec"] = json!({"finalizers": ["kubernetes"]});
            object["status"] = json!({"phase": "Active"});
        }
        "Secret" => {
            if object["type"].is_null() {
                object["type"] = json!("Opaque");
            }
            fold_string_data(object);
        }
        "Service" => {
            let ip = allocate_cluster_ip(store, resource, object)?;
            let spec = &mut object["spec"];
            if spec["type"].is_null() {
                spec["type"] = json!("ClusterIP");
            }
            if spec["sessionAffinity"].is_null() {
                spec["sessionAffinity"] = json!("None");
            }
            spec["clusterIP"] = json!(ip);
            spec["clusterIPs"] = json!([ip]);
            object["status"] = json!({"loadBalancer": {}});
        }
        "PersistentVolumeClaim" => object["status"] = json!({"phase": "Pending"}),
        "Deployment"
        | "DeploymentConfig"
        | "ReplicaSet"
        | "ReplicationController"
        | "StatefulSet"
            if object["spec"]["replicas"].is_null() =>
        {
            object["spec"]["replicas"] = json!(1);
        }
        "Pod" => run_pod(store, object),
        _ => {}
    }
    Ok(())
}

/// A Secret's `stringData` is write-only: the server folds it into `data`, base64-encoded.
fn fold_string_data(secret: &mut Value) {
    use base64::Engine;
    let Some(plain) = secret.as_object_mut().and_then(|o| o.remove("stringData")) else {
        return;
    };
    if !secret["data"].is_object() {
        secret["data"] = json!({});
    }
    for (key, value) in plain.as_object().into_iter().flatten() {
        let text = value.as_str().unwrap_or("");
        secret["data"][key] = json!(base64::engine::general_purpose::STANDARD.encode(text));
    }
}

/// Checks and carried-over fields for an update: status stays the server's for kinds that have
/// a status subresource, and a Service keeps its cluster IP.
pub fn admit_update(resource: &Resource, old: &Value, object: &mut Value) -> ApiResult<()> {
    validate(resource, object)?;
    if resource.has_status {
        object["status"] = old["status"].clone();
    }
    if resource.kind == "Service" {
        let wanted = object["spec"]["clusterIP"].as_str().unwrap_or("");
        let had = old["spec"]["clusterIP"].clone();
        if !wanted.is_empty() && Some(wanted) != had.as_str() {
            return Err(invalid(
                resource,
                name_of(object),
                "spec.clusterIP",
                "field is immutable",
            ));
        }
        object["spec"]["clusterIP"] = had;
        object["spec"]["clusterIPs"] = old["spec"]["clusterIPs"].clone();
    }
    if resource.kind == "Secret" {
        fold_string_data(object);
    }
    if resource.kind == "Pod" {
        object["spec"]["nodeName"] = old["spec"]["nodeName"].clone();
    }
    Ok(())
}

fn validate(resource: &Resource, object: &Value) -> ApiResult<()> {
    let name = name_of(object);
    let label = matches!(resource.kind, "Namespace" | "Service" | "Project");
    if name.is_empty() {
        return Err(invalid(
            resource,
            name,
            "metadata.name",
            "Required value: name or generateName is required",
        ));
    }
    // RBAC objects only need to be a valid path segment (`system:image-builder`).
    let path_segment = resource.group == "rbac.authorization.k8s.io"
        && !name.contains(['/', '%'])
        && name != "."
        && name != "..";
    if !path_segment && !valid_name(name, label) {
        let rule = if label {
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character"
        } else {
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
        };
        return Err(invalid(
            resource,
            name,
            "metadata.name",
            &format!("Invalid value: {name:?}: {rule}"),
        ));
    }
    let spec = &object["spec"];
    let empty = |v: &Value| v.as_array().is_none_or(Vec::is_empty);
    match resource.kind {
        "Pod" if empty(&spec["containers"]) => {
            Err(invalid(resource, name, "spec.containers", "Required value"))
        }
        "Pod" => match super::pod_checks::pod_spec_problem(spec) {
            Some((field, message)) => Err(invalid(resource, name, &field, &message)),
            None => Ok(()),
        },
        "Service" if empty(&spec["ports"]) && spec["clusterIP"].as_str() != Some("None") => {
            Err(invalid(resource, name, "spec.ports", "Required value"))
        }
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => {
            let selector = &spec["selector"]["matchLabels"];
            let labels = &spec["template"]["metadata"]["labels"];
            let matches = selector.as_object().is_some_and(|wanted| {
                !wanted.is_empty() && wanted.iter().all(|(k, v)| labels.get(k) == Some(v))
            });
            if matches {
                Ok(())
            } else {
                Err(invalid(
                    resource,
                    name,
                    "spec.template.metadata.labels",
                    "Invalid value: `selector` does not match template `labels`",
                ))
            }
        }
        "ConfigMap" | "Secret" => {
            let bad = ["data", "stringData", "binaryData"]
                .iter()
                .find_map(|field| {
                    object[*field]
                        .as_object()
                        .into_iter()
                        .flatten()
                        .map(|(k, _)| k)
                        .find(|k| !super::pod_checks::valid_config_key(k))
                        .map(|k| format!("{field}[{k}]"))
                });
            match bad {
                Some(field) => Err(invalid(
                    resource,
                    name,
                    &field,
                    "Invalid value: a valid config key must consist of alphanumeric characters, '-', '_' or '.'",
                )),
                None => Ok(()),
            }
        }
        _ => Ok(()),
    }
}

fn used_ips(store: &Store, field: &str) -> BTreeSet<String> {
    store
        .all()
        .filter_map(|o| o.pointer(field).and_then(Value::as_str))
        .map(String::from)
        .collect()
}

/// The next free address of the service network, or the one asked for if it is free.
fn allocate_cluster_ip(store: &Store, resource: &Resource, object: &Value) -> ApiResult<String> {
    let used: BTreeSet<String> = store
        .list(core("services"), None)
        .iter()
        .filter_map(|s| s["spec"]["clusterIP"].as_str().map(String::from))
        .collect();
    match object["spec"]["clusterIP"].as_str() {
        Some("None") => return Ok("None".into()),
        Some(wanted) if !wanted.is_empty() => {
            return if used.contains(wanted) {
                Err(invalid(
                    resource,
                    name_of(object),
                    "spec.clusterIP",
                    &format!("Invalid value: {wanted:?}: provided IP is already allocated"),
                ))
            } else {
                Ok(wanted.to_string())
            };
        }
        _ => {}
    }
    next_free(SERVICE_NETWORK, &used)
        .ok_or_else(|| ApiError::Internal("the service network 172.30.0.0/16 is full".into()))
}

fn next_free((a, b): (u8, u8), used: &BTreeSet<String>) -> Option<String> {
    (1..=255u8)
        .flat_map(|c| (1..=254u8).map(move |d| format!("{a}.{b}.{c}.{d}")))
        .find(|ip| !used.contains(ip))
}

/// A pod is scheduled on the one node and running at once: there are no images to pull.
fn run_pod(store: &Store, pod: &mut Value) {
    let used = used_ips(store, "/status/podIP");
    let ip = next_free(POD_NETWORK, &used).unwrap_or_else(|| "10.128.255.254".into());
    pod["spec"]["nodeName"] = json!(NODE_NAME);
    let started = now();
    let statuses: Vec<Value> = pod["spec"]["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| {
            json!({
                "name": c["name"],
                "image": c["image"],
                "imageID": "",
                "ready": true,
                "started": true,
                "restartCount": 0,
                "state": {"running": {"startedAt": started}},
            })
        })
        .collect();
    let condition = |kind: &str| json!({"type": kind, "status": "True", "lastProbeTime": null, "lastTransitionTime": started});
    pod["status"] = json!({
        "phase": "Running",
        "hostIP": NODE_IP,
        "podIP": ip,
        "podIPs": [{"ip": ip}],
        "startTime": started,
        "qosClass": "BestEffort",
        "conditions": [condition("Initialized"), condition("Ready"), condition("ContainersReady"), condition("PodScheduled")],
        "containerStatuses": statuses,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_rfc_1123() {
        assert!(valid_name("jenkins-1", true));
        assert!(valid_name("a.b", false));
        assert!(!valid_name("a.b", true));
        assert!(!valid_name("Bad", false));
        assert!(!valid_name("-x", false));
    }

    #[test]
    fn next_free_skips_used_addresses() {
        let used: BTreeSet<String> = ["172.30.1.1".to_string()].into();
        assert_eq!(
            next_free(SERVICE_NETWORK, &used).as_deref(),
            Some("172.30.1.2")
        );
    }
}
