//! The cleaning rules of a project export, all in one place.
//!
//! `kubectl get -o yaml` hands back what the server made of an object, not what someone asked
//! for. Creating that again fails or misbehaves: uids and resource versions are refused, a
//! Service's cluster IP is taken, a PVC names a volume bound to the old claim, service-account
//! tokens belong to the old accounts. Every rule below removes one such thing; each is counted
//! under its [`Rule`] name in the export's manifest so nothing disappears silently.
//!
//! | rule | what goes |
//! |---|---|
//! | `status` | the whole `status`: the cluster recomputes it |
//! | `server-metadata` | `uid`, `resourceVersion`, `creationTimestamp`, `generation`, `managedFields`, `selfLink`, `deletionTimestamp`, `deletionGracePeriodSeconds`, `generateName` |
//! | `owner-references` | `ownerReferences` of objects without a controlling owner (uids of the old cluster) |
//! | `controller-owned` | whole objects a controller owns (pods of a replica set, replica sets of a deployment, replication controllers of a deployment config): the controller makes them again |
//! | `server-annotations` | `kubectl.kubernetes.io/last-applied-configuration`, `deployment.kubernetes.io/revision`, OpenShift's `openshift.io/sa.scc.*` range annotations, `kubernetes.io/metadata.name` label |
//! | `service-cluster-ip` | a Service's `clusterIP` and `clusterIPs` (kept when `None`: headless) |
//! | `pvc-binding` | a PVC's `volumeName` and the `pv.kubernetes.io/*`, `volume.*kubernetes.io/*` bind annotations |
//! | `generated-route-host` | a Route's `host` when the router generated it (`openshift.io/host.generated`) |
//! | `service-account-token` | token and dockercfg secrets the cluster made for a service account |
//! | `service-account-token-reference` | the references to those secrets in service accounts' `secrets` and `imagePullSecrets` |
//! | `project-service-account` | `default`, `builder` and `deployer` when nobody changed them: every project gets them by itself |
//! | `namespace-finalizers` | a Namespace's `spec.finalizers` |

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

/// The names a removal is counted under.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rule {
    Status,
    ServerMetadata,
    OwnerReferences,
    ControllerOwned,
    ServerAnnotations,
    ServiceClusterIp,
    PvcBinding,
    GeneratedRouteHost,
    ServiceAccountToken,
    ServiceAccountTokenReference,
    ProjectServiceAccount,
    NamespaceFinalizers,
}

impl Rule {
    pub fn name(self) -> &'static str {
        match self {
            Rule::Status => "status",
            Rule::ServerMetadata => "server-metadata",
            Rule::OwnerReferences => "owner-references",
            Rule::ControllerOwned => "controller-owned",
            Rule::ServerAnnotations => "server-annotations",
            Rule::ServiceClusterIp => "service-cluster-ip",
            Rule::PvcBinding => "pvc-binding",
            Rule::GeneratedRouteHost => "generated-route-host",
            Rule::ServiceAccountToken => "service-account-token",
            Rule::ServiceAccountTokenReference => "service-account-token-reference",
            Rule::ProjectServiceAccount => "project-service-account",
            Rule::NamespaceFinalizers => "namespace-finalizers",
        }
    }
}

/// How many times each rule removed something, for the manifest.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Removed(pub BTreeMap<String, u64>);

impl Removed {
    fn count(&mut self, rule: Rule) {
        *self.0.entry(rule.name().to_string()).or_default() += 1;
    }

    pub fn add(&mut self, other: &Removed) {
        for (rule, n) in &other.0 {
            *self.0.entry(rule.clone()).or_default() += n;
        }
    }

    pub fn get(&self, rule: Rule) -> u64 {
        self.0.get(rule.name()).copied().unwrap_or(0)
    }
}

/// Metadata fields the server owns.
pub const SERVER_METADATA: [&str; 9] = [
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "generation",
    "managedFields",
    "selfLink",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generateName",
];

/// Annotations (and prefixes, ending in `*`) servers and controllers add by themselves.
pub const SERVER_ANNOTATIONS: [&str; 3] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "deployment.kubernetes.io/revision",
    "openshift.io/sa.scc.*",
];

/// A PVC's bind annotations: they name the volume of the old cluster.
pub const PVC_BIND_ANNOTATIONS: [&str; 3] = [
    "pv.kubernetes.io/*",
    "volume.kubernetes.io/*",
    "volume.beta.kubernetes.io/*",
];

/// Every project gets these service accounts by itself (OpenShift; Kubernetes makes `default`).
pub const PROJECT_SERVICE_ACCOUNTS: [&str; 3] = ["default", "builder", "deployer"];

const TOKEN_TYPES: [&str; 2] = [
    "kubernetes.io/service-account-token",
    "kubernetes.io/dockercfg",
];
const SA_NAME_ANNOTATION: &str = "kubernetes.io/service-account.name";

/// The controller that owns `object`, as `Kind/name`, when one does.
pub fn controller_of(object: &Value) -> Option<String> {
    object["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == Value::Bool(true))
        .map(|r| {
            format!(
                "{}/{}",
                r["kind"].as_str().unwrap_or("?"),
                r["name"].as_str().unwrap_or("?")
            )
        })
}

/// A secret the cluster made for a service account (its token or OpenShift's dockercfg); the
/// new project gets its own.
pub fn is_service_account_token(object: &Value) -> bool {
    object["kind"] == "Secret"
        && object["type"]
            .as_str()
            .is_some_and(|t| TOKEN_TYPES.contains(&t))
        && (object["type"] == TOKEN_TYPES[0]
            || object["metadata"]["annotations"][SA_NAME_ANNOTATION].is_string())
}

/// Names of the token secrets among `objects`, which service accounts must stop naming.
pub fn token_secret_names(objects: &[Value]) -> BTreeSet<String> {
    objects
        .iter()
        .filter(|o| is_service_account_token(o))
        .filter_map(|o| o["metadata"]["name"].as_str().map(String::from))
        .collect()
}

/// Cleans one object in place. Returns `false` when the whole object is left out (and counts
/// why). `token_secrets` are the names of the service-account secrets of the same project;
/// names shaped like OpenShift's (`<account>-token-*`, `<account>-dockercfg-*`) count too, so
/// an export without secrets still drops the references.
pub fn clean(object: &mut Value, token_secrets: &BTreeSet<String>, removed: &mut Removed) -> bool {
    if controller_of(object).is_some() {
        removed.count(Rule::ControllerOwned);
        return false;
    }
    if is_service_account_token(object) {
        removed.count(Rule::ServiceAccountToken);
        return false;
    }
    let kind = object["kind"].as_str().unwrap_or("").to_string();
    if let Some(fields) = object.as_object_mut() {
        if fields.remove("status").is_some() {
            removed.count(Rule::Status);
        }
    }
    clean_metadata(object, removed);
    match kind.as_str() {
        "Service" => clean_service(object, removed),
        "PersistentVolumeClaim" => clean_pvc(object, removed),
        "Route" => clean_route(object, removed),
        "Namespace" => {
            if let Some(spec) = object["spec"].as_object_mut() {
                if spec.remove("finalizers").is_some() {
                    removed.count(Rule::NamespaceFinalizers);
                }
            }
            drop_if_empty(object, "spec");
        }
        "ServiceAccount" => {
            let name = object["metadata"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string();
            for list in ["secrets", "imagePullSecrets"] {
                clean_token_references(object, list, &name, token_secrets, removed);
            }
            if is_untouched_project_account(object) {
                removed.count(Rule::ProjectServiceAccount);
                return false;
            }
        }
        _ => {}
    }
    true
}

fn clean_metadata(object: &mut Value, removed: &mut Removed) {
    let Some(metadata) = object["metadata"].as_object_mut() else {
        return;
    };
    for field in SERVER_METADATA {
        if metadata.remove(field).is_some() {
            removed.count(Rule::ServerMetadata);
        }
    }
    if metadata.remove("ownerReferences").is_some() {
        removed.count(Rule::OwnerReferences);
    }
    if remove_matching(metadata, "annotations", &SERVER_ANNOTATIONS) {
        removed.count(Rule::ServerAnnotations);
    }
    if remove_matching(metadata, "labels", &["kubernetes.io/metadata.name"]) {
        removed.count(Rule::ServerAnnotations);
    }
}

/// Removes the keys of `metadata[map]` matching `patterns` (a trailing `*` is a prefix), and
/// the map itself when it ends up empty. `true` when something was removed.
fn remove_matching(metadata: &mut Map<String, Value>, map: &str, patterns: &[&str]) -> bool {
    let Some(entries) = metadata.get_mut(map).and_then(Value::as_object_mut) else {
        return false;
    };
    let before = entries.len();
    entries.retain(|key, _| {
        !patterns.iter().any(|p| match p.strip_suffix('*') {
            Some(prefix) => key.starts_with(prefix),
            None => key == p,
        })
    });
    let removed = entries.len() != before;
    if entries.is_empty() {
        metadata.remove(map);
    }
    removed
}

fn clean_service(object: &mut Value, removed: &mut Removed) {
    let Some(spec) = object["spec"].as_object_mut() else {
        return;
    };
    // A headless service asked for `None`; that is the user's choice, not an allocation.
    if spec.get("clusterIP").is_some_and(|ip| ip != "None") {
        spec.remove("clusterIP");
        spec.remove("clusterIPs");
        removed.count(Rule::ServiceClusterIp);
    } else if spec.get("clusterIP").is_none() && spec.remove("clusterIPs").is_some() {
        removed.count(Rule::ServiceClusterIp);
    }
}

fn clean_pvc(object: &mut Value, removed: &mut Removed) {
    if let Some(spec) = object["spec"].as_object_mut() {
        if spec.remove("volumeName").is_some() {
            removed.count(Rule::PvcBinding);
        }
    }
    if let Some(metadata) = object["metadata"].as_object_mut() {
        if remove_matching(metadata, "annotations", &PVC_BIND_ANNOTATIONS) {
            removed.count(Rule::PvcBinding);
        }
    }
}

fn clean_route(object: &mut Value, removed: &mut Removed) {
    let generated = object["metadata"]["annotations"]["openshift.io/host.generated"] == "true";
    if generated {
        if let Some(spec) = object["spec"].as_object_mut() {
            if spec.remove("host").is_some() {
                removed.count(Rule::GeneratedRouteHost);
            }
        }
        if let Some(metadata) = object["metadata"].as_object_mut() {
            remove_matching(metadata, "annotations", &["openshift.io/host.generated"]);
        }
    }
}

fn clean_token_references(
    account: &mut Value,
    list: &str,
    account_name: &str,
    token_secrets: &BTreeSet<String>,
    removed: &mut Removed,
) {
    let Some(entries) = account[list].as_array_mut() else {
        return;
    };
    let generated = |name: &str| {
        token_secrets.contains(name)
            || name.starts_with(&format!("{account_name}-token-"))
            || name.starts_with(&format!("{account_name}-dockercfg-"))
    };
    let before = entries.len();
    entries.retain(|entry| !entry["name"].as_str().is_some_and(generated));
    for _ in entries.len()..before {
        removed.count(Rule::ServiceAccountTokenReference);
    }
    if entries.is_empty() {
        drop_if_empty(account, list);
    }
}

/// `default`, `builder` or `deployer` with nothing but its name left: the new project makes
/// the same account by itself, so restoring it could only fail.
fn is_untouched_project_account(account: &Value) -> bool {
    let name = account["metadata"]["name"].as_str().unwrap_or("");
    let only_identity = account["metadata"]
        .as_object()
        .is_some_and(|m| m.keys().all(|k| k == "name" || k == "namespace"));
    let nothing_else = account.as_object().is_some_and(|o| {
        o.keys()
            .all(|k| ["apiVersion", "kind", "metadata"].contains(&k.as_str()))
    });
    PROJECT_SERVICE_ACCOUNTS.contains(&name) && only_identity && nothing_else
}

fn drop_if_empty(object: &mut Value, field: &str) {
    let empty = match &object[field] {
        Value::Array(items) => items.is_empty(),
        Value::Object(fields) => fields.is_empty(),
        Value::Null => true,
        _ => false,
    };
    if empty {
        if let Some(fields) = object.as_object_mut() {
            fields.remove(field);
        }
    }
}

#[cfg(test)]
#[path = "clean_tests.rs"]
mod tests;
