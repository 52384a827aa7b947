//! Reading a cluster backup's Kubernetes objects: the facts of a snapshot export (refusing
//! what cannot work before any plan exists), and the comparison of a snapshot with the live
//! cluster per project.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use color_eyre::eyre::{Result, bail, eyre};
use serde_json::Value;

use crate::plan::Plan;
use crate::procedures::{SnapshotExportFacts, plan_snapshot_export};
use crate::requests::SnapshotExportRequest;
use crate::stored::SnapshotObjects;

/// Opens the snapshot of `source` (bundle, `.db` or data directory).
pub fn open(source: &Path) -> Result<SnapshotObjects> {
    SnapshotObjects::open(source).map_err(|e| eyre!(e))
}

/// The plan of `lifeboat snapshot export`, after checking that the project is in the
/// snapshot, that nothing would be lost silently and that `out` is free.
pub fn plan_export(request: &SnapshotExportRequest) -> Result<Plan> {
    let source = std::path::absolute(&request.source)?;
    let out = std::path::absolute(&request.out)?.join(&request.namespace);
    if std::fs::symlink_metadata(&out).is_ok() {
        bail!(
            "{} already exists: lifeboat never writes over an export; choose another --out",
            out.display()
        );
    }
    let snapshot = open(&source)?;
    let project = snapshot.project(&request.namespace).map_err(|e| eyre!(e))?;
    if !project.unknown_fields.is_empty() && !request.accept_unknown_fields {
        let list: Vec<String> = project
            .unknown_fields
            .iter()
            .map(|(object, fields)| format!("{object} ({})", fields.join(", ")))
            .collect();
        bail!(
            "{} objects have fields newer than lifeboat's schemas, which an export would \
             leave out: {}. Export them without those fields with --accept-unknown-fields, \
             or restore the whole cluster from this backup instead",
            list.len(),
            list.join("; ")
        );
    }
    Ok(plan_snapshot_export(&SnapshotExportFacts {
        source,
        namespace: request.namespace.clone(),
        out,
        revision: snapshot.revision(),
        objects: project.objects.len(),
        unreadable: project.unreadable,
        accept_unknown_fields: request.accept_unknown_fields,
    }))
}

/// How one project of a backup differs from the live cluster.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProjectDiff {
    /// `Kind/name` in the backup only (deleted since, or never restored).
    pub only_in_backup: Vec<String>,
    /// `Kind/name` only live (created since the backup).
    pub only_live: Vec<String>,
    /// `Kind/name` in both, different (cleaned of what the cluster assigns).
    pub changed: Vec<String>,
    /// The project itself is gone from the live cluster.
    pub project_gone: bool,
}

/// Per project of `snapshot` and of the live cluster: what differs. Objects are compared
/// cleaned as an export cleans them, empty values left out on both sides (the storage
/// encoding does not keep them).
pub async fn diff_with_live(snapshot: &SnapshotObjects) -> Result<BTreeMap<String, ProjectDiff>> {
    let (client, _server) = crate::kube::connect().await.map_err(|e| eyre!(e))?;
    let kinds = crate::kube::discover_namespaced_kinds(&client)
        .await
        .map_err(|e| eyre!(e))?;
    let mut live: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
    for kind in kinds
        .iter()
        .filter(|k| crate::kube::default_exclusion(k).is_none())
    {
        let Ok(objects) = crate::kube::list_objects(&client, None, kind).await else {
            continue;
        };
        for object in objects {
            let namespace = object["metadata"]["namespace"].as_str().unwrap_or("");
            let label = object_label(&object);
            live.entry(namespace.to_string())
                .or_default()
                .insert(label, comparable(object));
        }
    }
    let live_namespaces = crate::kube::list_objects(
        &client,
        None,
        &crate::kube::KindRef::new("", "v1", "Namespace", "namespaces"),
    )
    .await
    .map_err(|e| eyre!(e))?
    .iter()
    .filter_map(|ns| ns["metadata"]["name"].as_str().map(String::from))
    .collect::<BTreeSet<_>>();
    let mut diffs = BTreeMap::new();
    let names: BTreeSet<String> = snapshot.namespaces().into_iter().collect();
    for namespace in names.union(&live_namespaces) {
        let backup = backup_objects(snapshot, namespace)?;
        let empty = BTreeMap::new();
        let now = live.get(namespace).unwrap_or(&empty);
        let mut diff = ProjectDiff {
            project_gone: names.contains(namespace) && !live_namespaces.contains(namespace),
            ..Default::default()
        };
        for (label, object) in &backup {
            match now.get(label) {
                None => diff.only_in_backup.push(label.clone()),
                Some(current) if current != object => diff.changed.push(label.clone()),
                Some(_) => {}
            }
        }
        diff.only_live = now
            .keys()
            .filter(|label| !backup.contains_key(*label))
            .cloned()
            .collect();
        diffs.insert(namespace.clone(), diff);
    }
    Ok(diffs)
}

fn backup_objects(snapshot: &SnapshotObjects, namespace: &str) -> Result<BTreeMap<String, Value>> {
    if !snapshot.namespaces().iter().any(|n| n == namespace) {
        return Ok(BTreeMap::new());
    }
    let project = snapshot.project(namespace).map_err(|e| eyre!(e))?;
    Ok(project
        .objects
        .into_iter()
        .filter(|o| o["kind"] != "Namespace")
        .map(|o| (object_label(&o), comparable(o)))
        .collect())
}

fn object_label(object: &Value) -> String {
    format!(
        "{}/{}",
        object["kind"].as_str().unwrap_or(""),
        object["metadata"]["name"].as_str().unwrap_or("")
    )
}

/// An object as an export keeps it, with empty values left out; objects an export leaves
/// out (controller-owned, tokens) compare as `null`.
fn comparable(mut object: Value) -> Value {
    let mut removed = crate::kube::clean::Removed::default();
    if !crate::kube::clean::clean(&mut object, &BTreeSet::new(), &mut removed) {
        return Value::Null;
    }
    if let Some(fields) = object.as_object_mut() {
        fields.remove("apiVersion");
    }
    crate::stored::pruned(&object)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn empty_values_and_server_fields_do_not_count_as_changes() {
        let stored = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "resourceVersion": "5", "labels": {}}, "data": {"k": "v"}});
        let live = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "resourceVersion": "9", "uid": "x"}, "data": {"k": "v"}});
        assert_eq!(comparable(stored.clone()), comparable(live));
        let changed = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a"}, "data": {"k": "w"}});
        assert_ne!(comparable(stored), comparable(changed));
    }
}
