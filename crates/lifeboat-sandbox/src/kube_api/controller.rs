//! The controllers a backup and restore meet, run to a fixed point after every change:
//! service accounts and their token secrets per project, DeploymentConfig and Deployment
//! rollouts down to running pods, PVC binding, and garbage collection by owner.

use std::collections::BTreeSet;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::admission::admit_create;
use super::discovery::{Resource, core, named};
use super::store::{Store, name_of, namespace_of, uid_of};

/// The service accounts OpenShift creates in every project.
pub const PROJECT_SERVICE_ACCOUNTS: [&str; 3] = ["default", "builder", "deployer"];

const TOKEN_TYPE: &str = "kubernetes.io/service-account-token";
const DOCKERCFG_TYPE: &str = "kubernetes.io/dockercfg";
const SA_NAME: &str = "kubernetes.io/service-account.name";

/// Runs every controller until none changes anything (bounded, in case of a bug).
pub fn reconcile(store: &mut Store, ca_pem: &str) {
    for _ in 0..16 {
        let mut changed = false;
        changed |= service_accounts(store);
        changed |= token_secrets(store, ca_pem);
        changed |= deployment_configs(store);
        changed |= deployments(store);
        changed |= replicas(store, core("replicationcontrollers"));
        changed |= replicas(store, named("apps", "replicasets"));
        changed |= bind_claims(store);
        changed |= collect_garbage(store);
        if !changed {
            return;
        }
    }
}

fn create(store: &mut Store, resource: &'static Resource, mut object: Value) -> bool {
    admit_create(store, resource, &mut object).is_ok() && store.create(resource, object).is_ok()
}

fn update(store: &mut Store, resource: &'static Resource, object: Value) -> bool {
    let before = store
        .get(resource, namespace_of(&object), name_of(&object))
        .cloned();
    if before.as_ref() == Some(&object) {
        return false;
    }
    let mut object = object;
    if let Some(fields) = object["metadata"].as_object_mut() {
        fields.remove("resourceVersion");
    }
    store.update(resource, object).is_ok()
}

fn owner_reference(owner: &Value) -> Value {
    json!({
        "apiVersion": owner["apiVersion"],
        "kind": owner["kind"],
        "name": owner["metadata"]["name"],
        "uid": owner["metadata"]["uid"],
        "controller": true,
        "blockOwnerDeletion": true,
    })
}

fn owned_by<'a>(objects: &'a [Value], owner: &Value) -> Vec<&'a Value> {
    let uid = uid_of(owner);
    objects
        .iter()
        .filter(|o| {
            o["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|refs| refs.iter().any(|r| r["uid"] == uid))
        })
        .collect()
}

fn service_accounts(store: &mut Store) -> bool {
    let mut changed = false;
    for namespace in store.list(core("namespaces"), None) {
        if namespace["status"]["phase"] != "Active" {
            continue;
        }
        let ns = name_of(&namespace).to_string();
        for name in PROJECT_SERVICE_ACCOUNTS {
            if store.get(core("serviceaccounts"), &ns, name).is_none() {
                let sa = json!({"metadata": {"name": name, "namespace": ns}});
                changed |= create(store, core("serviceaccounts"), sa);
            }
        }
    }
    changed
}

/// Each service account gets a token secret and (as on OpenShift 3) a dockercfg secret, both
/// named in its `secrets`.
fn token_secrets(store: &mut Store, ca_pem: &str) -> bool {
    let mut changed = false;
    for mut sa in store.list(core("serviceaccounts"), None) {
        let ns = namespace_of(&sa).to_string();
        let name = name_of(&sa).to_string();
        let secrets = store.list(core("secrets"), Some(&ns));
        let find = |kind: &str| {
            secrets
                .iter()
                .find(|s| s["type"] == kind && s["metadata"]["annotations"][SA_NAME] == name)
                .map(|s| name_of(s).to_string())
        };
        let mut names = Vec::new();
        for (kind, infix) in [(TOKEN_TYPE, "token"), (DOCKERCFG_TYPE, "dockercfg")] {
            let secret_name = match find(kind) {
                Some(existing) => existing,
                None => {
                    let secret_name = format!("{name}-{infix}-{}", store.fresh_suffix());
                    let token = store.fresh_hex(32);
                    let data = if kind == TOKEN_TYPE {
                        json!({
                            "token": BASE64.encode(&token),
                            "ca.crt": BASE64.encode(ca_pem),
                            "namespace": BASE64.encode(&ns),
                        })
                    } else {
                        json!({".dockercfg": BASE64.encode("{}")})
                    };
                    let secret = json!({
                        "metadata": {
                            "name": secret_name,
                            "namespace": ns,
                            "annotations": {SA_NAME: name, "kubernetes.io/service-account.uid": uid_of(&sa)},
                        },
                        "type": kind,
                        "data": data,
                    });
                    changed |= create(store, core("secrets"), secret);
                    secret_name
                }
            };
            names.push(secret_name);
        }
        let listed: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
        let pull = json!([{"name": names[1]}]);
        if sa["secrets"] != json!(listed) || sa["imagePullSecrets"] != pull {
            sa["secrets"] = json!(listed);
            sa["imagePullSecrets"] = pull;
            changed |= update(store, core("serviceaccounts"), sa);
        }
    }
    changed
}

/// A DeploymentConfig runs through a ReplicationController `NAME-VERSION`, whose pods carry
/// `deploymentconfig=NAME` and `deployment=NAME-VERSION` as OpenShift's do.
fn deployment_configs(store: &mut Store) -> bool {
    let dcs = named("apps.openshift.io", "deploymentconfigs");
    let rcs = core("replicationcontrollers");
    let mut changed = false;
    for mut dc in store.list(dcs, None) {
        let ns = namespace_of(&dc).to_string();
        let name = name_of(&dc).to_string();
        let version = dc["status"]["latestVersion"].as_i64().unwrap_or(0).max(1);
        let rc_name = format!("{name}-{version}");
        let mut template = dc["spec"]["template"].clone();
        template["metadata"]["labels"]["deploymentconfig"] = json!(name);
        template["metadata"]["labels"]["deployment"] = json!(rc_name);
        template["metadata"]["annotations"]["openshift.io/deployment-config.name"] = json!(name);
        template["metadata"]["annotations"]["openshift.io/deployment.name"] = json!(rc_name);
        let wanted = dc["spec"]["replicas"].clone();
        let mut selector = dc["spec"]["selector"].clone();
        if !selector.is_object() {
            selector = json!({});
        }
        selector["deploymentconfig"] = json!(name);
        selector["deployment"] = json!(rc_name);
        match store.get(rcs, &ns, &rc_name).cloned() {
            None => {
                let rc = json!({
                    "metadata": {
                        "name": rc_name,
                        "namespace": ns,
                        "labels": {"openshift.io/deployment-config.name": name},
                        "annotations": {
                            "openshift.io/deployment-config.name": name,
                            "openshift.io/deployment-config.latest-version": version.to_string(),
                            "openshift.io/deployment.phase": "Complete",
                        },
                        "ownerReferences": [owner_reference(&dc)],
                    },
                    "spec": {"replicas": wanted, "selector": selector, "template": template},
                });
                changed |= create(store, rcs, rc);
            }
            Some(mut rc) => {
                if rc["spec"]["replicas"] != wanted || rc["spec"]["template"] != template {
                    rc["spec"]["replicas"] = wanted;
                    rc["spec"]["template"] = template;
                    changed |= update(store, rcs, rc);
                }
            }
        }
        let ready = store
            .get(rcs, &ns, &rc_name)
            .map_or(json!(0), |rc| rc["status"]["readyReplicas"].clone());
        let status = json!({
            "latestVersion": version,
            "observedGeneration": dc["metadata"]["generation"],
            "replicas": dc["spec"]["replicas"],
            "updatedReplicas": dc["spec"]["replicas"],
            "readyReplicas": ready,
            "availableReplicas": ready,
            "unavailableReplicas": 0,
        });
        if dc["status"] != status {
            dc["status"] = status;
            changed |= update(store, dcs, dc);
        }
    }
    changed
}

/// A Deployment runs through a ReplicaSet named after a hash of its pod template; a changed
/// template makes a new ReplicaSet and scales the old ones to zero.
fn deployments(store: &mut Store) -> bool {
    let deploys = named("apps", "deployments");
    let sets = named("apps", "replicasets");
    let mut changed = false;
    for mut deploy in store.list(deploys, None) {
        let ns = namespace_of(&deploy).to_string();
        let name = name_of(&deploy).to_string();
        let template = deploy["spec"]["template"].clone();
        let digest = Sha256::digest(template.to_string().as_bytes());
        let hash: String = digest[..5].iter().map(|b| format!("{b:02x}")).collect();
        let rs_name = format!("{name}-{hash}");
        let owned: Vec<Value> = owned_by(&store.list(sets, Some(&ns)), &deploy)
            .into_iter()
            .cloned()
            .collect();
        for mut old in owned.into_iter().filter(|rs| name_of(rs) != rs_name) {
            if old["spec"]["replicas"] != 0 {
                old["spec"]["replicas"] = json!(0);
                changed |= update(store, sets, old);
            }
        }
        let wanted = deploy["spec"]["replicas"].clone();
        let mut pod_template = template.clone();
        pod_template["metadata"]["labels"]["pod-template-hash"] = json!(hash);
        match store.get(sets, &ns, &rs_name).cloned() {
            None => {
                let mut selector = deploy["spec"]["selector"].clone();
                selector["matchLabels"]["pod-template-hash"] = json!(hash);
                let rs = json!({
                    "metadata": {
                        "name": rs_name,
                        "namespace": ns,
                        "labels": pod_template["metadata"]["labels"],
                        "ownerReferences": [owner_reference(&deploy)],
                    },
                    "spec": {"replicas": wanted, "selector": selector, "template": pod_template},
                });
                changed |= create(store, sets, rs);
            }
            Some(mut rs) => {
                if rs["spec"]["replicas"] != wanted {
                    rs["spec"]["replicas"] = wanted;
                    changed |= update(store, sets, rs);
                }
            }
        }
        let ready = store
            .get(sets, &ns, &rs_name)
            .map_or(json!(0), |rs| rs["status"]["readyReplicas"].clone());
        let status = json!({
            "observedGeneration": deploy["metadata"]["generation"],
            "replicas": deploy["spec"]["replicas"],
            "updatedReplicas": deploy["spec"]["replicas"],
            "readyReplicas": ready,
            "availableReplicas": ready,
            "conditions": [{"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"}],
        });
        if deploy["status"] != status {
            deploy["status"] = status;
            changed |= update(store, deploys, deploy);
        }
    }
    changed
}

/// ReplicationControllers and ReplicaSets keep as many pods as they ask for.
fn replicas(store: &mut Store, resource: &'static Resource) -> bool {
    let pods = core("pods");
    let mut changed = false;
    for mut set in store.list(resource, None) {
        let ns = namespace_of(&set).to_string();
        let wanted = set["spec"]["replicas"].as_u64().unwrap_or(1);
        let all_pods = store.list(pods, Some(&ns));
        let mut mine: Vec<Value> = owned_by(&all_pods, &set).into_iter().cloned().collect();
        let mut count = mine.len() as u64;
        while count < wanted {
            let template = &set["spec"]["template"];
            let mut metadata = template["metadata"].clone();
            if !metadata.is_object() {
                metadata = json!({});
            }
            metadata["name"] = json!(format!("{}-{}", name_of(&set), store.fresh_suffix()));
            metadata["namespace"] = json!(ns);
            metadata["ownerReferences"] = json!([owner_reference(&set)]);
            let pod = json!({"metadata": metadata, "spec": template["spec"]});
            changed |= create(store, pods, pod);
            count += 1;
        }
        while count > wanted {
            if let Some(extra) = mine.pop() {
                changed |= store.delete(pods, &ns, name_of(&extra)).is_ok();
            }
            count -= 1;
        }
        let status = json!({
            "replicas": wanted,
            "readyReplicas": wanted,
            "availableReplicas": wanted,
            "fullyLabeledReplicas": wanted,
            "observedGeneration": set["metadata"]["generation"],
        });
        if set["status"] != status {
            set["status"] = status;
            changed |= update(store, resource, set);
        }
    }
    changed
}

/// A claim binds at once to its named volume, or to a new one `pvc-UID` (dynamic
/// provisioning), whose files live in the server's volume directory.
fn bind_claims(store: &mut Store) -> bool {
    let claims = core("persistentvolumeclaims");
    let volumes = core("persistentvolumes");
    let mut changed = false;
    for mut claim in store.list(claims, None) {
        if claim["status"]["phase"] == "Bound" {
            continue;
        }
        let volume_name = claim["spec"]["volumeName"]
            .as_str()
            .filter(|n| !n.is_empty())
            .map_or_else(|| format!("pvc-{}", uid_of(&claim)), String::from);
        let capacity = claim["spec"]["resources"]["requests"]["storage"].clone();
        let access = claim["spec"]["accessModes"].clone();
        if store.get(volumes, "", &volume_name).is_none() {
            let volume = json!({
                "metadata": {"name": volume_name, "annotations": {"pv.kubernetes.io/provisioned-by": "lifeboat-sandbox"}},
                "spec": {
                    "capacity": {"storage": capacity},
                    "accessModes": access,
                    "persistentVolumeReclaimPolicy": "Delete",
                    "hostPath": {"path": format!("/var/lib/lifeboat-sandbox/volumes/{volume_name}")},
                    "claimRef": {
                        "kind": "PersistentVolumeClaim", "apiVersion": "v1",
                        "namespace": namespace_of(&claim), "name": name_of(&claim), "uid": uid_of(&claim),
                    },
                },
            });
            changed |= create(store, volumes, volume);
        }
        if let Some(mut volume) = store.get(volumes, "", &volume_name).cloned() {
            volume["status"] = json!({"phase": "Bound"});
            changed |= update(store, volumes, volume);
        }
        claim["spec"]["volumeName"] = json!(volume_name);
        claim["status"] =
            json!({"phase": "Bound", "accessModes": access, "capacity": {"storage": capacity}});
        changed |= update(store, claims, claim);
    }
    changed
}

/// Deletes what its owners no longer hold: objects whose every owner is gone, and released
/// volumes with the Delete reclaim policy.
fn collect_garbage(store: &mut Store) -> bool {
    let uids: BTreeSet<String> = store.all().map(|o| uid_of(o).to_string()).collect();
    let orphans: Vec<(String, String, String, String)> = store
        .all()
        .filter(|o| {
            o["metadata"]["ownerReferences"]
                .as_array()
                .is_some_and(|refs| {
                    !refs.is_empty()
                        && refs
                            .iter()
                            .all(|r| !uids.contains(r["uid"].as_str().unwrap_or("")))
                })
        })
        .map(|o| {
            (
                o["apiVersion"].as_str().unwrap_or("").to_string(),
                o["kind"].as_str().unwrap_or("").to_string(),
                namespace_of(o).to_string(),
                name_of(o).to_string(),
            )
        })
        .collect();
    let mut changed = false;
    for (api_version, kind, ns, name) in orphans {
        if let Some(resource) = super::discovery::by_kind(&api_version, &kind) {
            changed |= store.delete(resource, &ns, &name).is_ok();
        }
    }
    let claims = core("persistentvolumeclaims");
    for volume in store.list(core("persistentvolumes"), None) {
        let claim = &volume["spec"]["claimRef"];
        let Some(claim_name) = claim["name"].as_str() else {
            continue;
        };
        let held = store
            .get(
                claims,
                claim["namespace"].as_str().unwrap_or(""),
                claim_name,
            )
            .is_some_and(|c| claim["uid"].is_null() || c["metadata"]["uid"] == claim["uid"]);
        if !held && volume["spec"]["persistentVolumeReclaimPolicy"] == "Delete" {
            changed |= store
                .delete(core("persistentvolumes"), "", name_of(&volume))
                .is_ok();
        }
    }
    changed
}
