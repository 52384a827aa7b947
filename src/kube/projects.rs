//! The projects of a cluster with what they hold, for the project picker.

use std::collections::BTreeMap;

use serde::Serialize;

use super::clean::{controller_of, is_service_account_token};
use super::kinds::KindRef;
use super::pages::for_each_page;

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

/// Every namespace, without counts: one paged list, what the picker shows first.
pub async fn list_namespaces(client: &kube::Client) -> Result<Vec<ProjectSummary>, String> {
    let namespaces = KindRef::new("", "v1", "Namespace", "namespaces");
    let mut projects = Vec::new();
    for_each_page(client, None, &namespaces, |page| {
        projects.extend(page.iter().filter_map(|ns| {
            Some(ProjectSummary {
                name: ns["metadata"]["name"].as_str()?.to_string(),
                display_name: ns["metadata"]["annotations"]["openshift.io/display-name"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                counts: BTreeMap::new(),
            })
        }));
        Ok(())
    })
    .await?;
    projects.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(projects)
}

/// How many objects of one kind each namespace holds, as an export would take them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KindCounts {
    pub kind: String,
    pub per_namespace: BTreeMap<String, u64>,
}

/// Counts `kind` in every namespace with one cluster-wide list, read a page at a time so that
/// only the counts are kept.
pub async fn count_kind(client: &kube::Client, kind: &KindRef) -> Result<KindCounts, String> {
    let mut per_namespace: BTreeMap<String, u64> = BTreeMap::new();
    for_each_page(client, None, kind, |page| {
        for object in &page {
            let Some(ns) = object["metadata"]["namespace"].as_str() else {
                continue;
            };
            if controller_of(object).is_some() || is_service_account_token(object) {
                continue;
            }
            *per_namespace.entry(ns.to_string()).or_default() += 1;
        }
        Ok(())
    })
    .await?;
    Ok(KindCounts {
        kind: kind.kind.clone(),
        per_namespace,
    })
}

impl KindCounts {
    /// Adds these counts to the projects they name (a sorted list, as `list_namespaces` gives).
    pub fn apply(&self, projects: &mut [ProjectSummary]) {
        for project in projects {
            if let Some(n) = self.per_namespace.get(&project.name) {
                *project.counts.entry(self.kind.clone()).or_default() += n;
            }
        }
    }
}

/// Every namespace with its object counts over `kinds`, one cluster-wide list per kind.
pub async fn list_projects(
    client: &kube::Client,
    kinds: &[KindRef],
) -> Result<Vec<ProjectSummary>, String> {
    let mut projects = list_namespaces(client).await?;
    for kind in kinds {
        count_kind(client, kind).await?.apply(&mut projects);
    }
    Ok(projects)
}
