//! One project's objects out of a snapshot, as an export takes them: decoded, with what
//! cannot be brought over (encrypted, no schema, fields newer than the schema) said aloud.

use std::collections::BTreeMap;

use serde_json::Value;

use super::snapshot::{SnapshotObjects, StoredEntry};

/// What a project holds in a snapshot.
#[derive(Clone, Debug, Default)]
pub struct ProjectObjects {
    /// The namespace object first, then every readable object of the project.
    pub objects: Vec<Value>,
    /// `Kind/name: why`, for objects that cannot be read back.
    pub unreadable: Vec<String>,
    /// `Kind/name` and the fields the schema lacks.
    pub unknown_fields: Vec<(String, Vec<String>)>,
    /// Storage resources left out, with the reason (the cluster makes them again).
    pub excluded: BTreeMap<String, String>,
    pub openshift: bool,
}

/// `true` for resources the cluster regenerates (`kube::REGENERATED`), by storage resource.
fn regenerated(entry: &StoredEntry) -> Option<&'static str> {
    let resource = match entry.storage.resource.as_str() {
        "services/endpoints" => "endpoints",
        other => other.rsplit('/').next().unwrap_or(other),
    };
    // REGENERATED names kinds as `plural.group`; storage keys carry no group. Metrics are
    // served, never stored, so `pods.metrics.k8s.io` must not leave out stored pods.
    crate::kube::REGENERATED
        .iter()
        .filter(|(key, _)| !key.ends_with(".metrics.k8s.io"))
        .find(|(key, _)| key.split('.').next() == Some(resource))
        .map(|(_, why)| *why)
}

impl SnapshotObjects {
    /// Every object of `namespace`, decoded; `Err` when the snapshot has no such project.
    pub fn project(&self, namespace: &str) -> Result<ProjectObjects, String> {
        let Some(ns_entry) = self
            .entries
            .iter()
            .find(|e| e.storage.resource == "namespaces" && e.storage.name == namespace)
        else {
            let known = self.namespaces();
            return Err(format!(
                "the snapshot has no project {namespace}; it has: {}",
                if known.is_empty() {
                    "none".into()
                } else {
                    known.join(", ")
                }
            ));
        };
        let mut project = ProjectObjects {
            openshift: self.prefixes.iter().any(|p| p == "/openshift.io"),
            ..Default::default()
        };
        for entry in std::iter::once(ns_entry).chain(self.in_namespace(namespace)) {
            if let Some(why) = regenerated(entry) {
                project
                    .excluded
                    .insert(entry.storage.resource.clone(), why.to_string());
                continue;
            }
            let decoded = self.decode(entry)?;
            let label = format!("{}/{}", decoded.kind, entry.storage.name);
            match decoded.object {
                Some(object) => {
                    if !decoded.unknown_fields.is_empty() {
                        project
                            .unknown_fields
                            .push((label, decoded.unknown_fields.clone()));
                    }
                    project.objects.push(object);
                }
                None => project.unreadable.push(format!(
                    "{label}: {}",
                    decoded.problem.unwrap_or_else(|| "unreadable".into())
                )),
            }
        }
        Ok(project)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stored::StorageKey;

    fn entry(key: &str) -> StoredEntry {
        StoredEntry::for_test(StorageKey::parse(key.as_bytes()).expect("key"))
    }

    #[test]
    fn regenerated_resources_are_left_out_and_pods_are_not() {
        assert!(regenerated(&entry("/kubernetes.io/events/shop/e1")).is_some());
        assert!(regenerated(&entry("/kubernetes.io/services/endpoints/shop/web")).is_some());
        assert!(regenerated(&entry("/kubernetes.io/pods/shop/web-1")).is_none());
        assert!(regenerated(&entry("/kubernetes.io/services/specs/shop/web")).is_none());
    }
}
