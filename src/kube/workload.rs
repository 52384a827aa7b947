//! The workloads whose data lives in volumes: DeploymentConfigs (OpenShift) and Deployments.
//! What the procedure finds by hand (`oc export dc/jenkins | grep mountPath`,
//! `oc get po --selector=deploymentconfig=jenkins`) is found here through the API.

use std::fmt;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Pod, PodTemplateSpec};
use kube::api::{Api, ApiResource, DynamicObject, ListParams, Patch, PatchParams};
use serde::{Deserialize, Serialize};

/// The kinds of workload whose pods mount the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WorkloadKind {
    DeploymentConfig,
    Deployment,
}

impl WorkloadKind {
    pub fn short(self) -> &'static str {
        match self {
            WorkloadKind::DeploymentConfig => "dc",
            WorkloadKind::Deployment => "deployment",
        }
    }

    pub fn api_resource(self) -> ApiResource {
        let (group, kind, plural) = match self {
            WorkloadKind::DeploymentConfig => {
                ("apps.openshift.io", "DeploymentConfig", "deploymentconfigs")
            }
            WorkloadKind::Deployment => ("apps", "Deployment", "deployments"),
        };
        ApiResource {
            group: group.into(),
            version: "v1".into(),
            api_version: format!("{group}/v1"),
            kind: kind.into(),
            plural: plural.into(),
        }
    }
}

/// `dc/jenkins` or `deployment/web`, as `oc` names them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadRef {
    pub kind: WorkloadKind,
    pub name: String,
}

impl WorkloadRef {
    pub fn parse(text: &str) -> Result<Self, String> {
        let (kind, name) = text.split_once('/').ok_or_else(|| {
            format!("{text:?} names no kind: write dc/NAME or deployment/NAME, as oc does")
        })?;
        let kind = match kind.to_ascii_lowercase().as_str() {
            "dc" | "deploymentconfig" | "deploymentconfigs" => WorkloadKind::DeploymentConfig,
            "deploy" | "deployment" | "deployments" => WorkloadKind::Deployment,
            other => {
                return Err(format!(
                    "{other:?} is not a workload kind lifeboat copies data from: use dc/NAME or deployment/NAME"
                ));
            }
        };
        if name.is_empty() || name.contains('/') {
            return Err(format!(
                "{text:?}: the name after the slash is missing or has a slash"
            ));
        }
        Ok(WorkloadRef {
            kind,
            name: name.to_string(),
        })
    }
}

impl fmt::Display for WorkloadRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.kind.short(), self.name)
    }
}

/// One volume mount of the workload's pod template: the procedure's `mountPath` line.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkloadVolume {
    /// The volume's name in the pod spec.
    pub name: String,
    pub container: String,
    pub mount_path: String,
    /// The PersistentVolumeClaim behind it; `None` for emptyDir, configMap, secret and others.
    pub claim: Option<String>,
    /// `persistentVolumeClaim`, `emptyDir`, `configMap`, ...
    pub source: String,
    pub read_only: bool,
}

impl WorkloadVolume {
    /// Data that outlives the pod: the only kind a restore can put back for good.
    pub fn is_persistent(&self) -> bool {
        self.claim.is_some()
    }
}

/// A workload as the planners see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workload {
    pub namespace: String,
    pub reference: WorkloadRef,
    pub replicas: i32,
    /// The label selector that finds its pods, `deploymentconfig=jenkins` for a DC.
    pub selector: String,
    pub volumes: Vec<WorkloadVolume>,
}

pub async fn client() -> Result<kube::Client, String> {
    kube::Client::try_default().await.map_err(|e| {
        format!(
            "cannot reach the Kubernetes API: {e}\n  Set KUBECONFIG (for the sandbox: eval \"$(lifeboat-sandbox env)\") or log in with `oc login`."
        )
    })
}

fn workload_api(client: &kube::Client, namespace: &str, kind: WorkloadKind) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), namespace, &kind.api_resource())
}

/// Reads the workload and its pod template.
pub async fn fetch_workload(
    client: &kube::Client,
    namespace: &str,
    reference: &WorkloadRef,
) -> Result<Workload, String> {
    let object = workload_api(client, namespace, reference.kind)
        .get(&reference.name)
        .await
        .map_err(|e| match &e {
            kube::Error::Api(status) if status.code == 404 => format!(
                "{reference} does not exist in project {namespace}; `oc get dc,deployment -n {namespace}` lists what does"
            ),
            _ => format!("reading {reference} in {namespace}: {e}"),
        })?;
    workload_from(namespace, reference.clone(), &object.data)
}

/// The workload from its object's JSON (`spec.replicas`, `spec.selector`, `spec.template`).
pub fn workload_from(
    namespace: &str,
    reference: WorkloadRef,
    data: &serde_json::Value,
) -> Result<Workload, String> {
    let spec = &data["spec"];
    let template: PodTemplateSpec = serde_json::from_value(spec["template"].clone())
        .map_err(|e| format!("{reference} has no readable pod template: {e}"))?;
    let selector = match reference.kind {
        // The label OpenShift's deployer puts on every pod of a DC, as the procedure selects.
        WorkloadKind::DeploymentConfig => format!("deploymentconfig={}", reference.name),
        WorkloadKind::Deployment => spec["selector"]["matchLabels"]
            .as_object()
            .map(|labels| {
                labels
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .filter(|s| !s.is_empty())
            .ok_or_else(|| format!("{reference} has no spec.selector.matchLabels"))?,
    };
    let pod_spec = template.spec.unwrap_or_default();
    let pod_volumes = pod_spec.volumes.unwrap_or_default();
    let mut volumes = Vec::new();
    for container in &pod_spec.containers {
        for mount in container.volume_mounts.iter().flatten() {
            let volume = pod_volumes.iter().find(|v| v.name == mount.name);
            let value = volume
                .and_then(|v| serde_json::to_value(v).ok())
                .unwrap_or_default();
            let source = value
                .as_object()
                .and_then(|o| o.keys().find(|k| *k != "name").cloned())
                .unwrap_or_else(|| "unknown".into());
            volumes.push(WorkloadVolume {
                name: mount.name.clone(),
                container: container.name.clone(),
                mount_path: mount.mount_path.clone(),
                claim: volume
                    .and_then(|v| v.persistent_volume_claim.as_ref())
                    .map(|c| c.claim_name.clone()),
                source,
                read_only: mount.read_only.unwrap_or(false),
            });
        }
    }
    Ok(Workload {
        namespace: namespace.to_string(),
        replicas: spec["replicas"]
            .as_i64()
            .and_then(|r| i32::try_from(r).ok())
            .unwrap_or(1),
        reference,
        selector,
        volumes,
    })
}

/// Every DeploymentConfig and Deployment of a project, for the wizard's picker. A cluster
/// without OpenShift's API simply has no DeploymentConfigs.
pub async fn list_workloads(
    client: &kube::Client,
    namespace: &str,
) -> Result<Vec<Workload>, String> {
    let mut found = Vec::new();
    for kind in [WorkloadKind::DeploymentConfig, WorkloadKind::Deployment] {
        let listed = match workload_api(client, namespace, kind)
            .list(&ListParams::default())
            .await
        {
            Ok(list) => list,
            Err(kube::Error::Api(status)) if status.code == 404 => continue,
            Err(e) => return Err(format!("listing {}s in {namespace}: {e}", kind.short())),
        };
        for object in listed.items {
            let name = object.metadata.name.clone().unwrap_or_default();
            found.push(workload_from(
                namespace,
                WorkloadRef { kind, name },
                &object.data,
            )?);
        }
    }
    Ok(found)
}

/// Running, ready and not being deleted: a pod whose volumes can be read through exec.
pub fn pod_is_ready(pod: &Pod) -> bool {
    let status = pod.status.as_ref();
    pod.metadata.deletion_timestamp.is_none()
        && status.and_then(|s| s.phase.as_deref()) == Some("Running")
        && status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// The name of a running, ready pod matching `selector`, the newest first.
pub async fn ready_pod(
    client: &kube::Client,
    namespace: &str,
    selector: &str,
) -> Result<Option<String>, String> {
    let pods = Api::<Pod>::namespaced(client.clone(), namespace)
        .list(&ListParams::default().labels(selector))
        .await
        .map_err(|e| format!("listing pods with {selector} in {namespace}: {e}"))?;
    let mut ready: Vec<&Pod> = pods.items.iter().filter(|p| pod_is_ready(p)).collect();
    ready.sort_by_key(|p| std::cmp::Reverse(p.metadata.creation_timestamp.clone()));
    Ok(ready.first().and_then(|p| p.metadata.name.clone()))
}

/// Pods matching `selector`, in any state.
pub async fn pod_names(
    client: &kube::Client,
    namespace: &str,
    selector: &str,
) -> Result<Vec<String>, String> {
    Ok(Api::<Pod>::namespaced(client.clone(), namespace)
        .list(&ListParams::default().labels(selector))
        .await
        .map_err(|e| format!("listing pods with {selector} in {namespace}: {e}"))?
        .items
        .into_iter()
        .filter_map(|p| p.metadata.name)
        .collect())
}

/// `oc scale --replicas=N`, through the scale subresource.
pub async fn scale(
    client: &kube::Client,
    namespace: &str,
    reference: &WorkloadRef,
    replicas: i32,
) -> Result<(), String> {
    workload_api(client, namespace, reference.kind)
        .patch_scale(
            &reference.name,
            &PatchParams::default(),
            &Patch::Merge(serde_json::json!({"spec": {"replicas": replicas}})),
        )
        .await
        .map(|_| ())
        .map_err(|e| format!("scaling {reference} to {replicas}: {e}"))
}

/// Polls until `done` says yes or the timeout passes.
pub async fn wait_until<F, Fut>(timeout: Duration, what: &str, mut done: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<bool, String>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if done().await? {
            return Ok(());
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(format!(
                "{what} did not happen within {}s",
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_references_as_oc_writes_them() {
        assert_eq!(
            WorkloadRef::parse("dc/jenkins").expect("parses"),
            WorkloadRef {
                kind: WorkloadKind::DeploymentConfig,
                name: "jenkins".into()
            }
        );
        assert_eq!(
            WorkloadRef::parse("deployment/web").expect("parses").kind,
            WorkloadKind::Deployment
        );
        assert!(WorkloadRef::parse("jenkins").is_err());
        assert!(WorkloadRef::parse("statefulset/db").is_err());
        assert!(WorkloadRef::parse("dc/").is_err());
    }

    #[test]
    fn finds_mount_paths_claims_and_the_dc_selector() {
        let dc = serde_json::json!({"spec": {"replicas": 2, "selector": {"name": "jenkins"}, "template": {
            "metadata": {"labels": {"name": "jenkins"}},
            "spec": {"containers": [{"name": "jenkins", "image": "j", "volumeMounts": [
                {"name": "jenkins-data", "mountPath": "/var/lib/jenkins"},
                {"name": "cache", "mountPath": "/cache", "readOnly": true}]}],
              "volumes": [{"name": "jenkins-data", "persistentVolumeClaim": {"claimName": "jenkins"}},
                          {"name": "cache", "emptyDir": {}}]}}}});
        let reference = WorkloadRef::parse("dc/jenkins").expect("parses");
        let workload = workload_from("ci", reference, &dc).expect("reads");
        assert_eq!(workload.selector, "deploymentconfig=jenkins");
        assert_eq!(workload.replicas, 2);
        assert_eq!(workload.volumes.len(), 2);
        assert_eq!(workload.volumes[0].mount_path, "/var/lib/jenkins");
        assert_eq!(workload.volumes[0].claim.as_deref(), Some("jenkins"));
        assert_eq!(workload.volumes[1].source, "emptyDir");
        assert!(workload.volumes[1].read_only);
    }
}
