//! Export: `lifeboat project export` of a project of 5,000 objects against `kubectl get` of
//! the same kinds with `-o yaml`, on the sandbox's emulated API server. lifeboat also cleans
//! every object, splits the procedure's files and writes a manifest with SHA-256 sums.

use futures::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, PostParams};

use super::common::{Sandbox, path};
use super::measure::{alternate, measure, report_runs};

const PROJECT: &str = "bench";

fn objects() -> usize {
    if super::quick() { 500 } else { 5000 }
}

pub fn run() {
    let sandbox = Sandbox::up(1);
    sandbox.kubectl_ok(&["create", "namespace", PROJECT]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(seed(&sandbox, objects()));

    let out = sandbox.dir.parent().expect("root").join("exports");
    let lifeboat = |round: usize| {
        let dir = out.join(format!("lifeboat-{round}"));
        measure(sandbox.lifeboat.command().envs(sandbox.env()).args([
            "project",
            "export",
            PROJECT,
            "--yes",
            "--out",
            path(&dir),
        ]))
    };
    // The kinds lifeboat listed, so that kubectl is asked for exactly the same.
    let first = lifeboat(0);
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("lifeboat-0").join(PROJECT).join("manifest.json"))
            .expect("the export's manifest"),
    )
    .expect("json");
    // The export really holds every seeded object, or the figure measures nothing.
    let count = |kind: &str| manifest["project"]["counts"][kind].as_u64().unwrap_or(0);
    let seeded_secrets = objects() as u64 / 5;
    assert!(
        count("ConfigMap") >= objects() as u64 - seeded_secrets
            && count("Secret") >= seeded_secrets,
        "the export misses seeded objects: {}",
        manifest["project"]["counts"]
    );
    let kinds: Vec<String> = manifest["project"]["kinds"]
        .as_array()
        .expect("kinds listed")
        .iter()
        .filter_map(|k| k.as_str().map(String::from))
        .collect();
    let kinds = kinds.join(",");
    let kubectl =
        || measure(&mut sandbox.kubectl_command(&["get", &kinds, "-n", PROJECT, "-o", "yaml"]));
    let first_kubectl = kubectl();
    // Round 0 ran above (lifeboat's gave the kinds); the others alternate.
    let (mut ours, mut theirs) = alternate(
        super::rounds() - 1,
        |round| lifeboat(round + 1),
        |_| kubectl(),
    );
    ours.insert(0, first);
    theirs.insert(0, first_kubectl);
    report_runs(&format!("export {} objects", objects()), &ours, &theirs);
}

/// Four config maps to every secret, each with a kilobyte of data, created 16 at a time.
async fn seed(sandbox: &Sandbox, count: usize) {
    let client = lifeboat_sandbox::kube_api::client(&sandbox.dir)
        .await
        .expect("a client for the sandbox API");
    let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), PROJECT);
    let secrets: Api<Secret> = Api::namespaced(client, PROJECT);
    let filler = "x".repeat(1024);
    futures::stream::iter(0..count)
        .map(|i| {
            let (config_maps, secrets, filler) =
                (config_maps.clone(), secrets.clone(), filler.clone());
            async move {
                let name = format!("object-{i:05}");
                let data = [("payload".to_string(), filler)].into_iter().collect();
                let params = PostParams::default();
                if i % 5 == 4 {
                    let secret = Secret {
                        metadata: kube::api::ObjectMeta {
                            name: Some(name),
                            ..Default::default()
                        },
                        string_data: Some(data),
                        ..Default::default()
                    };
                    secrets.create(&params, &secret).await.map(|_| ())
                } else {
                    let map = ConfigMap {
                        metadata: kube::api::ObjectMeta {
                            name: Some(name),
                            ..Default::default()
                        },
                        data: Some(data),
                        ..Default::default()
                    };
                    config_maps.create(&params, &map).await.map(|_| ())
                }
            }
        })
        .buffer_unordered(16)
        .for_each(|created| async move { created.expect("creates an object") })
        .await;
}
