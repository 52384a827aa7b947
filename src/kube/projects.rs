//! The projects of a cluster with what they hold, for the project picker.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::clean::{controller_of, is_service_account_token};
use super::export::list_objects;
use super::kinds::KindRef;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ProjectSummary {
    pub name: String,
    /// OpenShift's `openshift.io/display-name`, when set.
    pub display_name: String,
    /// Objects an export would take, per kind (controller-owned ones and tokens not counted).
    pub counts: BTreeMap<String, u64>,
}

impl ProjectSummary {
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}

/// Namespaces whose objects are the cluster's own, not a project's: hidden from the picker.
pub fn is_system_namespace(name: &str) -> bool {
    name.starts_with("kube-") || name.starts_with("openshift") || name == "default"
}

/// Every namespace with its object counts over `kinds`, one cluster-wide list per kind.
pub async fn list_projects(
    client: &kube::Client,
    kinds: &[KindRef],
) -> Result<Vec<ProjectSummary>, String> {
    let namespaces = list_objects(
        client,
        None,
        &KindRef::new("", "v1", "Namespace", "namespaces"),
    )
    .await?;
    let mut projects: BTreeMap<String, ProjectSummary> = namespaces
        .iter()
        .filter_map(|ns| {
            let name = ns["metadata"]["name"].as_str()?.to_string();
            Some((
                name.clone(),
                ProjectSummary {
                    name,
                    display_name: ns["metadata"]["annotations"]["openshift.io/display-name"]
                        .as_str()
                        .unwrap_or("")
                        .to_string(),
                    counts: BTreeMap::new(),
                },
            ))
        })
        .collect();
    let names: BTreeSet<String> = projects.keys().cloned().collect();
    for kind in kinds {
        for object in list_objects(client, None, kind).await? {
            let Some(ns) = object["metadata"]["namespace"].as_str() else {
                continue;
            };
            if !names.contains(ns)
                || controller_of(&object).is_some()
                || is_service_account_token(&object)
            {
                continue;
            }
            if let Some(project) = projects.get_mut(ns) {
                *project.counts.entry(kind.kind.clone()).or_default() += 1;
            }
        }
    }
    Ok(projects.into_values().collect())
}
