//! Restoring a project from its export: the project first, then every object in
//! [`restore_rank`] order, each created on its own so one bad object fails alone.

use std::path::Path;

use kube::api::{Api, DynamicObject, PostParams};
use kube::core::GroupVersionKind;
use kube::discovery::Discovery;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::classify::{
    ObjectOutcome, ObjectResult, Tally, classify_failure, expected_before_create,
};
use super::files::read_objects;
use super::order::restore_rank;
use crate::bundle::{MANIFEST, Manifest, PROJECT_FILES};

/// What to do with an object that is already there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ExistingPolicy {
    /// Leave it as it is and say so.
    #[default]
    Skip,
    /// Replace it with the export's version (cluster-assigned fields kept).
    Update,
}

pub struct RestoreRequest<'a> {
    pub target: &'a str,
    pub existing: ExistingPolicy,
    pub dry_run: bool,
}

/// The export's manifest and its objects (the namespace itself left out), in restore order.
/// The bundle must have been verified first.
pub fn load_export(dir: &Path) -> Result<(Manifest, Vec<Value>), String> {
    let text = std::fs::read_to_string(dir.join(MANIFEST))
        .map_err(|e| format!("reading {}: {e}", dir.join(MANIFEST).display()))?;
    let manifest: Manifest = serde_json::from_str(&text).map_err(|e| {
        format!(
            "{} is not a lifeboat manifest: {e}",
            dir.join(MANIFEST).display()
        )
    })?;
    let mut objects = Vec::new();
    for (file, _) in PROJECT_FILES {
        let path = dir.join(file);
        if file == "namespace.yaml" || !path.exists() {
            continue;
        }
        objects.extend(read_objects(&path)?);
    }
    // Stable: within a rank, the files' own order (the procedure's) is kept.
    objects.sort_by_key(|o| restore_rank(o["kind"].as_str().unwrap_or("")));
    Ok((manifest, objects))
}

/// Moves every object from namespace `from` to `to`, with the references that name `from`
/// inside them: role binding subjects, and any `{kind, name, namespace}` reference (image
/// stream tags of deployment configs and builds).
pub fn rename_namespace(objects: &mut [Value], from: &str, to: &str) {
    fn rewrite_references(value: &mut Value, from: &str, to: &str) {
        match value {
            Value::Object(fields) => {
                let is_reference = fields.contains_key("kind") && fields.contains_key("name");
                if is_reference && fields.get("namespace").is_some_and(|ns| ns == from) {
                    fields.insert("namespace".into(), json!(to));
                }
                for (key, child) in fields.iter_mut() {
                    if key != "metadata" {
                        rewrite_references(child, from, to);
                    }
                }
            }
            Value::Array(items) => items
                .iter_mut()
                .for_each(|i| rewrite_references(i, from, to)),
            _ => {}
        }
    }
    for object in objects {
        if object["metadata"]["namespace"].is_string() || object["metadata"].is_object() {
            object["metadata"]["namespace"] = json!(to);
        }
        rewrite_references(object, from, to);
    }
}

fn status_of(error: &kube::Error) -> (String, String) {
    match error {
        kube::Error::Api(status) => (status.reason.clone(), status.message.clone()),
        other => (String::new(), other.to_string()),
    }
}

/// Creates the project: a `ProjectRequest` on OpenShift (which also gives it its service
/// accounts and policy), a `Namespace` elsewhere. One that exists already is fine.
pub async fn create_project(
    client: &kube::Client,
    name: &str,
    annotations: &serde_json::Map<String, Value>,
    openshift: bool,
    dry_run: bool,
) -> Result<String, String> {
    let params = PostParams {
        dry_run,
        field_manager: Some("lifeboat".into()),
    };
    let annotation = |key: &str| annotations.get(key).and_then(Value::as_str).unwrap_or("");
    let (resource, body) = if openshift {
        (
            super::KindRef::new(
                "project.openshift.io",
                "v1",
                "ProjectRequest",
                "projectrequests",
            ),
            json!({
                "apiVersion": "project.openshift.io/v1", "kind": "ProjectRequest",
                "metadata": {"name": name},
                "displayName": annotation("openshift.io/display-name"),
                "description": annotation("openshift.io/description"),
            }),
        )
    } else {
        (
            super::KindRef::new("", "v1", "Namespace", "namespaces"),
            json!({"apiVersion": "v1", "kind": "Namespace",
                   "metadata": {"name": name, "annotations": annotations}}),
        )
    };
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &resource.api_resource());
    let object: DynamicObject =
        serde_json::from_value(body).map_err(|e| format!("building the {}: {e}", resource.kind))?;
    match api.create(&params, &object).await {
        Ok(_) if dry_run => Ok(format!("the server would create project {name}")),
        Ok(_) => Ok(format!("project {name} created with a {}", resource.kind)),
        Err(error) => match status_of(&error) {
            (reason, _) if reason == "AlreadyExists" => Ok(format!(
                "project {name} already exists; objects are restored into it"
            )),
            (_, message) => Err(format!(
                "creating project {name} failed: {message}; check that you may create projects (`oc auth can-i create projectrequests`)"
            )),
        },
    }
}

/// Creates every object in order (in `request.target`), reporting each to `on_object`.
pub async fn restore_objects(
    client: &kube::Client,
    objects: &[Value],
    request: &RestoreRequest<'_>,
    on_object: &mut (dyn FnMut(&ObjectOutcome) + Send),
) -> Result<Tally, String> {
    let discovery = Discovery::new(client.clone())
        .run()
        .await
        .map_err(|e| format!("API discovery failed: {e}"))?;
    let mut tally = Tally::default();
    for object in objects {
        let result = restore_one(client, &discovery, object, request).await;
        tally.add(&result);
        on_object(&ObjectOutcome {
            kind: object["kind"].as_str().unwrap_or("").to_string(),
            namespace: request.target.to_string(),
            name: object["metadata"]["name"]
                .as_str()
                .unwrap_or("")
                .to_string(),
            result,
        });
    }
    Ok(tally)
}

async fn restore_one(
    client: &kube::Client,
    discovery: &Discovery,
    object: &Value,
    request: &RestoreRequest<'_>,
) -> ObjectResult {
    if let Some(reason) = expected_before_create(object) {
        return ObjectResult::Expected { reason };
    }
    let api_version = object["apiVersion"].as_str().unwrap_or("");
    let kind = object["kind"].as_str().unwrap_or("");
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let Some((resource, _)) = discovery.resolve_gvk(&GroupVersionKind::gvk(group, version, kind))
    else {
        return ObjectResult::Failed {
            reason: format!("this cluster serves no {kind} in {api_version}"),
        };
    };
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), request.target, &resource);
    let dynamic: DynamicObject = match serde_json::from_value(object.clone()) {
        Ok(dynamic) => dynamic,
        Err(e) => {
            return ObjectResult::Failed {
                reason: format!("not a Kubernetes object: {e}"),
            };
        }
    };
    let params = PostParams {
        dry_run: request.dry_run,
        field_manager: Some("lifeboat".into()),
    };
    match api.create(&params, &dynamic).await {
        Ok(_) if request.dry_run => ObjectResult::WouldCreate,
        Ok(_) => ObjectResult::Created,
        Err(error) => {
            let (reason, message) = status_of(&error);
            if reason == "AlreadyExists" && request.existing == ExistingPolicy::Update {
                return update(&api, object, &params).await;
            }
            match classify_failure(object, &reason, &message, request.dry_run) {
                ObjectResult::Failed { .. } if reason == "AlreadyExists" => {
                    ObjectResult::Exists { updated: false }
                }
                other => other,
            }
        }
    }
}

/// Replaces the live object with the export's, keeping what the cluster assigned and will not
/// let change (a Service's cluster IP, a claim's volume) and the live resource version.
async fn update(api: &Api<DynamicObject>, object: &Value, params: &PostParams) -> ObjectResult {
    let name = object["metadata"]["name"].as_str().unwrap_or("");
    let live = match api.get(name).await {
        Ok(live) => serde_json::to_value(live).unwrap_or(Value::Null),
        Err(e) => {
            return ObjectResult::Failed {
                reason: super::describe_error(&e),
            };
        }
    };
    let mut desired = object.clone();
    desired["metadata"]["resourceVersion"] = live["metadata"]["resourceVersion"].clone();
    let keep = |desired: &mut Value, pointer: &str, field: &str| {
        if let Some(value) = live.pointer(&format!("{pointer}/{field}")) {
            if let Some(target) = desired.pointer_mut(pointer).and_then(Value::as_object_mut) {
                target.entry(field.to_string()).or_insert(value.clone());
            }
        }
    };
    match object["kind"].as_str().unwrap_or("") {
        "Service" => {
            keep(&mut desired, "/spec", "clusterIP");
            keep(&mut desired, "/spec", "clusterIPs");
        }
        "PersistentVolumeClaim" => keep(&mut desired, "/spec", "volumeName"),
        "ServiceAccount" => {
            keep(&mut desired, "", "secrets");
            keep(&mut desired, "", "imagePullSecrets");
        }
        _ => {}
    }
    let dynamic: DynamicObject = match serde_json::from_value(desired) {
        Ok(dynamic) => dynamic,
        Err(e) => {
            return ObjectResult::Failed {
                reason: format!("not a Kubernetes object: {e}"),
            };
        }
    };
    match api.replace(name, params, &dynamic).await {
        Ok(_) => ObjectResult::Exists { updated: true },
        Err(e) => ObjectResult::Failed {
            reason: format!(
                "it exists and replacing it failed: {}",
                super::describe_error(&e)
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renaming_moves_objects_and_the_references_to_their_project() {
        let mut objects = vec![
            json!({"kind": "RoleBinding", "metadata": {"name": "jenkins_edit", "namespace": "ci"},
                   "subjects": [{"kind": "ServiceAccount", "name": "jenkins", "namespace": "ci"},
                                {"kind": "ServiceAccount", "name": "robot", "namespace": "tools"}],
                   "roleRef": {"kind": "ClusterRole", "name": "edit"}}),
            json!({"kind": "DeploymentConfig", "metadata": {"name": "jenkins", "namespace": "ci"},
                   "spec": {"triggers": [{"imageChangeParams": {"from": {
                       "kind": "ImageStreamTag", "name": "jenkins:2", "namespace": "ci"}}}]}}),
        ];
        rename_namespace(&mut objects, "ci", "ci-copy");
        assert_eq!(objects[0]["metadata"]["namespace"], "ci-copy");
        assert_eq!(objects[0]["subjects"][0]["namespace"], "ci-copy");
        assert_eq!(
            objects[0]["subjects"][1]["namespace"], "tools",
            "other projects untouched"
        );
        assert_eq!(
            objects[1]["spec"]["triggers"][0]["imageChangeParams"]["from"]["namespace"],
            "ci-copy"
        );
    }

    #[test]
    fn an_export_loads_in_the_procedure_s_order() {
        let root = tempfile::tempdir().expect("dir");
        let staging = root.path().join("shop.partial");
        std::fs::create_dir(&staging).expect("staging");
        let write = |file: &str, objects: Vec<Value>| {
            let text = super::super::render_list(objects).expect("yaml");
            std::fs::write(staging.join(file), text).expect("written");
        };
        write(
            "project.yaml",
            vec![
                json!({"kind": "Service", "metadata": {"name": "web"}}),
                json!({"kind": "ConfigMap", "metadata": {"name": "conf"}}),
            ],
        );
        write(
            "secret.yaml",
            vec![json!({"kind": "Secret", "metadata": {"name": "creds"}})],
        );
        write(
            "rolebindings.yaml",
            vec![json!({"kind": "RoleBinding", "metadata": {"name": "rb"}})],
        );
        write(
            "pvc.yaml",
            vec![json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "data"}})],
        );
        write(
            "namespace.yaml",
            vec![json!({"kind": "Namespace", "metadata": {"name": "shop"}})],
        );
        let sealed = root.path().join("shop");
        crate::bundle::seal_with(&staging, &sealed, Default::default(), Default::default())
            .expect("sealed");
        let (_, objects) = load_export(&sealed).expect("loaded");
        let kinds: Vec<&str> = objects
            .iter()
            .map(|o| o["kind"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(
            kinds,
            [
                "Secret",
                "PersistentVolumeClaim",
                "RoleBinding",
                "ConfigMap",
                "Service"
            ]
        );
    }
}
