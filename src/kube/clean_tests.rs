//! One test per cleaning rule, on objects shaped as a real API server returns them.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use super::*;

fn cleaned(mut object: Value) -> (Option<Value>, Removed) {
    let mut removed = Removed::default();
    let kept = clean(&mut object, &BTreeSet::new(), &mut removed);
    (kept.then_some(object), removed)
}

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {
            "name": "web",
            "namespace": "shop",
            "uid": "0b3c2f0e-8a7d-4c1e-9d55-6f2b8e7a1c11",
            "resourceVersion": "184467",
            "generation": 3,
            "creationTimestamp": "2024-05-02T09:14:11Z",
            "selfLink": "/apis/apps/v1/namespaces/shop/deployments/web",
            "managedFields": [{"manager": "kubectl-client-side-apply", "operation": "Update"}],
            "labels": {"app": "shop"},
            "annotations": {
                "deployment.kubernetes.io/revision": "3",
                "kubectl.kubernetes.io/last-applied-configuration": "{\"apiVersion\":\"apps/v1\"}",
                "team": "payments"
            }
        },
        "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "shop"}}},
        "status": {"availableReplicas": 2, "observedGeneration": 3}
    })
}

#[test]
fn status_is_dropped() {
    let (object, removed) = cleaned(deployment());
    let object = object.expect("kept");
    assert!(object.get("status").is_none());
    assert_eq!(removed.get(Rule::Status), 1);
}

#[test]
fn server_owned_metadata_is_dropped_and_the_rest_kept() {
    let (object, removed) = cleaned(deployment());
    let metadata = &object.expect("kept")["metadata"];
    for field in SERVER_METADATA {
        assert!(metadata.get(field).is_none(), "{field} left");
    }
    assert_eq!(metadata["name"], "web");
    assert_eq!(metadata["namespace"], "shop");
    assert_eq!(metadata["labels"]["app"], "shop");
    // uid, resourceVersion, generation, creationTimestamp, selfLink, managedFields
    assert_eq!(removed.get(Rule::ServerMetadata), 6);
}

#[test]
fn server_annotations_go_and_the_user_s_stay() {
    let (object, removed) = cleaned(deployment());
    let annotations = &object.expect("kept")["metadata"]["annotations"];
    assert_eq!(annotations, &json!({"team": "payments"}));
    assert_eq!(removed.get(Rule::ServerAnnotations), 1);
}

#[test]
fn controller_owned_objects_are_left_out() {
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-5d9c7b-x2x8k", "namespace": "shop", "ownerReferences": [{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-5d9c7b",
            "uid": "3f1c", "controller": true, "blockOwnerDeletion": true}]},
        "spec": {"containers": [{"name": "web", "image": "nginx"}]}
    });
    let (object, removed) = cleaned(pod.clone());
    assert!(object.is_none());
    assert_eq!(removed.get(Rule::ControllerOwned), 1);
    assert_eq!(
        controller_of(&pod).as_deref(),
        Some("ReplicaSet/web-5d9c7b")
    );
}

#[test]
fn owner_references_without_a_controller_are_stripped() {
    let config_map = json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "settings", "namespace": "shop", "ownerReferences": [{
            "apiVersion": "v1", "kind": "ConfigMap", "name": "parent", "uid": "9a9a"}]},
        "data": {"a": "b"}
    });
    let (object, removed) = cleaned(config_map);
    assert!(
        object.expect("kept")["metadata"]
            .get("ownerReferences")
            .is_none()
    );
    assert_eq!(removed.get(Rule::OwnerReferences), 1);
}

#[test]
fn a_service_loses_its_cluster_ip_but_a_headless_one_keeps_none() {
    let service = |ip: &str| {
        json!({
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop"},
            "spec": {"clusterIP": ip, "clusterIPs": [ip], "type": "ClusterIP",
                     "ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"}],
                     "selector": {"app": "shop"}}
        })
    };
    let (object, removed) = cleaned(service("172.30.12.7"));
    let spec = &object.expect("kept")["spec"];
    assert!(spec.get("clusterIP").is_none() && spec.get("clusterIPs").is_none());
    assert_eq!(spec["ports"][0]["port"], 80);
    assert_eq!(removed.get(Rule::ServiceClusterIp), 1);
    let (headless, removed) = cleaned(service("None"));
    assert_eq!(headless.expect("kept")["spec"]["clusterIP"], "None");
    assert_eq!(removed.get(Rule::ServiceClusterIp), 0);
}

#[test]
fn a_pvc_loses_its_volume_name_and_bind_annotations() {
    let pvc = json!({
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": "jenkins", "namespace": "ci", "annotations": {
            "pv.kubernetes.io/bind-completed": "yes",
            "pv.kubernetes.io/bound-by-controller": "yes",
            "volume.beta.kubernetes.io/storage-provisioner": "kubernetes.io/no-provisioner"}},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}},
                 "volumeName": "pvc-4b1d2c3e", "volumeMode": "Filesystem"},
        "status": {"phase": "Bound"}
    });
    let (object, removed) = cleaned(pvc);
    let object = object.expect("kept");
    assert!(object["spec"].get("volumeName").is_none());
    assert!(object["metadata"].get("annotations").is_none());
    assert_eq!(object["spec"]["resources"]["requests"]["storage"], "1Gi");
    assert_eq!(removed.get(Rule::PvcBinding), 2);
}

#[test]
fn a_generated_route_host_is_dropped_and_a_chosen_one_kept() {
    let route = |generated: bool| {
        json!({
            "apiVersion": "route.openshift.io/v1", "kind": "Route",
            "metadata": {"name": "jenkins", "namespace": "ci",
                         "annotations": {"openshift.io/host.generated": generated.to_string()}},
            "spec": {"host": "jenkins-ci.apps.example.com", "to": {"kind": "Service", "name": "jenkins"}}
        })
    };
    let (object, removed) = cleaned(route(true));
    assert!(object.expect("kept")["spec"].get("host").is_none());
    assert_eq!(removed.get(Rule::GeneratedRouteHost), 1);
    let (object, _) = cleaned(route(false));
    assert_eq!(
        object.expect("kept")["spec"]["host"],
        "jenkins-ci.apps.example.com"
    );
}

#[test]
fn service_account_token_secrets_are_left_out_and_custom_ones_kept() {
    let token = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/service-account-token",
        "metadata": {"name": "jenkins-token-x7k2p", "namespace": "ci", "annotations": {
            "kubernetes.io/service-account.name": "jenkins",
            "kubernetes.io/service-account.uid": "77aa"}},
        "data": {"token": "ZXlK"}
    });
    let dockercfg = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockercfg",
        "metadata": {"name": "jenkins-dockercfg-q9z4m", "namespace": "ci", "annotations": {
            "kubernetes.io/service-account.name": "jenkins"}},
        "data": {".dockercfg": "e30="}
    });
    let pull_secret = json!({
        "apiVersion": "v1", "kind": "Secret", "type": "kubernetes.io/dockercfg",
        "metadata": {"name": "registry-login", "namespace": "ci"},
        "data": {".dockercfg": "e30="}
    });
    assert_eq!(cleaned(token).1.get(Rule::ServiceAccountToken), 1);
    assert_eq!(cleaned(dockercfg).1.get(Rule::ServiceAccountToken), 1);
    assert!(cleaned(pull_secret).0.is_some());
}

#[test]
fn service_accounts_stop_naming_their_token_secrets() {
    let account = json!({
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": {"name": "jenkins", "namespace": "ci", "uid": "77aa"},
        "secrets": [{"name": "jenkins-token-x7k2p"}, {"name": "jenkins-dockercfg-q9z4m"},
                    {"name": "git-ssh"}],
        "imagePullSecrets": [{"name": "jenkins-dockercfg-q9z4m"}]
    });
    let known: BTreeSet<String> = ["jenkins-token-x7k2p".to_string()].into();
    let mut object = account;
    let mut removed = Removed::default();
    assert!(clean(&mut object, &known, &mut removed));
    assert_eq!(object["secrets"], json!([{"name": "git-ssh"}]));
    assert!(object.get("imagePullSecrets").is_none());
    assert_eq!(removed.get(Rule::ServiceAccountTokenReference), 3);
}

#[test]
fn untouched_project_service_accounts_are_left_out_changed_ones_kept() {
    let account = |name: &str, extra: Value| {
        let mut object = json!({
            "apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": name, "namespace": "ci", "uid": "1", "resourceVersion": "2"},
            "secrets": [{"name": format!("{name}-token-abcde")}],
            "imagePullSecrets": [{"name": format!("{name}-dockercfg-fghij")}]
        });
        if let (Some(fields), Some(more)) = (object.as_object_mut(), extra.as_object()) {
            fields.extend(more.clone());
        }
        object
    };
    let (object, removed) = cleaned(account("builder", json!({})));
    assert!(object.is_none());
    assert_eq!(removed.get(Rule::ProjectServiceAccount), 1);
    let (object, _) = cleaned(account(
        "default",
        json!({"imagePullSecrets": [{"name": "registry-login"}]}),
    ));
    assert!(
        object.is_some(),
        "a default account with a pull secret someone added is kept"
    );
    assert!(cleaned(account("jenkins", json!({}))).0.is_some());
}

#[test]
fn a_namespace_keeps_its_name_and_annotations_but_not_finalizers_or_scc_ranges() {
    let namespace = json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": "ci", "uid": "5", "labels": {"kubernetes.io/metadata.name": "ci"},
                     "annotations": {"openshift.io/display-name": "Continuous integration",
                                     "openshift.io/sa.scc.uid-range": "1000060000/10000"}},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"phase": "Active"}
    });
    let (object, removed) = cleaned(namespace);
    let object = object.expect("kept");
    assert_eq!(
        object["metadata"],
        json!({"name": "ci", "annotations": {"openshift.io/display-name": "Continuous integration"}})
    );
    assert!(object.get("spec").is_none());
    assert_eq!(removed.get(Rule::NamespaceFinalizers), 1);
    assert_eq!(removed.get(Rule::ServerAnnotations), 2);
}
