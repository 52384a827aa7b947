//! kube-rs clients of the emulated API server and the small requests the tests repeat.

use super::*;

pub async fn client_for(sandbox: &Sandbox, context: Option<&str>) -> Client {
    let kubeconfig = Kubeconfig::read_from(sandbox.kubeconfig()).expect("kubeconfig reads");
    let options = KubeConfigOptions {
        context: context.map(String::from),
        ..Default::default()
    };
    let config = Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .expect("kubeconfig loads");
    Client::try_from(config).expect("client builds")
}

pub async fn client(sandbox: &Sandbox) -> Client {
    client_for(sandbox, None).await
}

pub fn api_error(error: kube::Error) -> Box<kube::core::Status> {
    match error {
        kube::Error::Api(status) => status,
        other => panic!("expected an API error Status, got {other:?}"),
    }
}

pub fn configmap(name: &str, labels: serde_json::Value) -> ConfigMap {
    serde_json::from_value(json!({
        "metadata": {"name": name, "labels": labels},
        "data": {"key": "value"},
    }))
    .expect("a ConfigMap")
}

pub fn dynamic(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

pub async fn new_project(client: &Client, name: &str) {
    let requests: Api<DynamicObject> = Api::all_with(
        client.clone(),
        &dynamic(
            "project.openshift.io",
            "v1",
            "ProjectRequest",
            "projectrequests",
        ),
    );
    let request: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "project.openshift.io/v1",
        "kind": "ProjectRequest",
        "metadata": {"name": name},
        "displayName": "A test project",
    }))
    .expect("a ProjectRequest");
    let project = requests
        .create(&PostParams::default(), &request)
        .await
        .expect("project request accepted");
    assert_eq!(project.types.expect("typed").kind, "Project");
}

pub async fn run(pods: &Api<Pod>, pod: &str, script: &str) -> (String, Option<ExecStatus>) {
    let mut attached = pods
        .exec(
            pod,
            ["sh", "-c", script],
            &AttachParams::default().stdout(true).stderr(false),
        )
        .await
        .expect("exec starts");
    let mut stdout = attached.stdout().expect("stdout");
    let status = attached.take_status().expect("status");
    let mut out = String::new();
    stdout.read_to_string(&mut out).await.expect("stdout reads");
    let status = status.await;
    attached.join().await.expect("exec ends");
    (out, status)
}

pub async fn running_pods(pods: &Api<Pod>, selector: &str) -> Vec<String> {
    pods.list(&ListParams::default().labels(selector))
        .await
        .expect("list pods")
        .items
        .into_iter()
        .filter(|p| p.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running"))
        .filter_map(|p| p.metadata.name)
        .collect()
}
