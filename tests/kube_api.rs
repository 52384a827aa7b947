//! The sandbox's emulated Kubernetes/OpenShift API server, tested over HTTPS as clients meet
//! it: with kubectl, which nobody here wrote, and with the kube crate through the kubeconfig
//! that `sandbox up` writes.

mod common;

use std::collections::BTreeSet;

use common::{Sandbox, have, path, text};
use k8s_openapi::api::core::v1::{
    ConfigMap, Namespace, PersistentVolume, PersistentVolumeClaim, Pod, Secret, Service,
    ServiceAccount,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status as ExecStatus;
use kube::api::{
    Api, AttachParams, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, GroupVersionKind};
use kube::{Client, Config};
use serde_json::json;
use tokio::io::AsyncReadExt;

#[path = "kube_api/helpers.rs"]
mod helpers;
use helpers::*;

/// Every kubectl command of the "Done when", against one running sandbox.
#[test]
fn kubectl_works_against_the_emulated_api_server() {
    if !have("etcd") || !have("kubectl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let env = sandbox.env();
    let kubeconfig = env
        .iter()
        .find(|(k, _)| k == "KUBECONFIG")
        .map(|(_, v)| v.clone())
        .expect("sandbox env exports KUBECONFIG");
    assert_eq!(kubeconfig, path(&sandbox.kubeconfig()));

    let namespaces = sandbox.kubectl_ok(&["get", "ns"]);
    for project in ["default", "ci", "shop"] {
        assert!(namespaces.contains(project), "{namespaces}");
    }
    let resources = sandbox.kubectl_ok(&["api-resources"]);
    for line in [
        "deploymentconfigs",
        "projectrequests",
        "routes",
        "buildconfigs",
        "imagestreams",
        "rolebindings",
        "cronjobs",
    ] {
        assert!(resources.contains(line), "{line} missing:\n{resources}");
    }
    let all = sandbox.kubectl_ok(&["get", "all", "-n", "ci", "-o", "yaml"]);
    for kind in [
        "kind: DeploymentConfig",
        "kind: Pod",
        "kind: Service",
        "kind: Route",
        "kind: ReplicationController",
        "mountPath: /var/lib/jenkins",
    ] {
        assert!(all.contains(kind), "{kind} missing from get all");
    }

    sandbox.kubectl_ok(&["create", "namespace", "drill"]);
    sandbox.kubectl_ok(&[
        "create",
        "configmap",
        "settings",
        "-n",
        "drill",
        "--from-literal=mode=rehearsal",
    ]);
    let mode = sandbox.kubectl_ok(&[
        "get",
        "configmap",
        "settings",
        "-n",
        "drill",
        "-o",
        "jsonpath={.data.mode}",
    ]);
    assert_eq!(mode, "rehearsal");
    sandbox.kubectl_ok(&["delete", "namespace", "drill"]);
    let missing = sandbox.kubectl(&["get", "configmap", "settings", "-n", "drill"]);
    assert!(!missing.status.success());
    assert!(text(&missing).contains("not found"), "{}", text(&missing));
    assert!(!sandbox.kubectl_ok(&["get", "ns"]).contains("drill"));

    let pod = sandbox.kubectl_ok(&[
        "get",
        "pods",
        "-n",
        "ci",
        "--selector=deploymentconfig=jenkins",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    assert!(pod.starts_with("jenkins-1-"), "{pod}");
    let shell = sandbox.kubectl_ok(&[
        "exec",
        "-n",
        "ci",
        &pod,
        "--",
        "sh",
        "-c",
        "echo hi > /var/lib/jenkins/x; cat /var/lib/jenkins/x",
    ]);
    assert_eq!(shell, "hi\n");
    let failed = sandbox.kubectl(&["exec", "-n", "ci", &pod, "--", "sh", "-c", "exit 3"]);
    assert_eq!(failed.status.code(), Some(3), "{}", text(&failed));

    let local = sandbox.lifeboat.home.path().join("copy");
    std::fs::create_dir_all(&local).expect("local dir");
    std::fs::write(local.join("restored.txt"), "from the backup\n").expect("local file");
    let into = format!("ci/{pod}:/var/lib/jenkins/restored.txt");
    sandbox.kubectl_ok(&["cp", path(&local.join("restored.txt")), &into]);
    let inside = sandbox.kubectl_ok(&[
        "exec",
        "-n",
        "ci",
        &pod,
        "--",
        "cat",
        "/var/lib/jenkins/restored.txt",
    ]);
    assert_eq!(inside, "from the backup\n");
    let out_of = format!("ci/{pod}:/var/lib/jenkins");
    sandbox.kubectl_ok(&["cp", &out_of, path(&local.join("jenkins"))]);
    let copied = std::fs::read_to_string(local.join("jenkins/config.xml"))
        .expect("seeded config.xml copied out");
    assert!(copied.contains("<hudson>"));
    assert_eq!(
        std::fs::read_to_string(local.join("jenkins/x")).expect("x copied out"),
        "hi\n"
    );

    // `kubectl scale` goes through the scale subresource.
    sandbox.kubectl_ok(&["scale", "-n", "ci", "dc/jenkins", "--replicas=0"]);
    let none = sandbox.kubectl_ok(&[
        "get",
        "pods",
        "-n",
        "ci",
        "-o",
        "jsonpath={.items[*].metadata.name}",
    ]);
    assert_eq!(none, "");
}

#[tokio::test(flavor = "multi_thread")]
async fn server_owns_metadata_and_answers_errors_as_status() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let client = client(&sandbox).await;
    let version = client.apiserver_version().await.expect("version");
    assert_eq!(version.major, "1");
    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), "shop");

    let created = configmaps
        .create(
            &PostParams::default(),
            &configmap("one", json!({"app": "a"})),
        )
        .await
        .expect("created");
    let meta = &created.metadata;
    assert!(meta.uid.as_ref().is_some_and(|u| u.len() == 36));
    assert!(meta.resource_version.is_some());
    assert!(meta.creation_timestamp.is_some());
    assert_eq!(meta.generation, Some(1));

    // 409 AlreadyExists
    let again = configmaps
        .create(&PostParams::default(), &configmap("one", json!({})))
        .await
        .expect_err("a second create fails");
    let status = api_error(again);
    assert_eq!(
        (status.code, status.reason.as_str()),
        (409, "AlreadyExists")
    );

    // 404 NotFound
    let status = api_error(configmaps.get("nope").await.expect_err("missing"));
    assert_eq!((status.code, status.reason.as_str()), (404, "NotFound"));

    // 422 Invalid
    let status = api_error(
        configmaps
            .create(&PostParams::default(), &configmap("Not_Valid", json!({})))
            .await
            .expect_err("invalid name"),
    );
    assert_eq!((status.code, status.reason.as_str()), (422, "Invalid"));

    // An update bumps resourceVersion and generation; a stale one conflicts.
    let mut changed = created.clone();
    changed.data = Some([("key".to_string(), "other".to_string())].into());
    let updated = configmaps
        .replace("one", &PostParams::default(), &changed)
        .await
        .expect("replaced");
    assert_eq!(updated.metadata.generation, Some(2));
    assert_eq!(updated.metadata.uid, created.metadata.uid);
    assert_ne!(
        updated.metadata.resource_version,
        created.metadata.resource_version
    );
    let stale = configmaps
        .replace("one", &PostParams::default(), &changed)
        .await
        .expect_err("stale resourceVersion");
    assert_eq!(api_error(stale).code, 409);

    // Merge patch
    let patched = configmaps
        .patch(
            "one",
            &PatchParams::default(),
            &Patch::Merge(json!({"metadata": {"labels": {"tier": "front"}}})),
        )
        .await
        .expect("patched");
    assert_eq!(
        patched
            .metadata
            .labels
            .expect("labels")
            .get("tier")
            .map(String::as_str),
        Some("front")
    );

    // Label and field selectors, and the list's resourceVersion
    configmaps
        .create(
            &PostParams::default(),
            &configmap("two", json!({"app": "b"})),
        )
        .await
        .expect("created");
    let names = |list: kube::core::ObjectList<ConfigMap>| -> BTreeSet<String> {
        list.items
            .into_iter()
            .filter_map(|c| c.metadata.name)
            .collect()
    };
    let by_label = configmaps
        .list(&ListParams::default().labels("app=a"))
        .await
        .expect("list");
    assert!(by_label.metadata.resource_version.is_some());
    assert_eq!(names(by_label), BTreeSet::from(["one".to_string()]));
    let by_set = configmaps
        .list(&ListParams::default().labels("app in (a,b),tier!=front"))
        .await
        .expect("list");
    assert_eq!(names(by_set), BTreeSet::from(["two".to_string()]));
    let by_field = configmaps
        .list(&ListParams::default().fields("metadata.name=two"))
        .await
        .expect("list");
    assert_eq!(names(by_field), BTreeSet::from(["two".to_string()]));

    // dryRun=All answers as if, and leaves nothing behind
    let dry = configmaps
        .create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &configmap("ghost", json!({})),
        )
        .await
        .expect("dry run create");
    assert_eq!(dry.metadata.name.as_deref(), Some("ghost"));
    assert!(configmaps.get_opt("ghost").await.expect("get").is_none());
    configmaps
        .delete(
            "one",
            &DeleteParams {
                dry_run: true,
                ..Default::default()
            },
        )
        .await
        .expect("dry run delete");
    assert!(configmaps.get_opt("one").await.expect("get").is_some());

    // Objects outlive a restart of the server.
    let output = sandbox.sandbox(&["down"]);
    assert!(output.status.success(), "{}", text(&output));
    let output = sandbox.sandbox(&["up"]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(
        text(&output).contains("emulated Kubernetes/OpenShift API server"),
        "{}",
        text(&output)
    );
    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), "shop");
    let kept = configmaps.get("one").await.expect("kept across a restart");
    assert_eq!(kept.metadata.uid, created.metadata.uid);
}

#[tokio::test(flavor = "multi_thread")]
async fn projects_get_service_accounts_tokens_addresses_and_volumes() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let client = client(&sandbox).await;
    new_project(&client, "restored").await;

    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "restored");
    let names: BTreeSet<String> = accounts
        .list(&ListParams::default())
        .await
        .expect("list")
        .items
        .into_iter()
        .filter_map(|sa| sa.metadata.name)
        .collect();
    assert_eq!(
        names,
        ["builder", "default", "deployer"].map(String::from).into()
    );
    let default = accounts.get("default").await.expect("default SA");
    let token_name = default
        .secrets
        .expect("secrets listed")
        .into_iter()
        .filter_map(|s| s.name)
        .find(|n| n.starts_with("default-token-"))
        .expect("a token secret listed");
    let secrets: Api<Secret> = Api::namespaced(client.clone(), "restored");
    let token = secrets.get(&token_name).await.expect("token secret");
    assert_eq!(
        token.type_.as_deref(),
        Some("kubernetes.io/service-account-token")
    );
    let data = token.data.expect("data");
    assert!(data.contains_key("token") && data.contains_key("ca.crt"));

    // Services get distinct cluster IPs; asking for a taken one is 422.
    let services: Api<Service> = Api::namespaced(client.clone(), "restored");
    let service = |name: &str, ip: Option<&str>| -> Service {
        serde_json::from_value(json!({
            "metadata": {"name": name},
            "spec": {"ports": [{"port": 80}], "clusterIP": ip},
        }))
        .expect("a Service")
    };
    let a = services
        .create(&PostParams::default(), &service("a", None))
        .await
        .expect("a");
    let b = services
        .create(&PostParams::default(), &service("b", None))
        .await
        .expect("b");
    let ip = |s: &Service| {
        s.spec
            .as_ref()
            .and_then(|s| s.cluster_ip.clone())
            .expect("clusterIP")
    };
    assert!(ip(&a).starts_with("172.30."));
    assert_ne!(ip(&a), ip(&b));
    let taken = services
        .create(&PostParams::default(), &service("c", Some(&ip(&a))))
        .await
        .expect_err("taken IP");
    assert_eq!(api_error(taken).code, 422);

    // A claim binds to a volume.
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), "restored");
    let claim: PersistentVolumeClaim = serde_json::from_value(json!({
        "metadata": {"name": "data"},
        "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}},
    }))
    .expect("a PVC");
    claims
        .create(&PostParams::default(), &claim)
        .await
        .expect("pvc");
    let bound = claims.get("data").await.expect("pvc");
    let volume = bound.spec.and_then(|s| s.volume_name).expect("volumeName");
    assert_eq!(bound.status.and_then(|s| s.phase).as_deref(), Some("Bound"));
    let volumes: Api<PersistentVolume> = Api::all(client.clone());
    assert!(volumes.get_opt(&volume).await.expect("pv").is_some());

    // Deleting the namespace deletes what is in it.
    let namespaces: Api<Namespace> = Api::all(client.clone());
    namespaces
        .delete("restored", &DeleteParams::default())
        .await
        .expect("namespace deleted");
    assert!(namespaces.get_opt("restored").await.expect("get").is_none());
    let all_services: Api<Service> = Api::all(client.clone());
    let left = all_services
        .list(&ListParams::default().fields("metadata.namespace=restored"))
        .await
        .expect("list");
    assert!(left.items.is_empty());
    let secrets_left: Api<Secret> = Api::all(client.clone());
    assert!(
        secrets_left
            .list(&ListParams::default().fields("metadata.namespace=restored"))
            .await
            .expect("list")
            .items
            .is_empty()
    );
    assert!(volumes.get_opt(&volume).await.expect("pv").is_none());

    // The same again, with ProjectRequest's 409 on an existing project.
    new_project(&client, "restored").await;
    let requests: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &dynamic(
            "project.openshift.io",
            "v1",
            "ProjectRequest",
            "projectrequests",
        ),
    );
    let again: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "project.openshift.io/v1", "kind": "ProjectRequest",
        "metadata": {"name": "restored"},
    }))
    .expect("request");
    let exists = requests
        .create(&PostParams::default(), &again)
        .await
        .expect_err("exists");
    let status = api_error(exists);
    assert_eq!(
        (status.code, status.reason.as_str()),
        (409, "AlreadyExists")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn controllers_keep_pods_and_volumes_keep_data() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let client = client(&sandbox).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "ci");

    let first = running_pods(&pods, "deploymentconfig=jenkins").await;
    assert_eq!(first.len(), 1, "{first:?}");
    let pod = pods.get(&first[0]).await.expect("pod");
    let ready = pod
        .status
        .and_then(|s| s.conditions)
        .expect("conditions")
        .into_iter()
        .any(|c| c.type_ == "Ready" && c.status == "True");
    assert!(ready);

    // Data on the PVC survives the pod; an exit code comes back through the error channel.
    let (out, status) = run(
        &pods,
        &first[0],
        "echo kept > /var/lib/jenkins/marker; cat /var/lib/jenkins/marker",
    )
    .await;
    assert_eq!(out, "kept\n");
    assert_eq!(status.and_then(|s| s.status).as_deref(), Some("Success"));
    let (_, status) = run(&pods, &first[0], "exit 4").await;
    let status = status.expect("a status");
    assert_eq!(status.reason.as_deref(), Some("NonZeroExitCode"));
    let cause = status
        .details
        .and_then(|d| d.causes)
        .and_then(|causes| causes.into_iter().next())
        .expect("cause");
    assert_eq!(cause.message.as_deref(), Some("4"));

    pods.delete(&first[0], &DeleteParams::default())
        .await
        .expect("pod deleted");
    let second = running_pods(&pods, "deploymentconfig=jenkins").await;
    assert_eq!(second.len(), 1);
    assert_ne!(second, first, "a new pod replaces the deleted one");
    let (out, _) = run(&pods, &second[0], "cat /var/lib/jenkins/marker").await;
    assert_eq!(out, "kept\n");

    // Scale to zero and back.
    let dcs: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "ci",
        &dynamic(
            "apps.openshift.io",
            "v1",
            "DeploymentConfig",
            "deploymentconfigs",
        ),
    );
    let scale = |n: u32| Patch::Merge(json!({"spec": {"replicas": n}}));
    dcs.patch("jenkins", &PatchParams::default(), &scale(0))
        .await
        .expect("scaled down");
    assert!(
        running_pods(&pods, "deploymentconfig=jenkins")
            .await
            .is_empty()
    );
    dcs.patch("jenkins", &PatchParams::default(), &scale(1))
        .await
        .expect("scaled up");
    let third = running_pods(&pods, "deploymentconfig=jenkins").await;
    assert_eq!(third.len(), 1);
    let (out, _) = run(&pods, &third[0], "cat /var/lib/jenkins/marker").await;
    assert_eq!(out, "kept\n");

    // An emptyDir dies with its pod (the shop's web pods have one at /var/cache/shop).
    let shop: Api<Pod> = Api::namespaced(client.clone(), "shop");
    let web = running_pods(&shop, "app=shop,tier=web").await;
    assert_eq!(web.len(), 2, "the web Deployment asks for two replicas");
    let (out, _) = run(
        &shop,
        &web[0],
        "echo temp > /var/cache/shop/t; cat /var/cache/shop/t",
    )
    .await;
    assert_eq!(out, "temp\n");
    let (conf, _) = run(&shop, &web[0], "cat /etc/nginx/conf.d/default.conf").await;
    assert!(conf.contains("proxy_pass"), "configMap volume: {conf}");
    shop.delete(&web[0], &DeleteParams::default())
        .await
        .expect("deleted");
    let replacement: Vec<String> = running_pods(&shop, "app=shop,tier=web")
        .await
        .into_iter()
        .filter(|p| !web.contains(p))
        .collect();
    assert_eq!(replacement.len(), 1);
    let (out, _) = run(
        &shop,
        &replacement[0],
        "cat /var/cache/shop/t 2>/dev/null || echo gone",
    )
    .await;
    assert_eq!(out, "gone\n");

    // A Deployment's pods carry its template labels and a ReplicaSet owner.
    let pod = shop.get(&replacement[0]).await.expect("pod");
    let owner = pod.metadata.owner_references.expect("owner").remove(0);
    assert_eq!(owner.kind, "ReplicaSet");
}

#[tokio::test(flavor = "multi_thread")]
async fn credentials_are_required_and_a_token_works() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let kubeconfig = Kubeconfig::read_from(sandbox.kubeconfig()).expect("kubeconfig");
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("config");
    config.auth_info = Default::default();
    let anonymous = Client::try_from(config).expect("client");
    let namespaces: Api<Namespace> = Api::all(anonymous);
    let status = api_error(
        namespaces
            .list(&ListParams::default())
            .await
            .expect_err("no credentials"),
    );
    assert_eq!((status.code, status.reason.as_str()), (401, "Unauthorized"));

    let with_token = client_for(&sandbox, Some("sandbox-token")).await;
    let namespaces: Api<Namespace> = Api::all(with_token);
    let list = namespaces
        .list(&ListParams::default())
        .await
        .expect("token accepted");
    assert!(
        list.items
            .iter()
            .any(|n| n.metadata.name.as_deref() == Some("ci"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn pods_cannot_name_host_paths_and_only_the_random_token_is_accepted() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let client = client(&sandbox).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), "default");
    let pod = |volume: &str, mount: &str| -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "escape"},
            "spec": {
                "volumes": [{"name": volume, "emptyDir": {}}],
                "containers": [{"name": "c", "image": "busybox",
                    "volumeMounts": [{"name": volume, "mountPath": mount}]}],
            },
        }))
        .expect("a Pod")
    };
    for (volume, mount, field) in [
        ("../../..", "/host", "spec.volumes[0].name"),
        (
            "data",
            "/../../etc",
            "spec.containers[0].volumeMounts[0].mountPath",
        ),
    ] {
        let status = api_error(
            pods.create(&PostParams::default(), &pod(volume, mount))
                .await
                .expect_err("refused"),
        );
        assert_eq!(status.code, 422, "{status:?}");
        assert!(format!("{status:?}").contains(field), "{field}: {status:?}");
    }
    let configmaps: Api<ConfigMap> = Api::namespaced(client, "default");
    let mut dotted = configmap("dotted", json!({}));
    dotted.data = Some([("..".to_string(), "x".to_string())].into());
    let status = api_error(
        configmaps
            .create(&PostParams::default(), &dotted)
            .await
            .expect_err("refused"),
    );
    assert_eq!(status.code, 422, "{status:?}");

    // The token is 32 bytes of the kernel's randomness; one byte off is refused.
    let token = std::fs::read_to_string(sandbox.dir.join("kube/token")).expect("token");
    let token = token.trim();
    assert_eq!(token.len(), 64, "{token}");
    let mut wrong = token.as_bytes().to_vec();
    wrong[63] = if wrong[63] == b'0' { b'1' } else { b'0' };
    let kubeconfig = Kubeconfig::read_from(sandbox.kubeconfig()).expect("kubeconfig");
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .expect("config");
    config.auth_info = kube::config::AuthInfo {
        token: Some(String::from_utf8(wrong).expect("hex").into()),
        ..Default::default()
    };
    let namespaces: Api<Namespace> = Api::all(Client::try_from(config).expect("client"));
    let status = api_error(
        namespaces
            .list(&ListParams::default())
            .await
            .expect_err("a wrong token"),
    );
    assert_eq!(status.code, 401, "{status:?}");
}
