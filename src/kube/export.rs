//! Exporting one project: list every chosen kind, clean each object, write the procedure's
//! files into a staging directory and seal it with a manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use kube::api::{Api, DynamicObject};
use serde_json::Value;

use super::clean::{Removed, clean, token_secret_names};
use super::files::{file_for, mode_for, render_list};
use super::kinds::KindRef;
use super::pages::list_objects;
use crate::bundle::{BundleIdentity, ExportFile, Manifest, PROJECT_FILES, ProjectContents};

/// One kind listed, for progress.
#[derive(Clone, Debug)]
pub struct KindListed {
    pub kind: String,
    pub objects: usize,
    pub done: usize,
    pub total: usize,
}

/// What to export and where.
#[derive(Clone, Debug)]
pub struct ExportRequest<'a> {
    pub namespace: &'a str,
    pub kinds: &'a [KindRef],
    pub secrets: bool,
    pub out: &'a Path,
    pub server: &'a str,
    pub openshift: bool,
    /// Kinds left out, with the reason, recorded in the manifest.
    pub excluded: &'a BTreeMap<String, String>,
}

async fn namespace_object(client: &kube::Client, namespace: &str) -> Result<Value, String> {
    let ns = KindRef::new("", "v1", "Namespace", "namespaces");
    let api: Api<DynamicObject> = Api::all_with(client.clone(), &ns.api_resource());
    let object = api.get(namespace).await.map_err(|e| {
        format!(
            "reading namespace {namespace}: {}; `kubectl get namespaces` lists the ones there are",
            super::describe_error(&e)
        )
    })?;
    let mut value =
        serde_json::to_value(object).map_err(|e| format!("reading {namespace}: {e}"))?;
    value["apiVersion"] = Value::String("v1".into());
    value["kind"] = Value::String("Namespace".into());
    Ok(value)
}

/// Exports one project into the bundle `request.out` (assembled as `OUT.partial`, removed on
/// failure). `progress` hears of every kind listed.
pub async fn export_project(
    client: &kube::Client,
    request: &ExportRequest<'_>,
    progress: &mut (dyn FnMut(KindListed) + Send),
) -> Result<Manifest, String> {
    let staging = crate::bundle::staging_dir(request.out);
    let claim = crate::bundle::staging::claim(&staging, request.out)?;
    let result = export_into(client, request, &staging, progress).await;
    if result.is_err() {
        // Nothing half-written may look like an export; only what this export created goes.
        let _ = claim.discard();
    }
    result
}

async fn export_into(
    client: &kube::Client,
    request: &ExportRequest<'_>,
    staging: &Path,
    progress: &mut (dyn FnMut(KindListed) + Send),
) -> Result<Manifest, String> {
    let mut objects = vec![namespace_object(client, request.namespace).await?];
    let kinds: Vec<&KindRef> = request
        .kinds
        .iter()
        .filter(|k| request.secrets || k.kind != "Secret")
        .collect();
    for (done, kind) in kinds.iter().enumerate() {
        let listed = list_objects(client, Some(request.namespace), kind).await?;
        progress(KindListed {
            kind: kind.key(),
            objects: listed.len(),
            done: done + 1,
            total: kinds.len(),
        });
        objects.extend(listed);
    }
    let tokens = token_secret_names(&objects);
    let mut removed = Removed::default();
    let mut by_file: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for mut object in objects {
        if !clean(&mut object, &tokens, &mut removed) {
            continue;
        }
        let kind = object["kind"].as_str().unwrap_or("").to_string();
        *counts.entry(kind.clone()).or_default() += 1;
        by_file.entry(file_for(&kind)).or_default().push(object);
    }
    let mut files = Vec::new();
    for (file, _) in PROJECT_FILES {
        if file == "secret.yaml" && !request.secrets {
            continue;
        }
        let objects = by_file.remove(file).unwrap_or_default();
        files.push(ExportFile {
            name: file.to_string(),
            objects: objects.len() as u64,
        });
        let text = render_list(objects)?;
        crate::fsutil::write_atomically(&staging.join(file), text.as_bytes(), mode_for(file))
            .map_err(|e| format!("{e:#}"))?;
    }
    let listed: BTreeSet<String> = kinds.iter().map(|k| k.key()).collect();
    let contents = ProjectContents {
        namespace: request.namespace.to_string(),
        source_server: request.server.to_string(),
        openshift: request.openshift,
        kinds: listed.into_iter().collect(),
        excluded_kinds: request.excluded.clone(),
        counts,
        files,
        removed: removed.0,
        secrets_included: request.secrets,
    };
    let identity = BundleIdentity {
        kind: crate::bundle::BundleKind::ProjectExport,
        method: "api".into(),
        host: nix::unistd::gethostname()
            .ok()
            .and_then(|name| name.into_string().ok())
            .unwrap_or_default(),
        source_endpoint: request.server.to_string(),
        notes: if request.secrets {
            vec![]
        } else {
            vec!["--no-secrets: secrets were not exported and secret.yaml is left out".into()]
        },
        ..BundleIdentity::default()
    };
    crate::bundle::seal_with(
        staging,
        request.out,
        identity,
        crate::bundle::SealExtras {
            project: Some(contents),
            ..Default::default()
        },
    )
    .map_err(|e| format!("{e:#}"))
}
