//! A large cluster on demand, for benchmarks: `--seed-projects N --seed-objects M` gives a new
//! sandbox N projects (`bench-0000` ...) and M objects spread evenly over them, six config
//! maps, two secrets and two headless services in every ten, each with a kilobyte of data.
//!
//! The objects go straight to the store's `create`, already in the shape admission gives them:
//! admission's address allocator lists every service per call, which would make seeding tens
//! of thousands of services quadratic. Namespaces go through admission (there are few).

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use color_eyre::eyre::{Result, eyre};
use serde_json::{Value, json};

use super::discovery::core;
use super::handlers::create_in;
use super::routes::ObjectPath;
use super::store::Store;

/// How much to seed beyond the sample projects; nothing by default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BulkSeed {
    pub projects: usize,
    pub objects: usize,
}

impl BulkSeed {
    pub fn is_empty(&self) -> bool {
        self.projects == 0
    }

    /// The flags that ask `serve-kube` for this seed.
    pub fn args(&self) -> Vec<String> {
        if self.is_empty() {
            return vec![];
        }
        vec![
            "--seed-projects".into(),
            self.projects.to_string(),
            "--seed-objects".into(),
            self.objects.to_string(),
        ]
    }

    /// The name of project `i`, zero-padded so that names sort in creation order.
    pub fn project_name(&self, i: usize) -> String {
        let width = self.projects.saturating_sub(1).to_string().len().max(4);
        format!("bench-{i:0width$}")
    }
}

pub fn seed(store: &mut Store, seed: &BulkSeed) -> Result<()> {
    if seed.is_empty() {
        return Ok(());
    }
    let namespaces = core("namespaces");
    let path = ObjectPath {
        resource: namespaces,
        namespace: None,
        name: None,
        subresource: None,
    };
    for i in 0..seed.projects {
        let name = seed.project_name(i);
        let namespace = json!({
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {
                "name": name,
                "annotations": {"openshift.io/display-name": format!("Bench project {i}")},
            },
        });
        create_in(store, namespaces, &path, namespace)
            .map_err(|e| eyre!("seeding namespace {name}: {e}"))?;
    }
    let filler = "x".repeat(1024);
    let encoded = BASE64.encode(&filler);
    for i in 0..seed.objects {
        // Dealt round-robin; the kind changes once per round, so every project gets the same
        // mix.
        let round = i / seed.projects;
        let namespace = seed.project_name(i % seed.projects);
        let name = format!("object-{round:06}");
        let (resource, object) = object(round, &namespace, &name, &filler, &encoded);
        store
            .create(core(resource), object)
            .map_err(|e| eyre!("seeding {resource} {namespace}/{name}: {e}"))?;
    }
    Ok(())
}

/// The object of round `round`: a config map, secret or headless service, as admission would have left it.
fn object(
    round: usize,
    namespace: &str,
    name: &str,
    filler: &str,
    encoded: &str,
) -> (&'static str, Value) {
    let metadata = json!({"name": name, "namespace": namespace, "labels": {"app": "bench"}});
    match round % 10 {
        0..=5 => (
            "configmaps",
            json!({"metadata": metadata, "data": {"payload": filler}}),
        ),
        6 | 7 => (
            "secrets",
            json!({"metadata": metadata, "type": "Opaque", "data": {"payload": encoded}}),
        ),
        _ => (
            "services",
            json!({
                "metadata": metadata,
                "spec": {
                    "type": "ClusterIP",
                    "clusterIP": "None",
                    "clusterIPs": ["None"],
                    "sessionAffinity": "None",
                    "selector": {"app": "bench"},
                    "ports": [{"name": "http", "port": 8080, "protocol": "TCP", "targetPort": 8080}],
                },
                "status": {"loadBalancer": {}},
            }),
        ),
    }
}
