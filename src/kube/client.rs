//! The connection to the Kubernetes or OpenShift API: the kubeconfig of `KUBECONFIG` or
//! `~/.kube/config`, as kubectl finds it.

/// A client for the cluster the kubeconfig names, and that cluster's URL.
pub async fn connect() -> Result<(kube::Client, String), String> {
    let config = kube::Config::infer().await.map_err(|e| {
        format!(
            "no usable kubeconfig ({e}); set KUBECONFIG (`eval \"$(lifeboat-sandbox env)\"` for the sandbox) \
             or log in with `oc login`"
        )
    })?;
    let server = config.cluster_url.to_string();
    let client = kube::Client::try_from(config)
        .map_err(|e| format!("cannot build a client for {server}: {e}"))?;
    Ok((client, server))
}

/// `true` when the server has OpenShift's project API (projects are then created with a
/// `ProjectRequest`, which also sets up the project's service accounts and policy).
pub async fn serves_projects(client: &kube::Client) -> bool {
    kube::discovery::oneshot::group(client, "project.openshift.io")
        .await
        .is_ok()
}

/// The API's reason for a failed call: its `Status` message when it sent one.
pub fn describe_error(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            if status.message.is_empty() {
                format!("{} {}", status.code, status.reason)
            } else {
                status.message.clone()
            }
        }
        other => other.to_string(),
    }
}
