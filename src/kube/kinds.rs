//! Which kinds a project holds: every namespaced kind the server lists (found by discovery, so
//! custom resources come too), and which of them an export leaves out by default because the
//! cluster regenerates them.

use kube::discovery::{ApiResource, Discovery, Scope, verbs};
use serde::{Deserialize, Serialize};

/// One listable namespaced kind, as plain data a plan can carry.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct KindRef {
    /// Empty for the core group.
    pub group: String,
    pub version: String,
    pub kind: String,
    pub plural: String,
}

impl KindRef {
    pub fn new(group: &str, version: &str, kind: &str, plural: &str) -> Self {
        KindRef {
            group: group.into(),
            version: version.into(),
            kind: kind.into(),
            plural: plural.into(),
        }
    }

    /// `deployments.apps`, `services`: how `kubectl get` and `--kinds` name it.
    pub fn key(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn api_resource(&self) -> ApiResource {
        ApiResource {
            group: self.group.clone(),
            version: self.version.clone(),
            api_version: self.api_version(),
            kind: self.kind.clone(),
            plural: self.plural.clone(),
        }
    }

    /// `true` when `name` (from `--kinds`) means this kind: its key, plural, kind or
    /// `plural.group`, case-insensitively.
    pub fn matches(&self, name: &str) -> bool {
        let name = name.to_ascii_lowercase();
        name == self.key() || name == self.plural || name == self.kind.to_ascii_lowercase()
    }
}

/// Kinds an export leaves out unless asked, each with the reason shown in the kind picker.
/// Matched by `plural.group` (group empty for core).
pub const REGENERATED: [(&str, &str); 8] = [
    (
        "events",
        "events are recorded by the cluster as things happen",
    ),
    (
        "events.events.k8s.io",
        "events are recorded by the cluster as things happen",
    ),
    (
        "endpoints",
        "endpoints are recomputed from the services' selectors",
    ),
    (
        "endpointslices.discovery.k8s.io",
        "endpoint slices are recomputed from the services' selectors",
    ),
    (
        "controllerrevisions.apps",
        "controller revisions are written by stateful sets and daemon sets",
    ),
    (
        "leases.coordination.k8s.io",
        "leases are held by running controllers",
    ),
    ("pods.metrics.k8s.io", "metrics are measured, not stored"),
    (
        "localsubjectaccessreviews.authorization.k8s.io",
        "reviews are questions, not objects",
    ),
];

/// The same objects served a second time under OpenShift's legacy groups: exporting both would
/// create each role binding twice.
pub const DUPLICATE_GROUPS: [(&str, &str); 1] = [(
    "authorization.openshift.io",
    "served again as rbac.authorization.k8s.io",
)];

/// Why `kind` is left out by default, or `None` when it is exported.
pub fn default_exclusion(kind: &KindRef) -> Option<&'static str> {
    REGENERATED
        .iter()
        .find(|(key, _)| *key == kind.key())
        .map(|(_, why)| *why)
        .or_else(|| {
            DUPLICATE_GROUPS
                .iter()
                .find(|(group, _)| *group == kind.group)
                .map(|(_, why)| *why)
        })
}

/// Every namespaced kind the server can list and create, in its group's preferred version,
/// sorted by key.
pub async fn discover_namespaced_kinds(client: &kube::Client) -> Result<Vec<KindRef>, String> {
    let discovery = Discovery::new(client.clone()).run().await.map_err(|e| {
        format!("API discovery failed: {e}; check that the kubeconfig reaches the API server")
    })?;
    let mut kinds = Vec::new();
    for group in discovery.groups() {
        for (resource, capabilities) in group.recommended_resources() {
            if capabilities.scope != Scope::Namespaced
                || !capabilities.supports_operation(verbs::LIST)
                || !capabilities.supports_operation(verbs::CREATE)
            {
                continue;
            }
            kinds.push(KindRef::new(
                &resource.group,
                &resource.version,
                &resource.kind,
                &resource.plural,
            ));
        }
    }
    kinds.sort_by_key(KindRef::key);
    kinds.dedup_by_key(|k| k.key());
    Ok(kinds)
}

/// The kinds an export takes: all discovered minus the default exclusions, or exactly those
/// named in `wanted` (which may name excluded ones back in). Unknown names are an error that
/// lists what exists.
pub fn choose_kinds(
    discovered: &[KindRef],
    wanted: Option<&[String]>,
) -> Result<Vec<KindRef>, String> {
    match wanted {
        None => Ok(discovered
            .iter()
            .filter(|k| default_exclusion(k).is_none())
            .cloned()
            .collect()),
        Some(names) => {
            let mut chosen = Vec::new();
            for name in names {
                let found: Vec<&KindRef> = discovered.iter().filter(|k| k.matches(name)).collect();
                if found.is_empty() {
                    return Err(format!(
                        "the server lists no namespaced kind called {name:?}; known kinds: {}",
                        discovered
                            .iter()
                            .map(KindRef::key)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                chosen.extend(found.into_iter().cloned());
            }
            chosen.sort();
            chosen.dedup();
            Ok(chosen)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn discovered() -> Vec<KindRef> {
        vec![
            KindRef::new("", "v1", "ConfigMap", "configmaps"),
            KindRef::new("", "v1", "Event", "events"),
            KindRef::new("", "v1", "Endpoints", "endpoints"),
            KindRef::new("apps", "v1", "Deployment", "deployments"),
            KindRef::new(
                "authorization.openshift.io",
                "v1",
                "RoleBinding",
                "rolebindings",
            ),
            KindRef::new("example.com", "v1", "Widget", "widgets"),
        ]
    }

    #[test]
    fn by_default_regenerated_and_duplicate_kinds_are_left_out_and_custom_ones_kept() {
        let keys: Vec<String> = choose_kinds(&discovered(), None)
            .expect("chosen")
            .iter()
            .map(KindRef::key)
            .collect();
        assert_eq!(
            keys,
            ["configmaps", "deployments.apps", "widgets.example.com"]
        );
    }

    #[test]
    fn named_kinds_are_taken_even_when_excluded_by_default() {
        let chosen = choose_kinds(&discovered(), Some(&["Deployment".into(), "events".into()]))
            .expect("chosen");
        assert_eq!(chosen.len(), 2);
        let error = choose_kinds(&discovered(), Some(&["gizmos".into()])).expect_err("unknown");
        assert!(error.contains("configmaps"), "{error}");
    }
}
