//! A thin layer over `kube`: the one-glance summary of the Kubernetes API that the dashboard
//! shows beside etcd, and project export and restore: discovery of every listable namespaced
//! kind (`kinds`), export with the cluster-owned fields stripped (`clean`, `export`), and
//! restore in dependency order (`order`, `restore`, `classify`).

mod classify;
pub mod clean;
mod client;
mod export;
mod export_files;
mod files;
mod kinds;
mod list_writer;
mod order;
mod pages;
mod projects;
mod restore;

pub use classify::{ObjectOutcome, ObjectResult, Tally, classify_failure, expected_before_create};
pub use client::{connect, describe_error, serves_projects};
pub use export::{ExportRequest, KindListed, export_project};
pub use export_files::{ExportSource, write_export};
pub use files::{file_for, mode_for, read_objects, render_list};
pub use kinds::{
    DUPLICATE_GROUPS, KindRef, REGENERATED, choose_kinds, default_exclusion,
    discover_namespaced_kinds,
};
pub use order::restore_rank;
pub use pages::{PAGE, for_each_page, list_objects};
pub use projects::{
    KindCounts, ProjectSummary, count_kind, is_system_namespace, list_namespaces, list_projects,
};
pub use restore::{
    ExistingPolicy, RestoreRequest, create_project, load_export, rename_namespace, restore_objects,
};

pub mod pod_copy;
pub mod pod_tar;
pub mod workload;

use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, Node};
use kube::api::{Api, ListParams};
use serde::Serialize;

const TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum KubeSummary {
    /// No kubeconfig to read: not an error, many etcd hosts have none.
    NotConfigured {
        reason: String,
    },
    Unreachable {
        error: String,
    },
    Reachable {
        server: String,
        version: String,
        ready: bool,
        nodes: usize,
        /// Namespaces, which OpenShift shows as projects.
        projects: usize,
    },
}

impl KubeSummary {
    /// One line for the dashboard and `lifeboat status`.
    pub fn describe(&self) -> String {
        match self {
            KubeSummary::NotConfigured { reason } => reason.clone(),
            KubeSummary::Unreachable { error } => format!("unreachable: {error}"),
            KubeSummary::Reachable {
                server,
                version,
                ready,
                nodes,
                projects,
            } => format!(
                "{server} {version}, {}, {nodes} nodes, {projects} projects",
                if *ready { "ready" } else { "NOT READY" }
            ),
        }
    }
}

/// Asks the API server named by the kubeconfig (KUBECONFIG or ~/.kube/config), each call with
/// a short timeout.
pub async fn summarize() -> KubeSummary {
    let configured = std::env::var_os("KUBECONFIG").is_some()
        || std::env::var_os("HOME")
            .is_some_and(|home| std::path::Path::new(&home).join(".kube/config").exists());
    if !configured {
        return KubeSummary::NotConfigured {
            reason: "no kubeconfig (KUBECONFIG is unset and ~/.kube/config does not exist)".into(),
        };
    }
    match tokio::time::timeout(TIMEOUT * 3, ask()).await {
        Ok(Ok(summary)) => summary,
        Ok(Err(error)) => KubeSummary::Unreachable { error },
        Err(_) => KubeSummary::Unreachable {
            error: format!("no answer within {}s", (TIMEOUT * 3).as_secs()),
        },
    }
}

async fn ask() -> Result<KubeSummary, String> {
    let config = kube::Config::infer()
        .await
        .map_err(|e| format!("kubeconfig: {e}"))?;
    let server = config.cluster_url.to_string();
    let client = kube::Client::try_from(config).map_err(|e| format!("client: {e}"))?;
    let version = client
        .apiserver_version()
        .await
        .map_err(|e| format!("{server}: {e}"))?;
    let readyz = http::Request::get("/readyz")
        .body(Vec::new())
        .map_err(|e| format!("building /readyz: {e}"))?;
    let ready = client
        .request_text(readyz)
        .await
        .is_ok_and(|text| text.trim() == "ok");
    let nodes = Api::<Node>::all(client.clone())
        .list_metadata(&ListParams::default())
        .await
        .map_or(0, |list| list.items.len());
    let projects = Api::<Namespace>::all(client)
        .list_metadata(&ListParams::default())
        .await
        .map_err(|e| format!("listing namespaces: {e}"))?
        .items
        .len();
    Ok(KubeSummary::Reachable {
        server,
        version: version.git_version,
        ready,
        nodes,
        projects,
    })
}
