//! Exporting one project: list every chosen kind, clean each object, write the procedure's
//! files into a staging directory and seal it with a manifest.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use kube::api::{Api, DynamicObject};
use serde_json::Value;

use super::clean::{Removed, clean, token_secret_names};
use super::files::{file_for, mode_for};
use super::kinds::KindRef;
use super::list_writer::ListWriter;
use super::order::restore_rank;
use super::pages::for_each_page;
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
    let mut kinds: Vec<&KindRef> = request
        .kinds
        .iter()
        .filter(|k| request.secrets || k.kind != "Secret")
        .collect();
    // Each file's objects go in restore order, then by kind and name: kinds are listed in
    // that order and the server lists each kind by name. Secrets (rank 2) are thereby read
    // before the service accounts (rank 3) whose token references they decide.
    kinds.sort_by_key(|k| (restore_rank(&k.kind), k.kind.clone()));
    let mut writers = FileWriters::create(staging, request.secrets)?;
    let mut tokens = BTreeSet::new();
    let mut removed = Removed::default();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut take = |object: Value, tokens: &BTreeSet<String>| -> Result<(), String> {
        let mut object = object;
        if !clean(&mut object, tokens, &mut removed) {
            return Ok(());
        }
        let kind = object["kind"].as_str().unwrap_or("").to_string();
        writers.push(file_for(&kind), &object)?;
        *counts.entry(kind).or_default() += 1;
        Ok(())
    };
    take(namespace_object(client, request.namespace).await?, &tokens)?;
    for (done, kind) in kinds.iter().enumerate() {
        let mut listed = 0;
        for_each_page(client, Some(request.namespace), kind, |page| {
            listed += page.len();
            tokens.extend(token_secret_names(&page));
            page.into_iter()
                .try_for_each(|object| take(object, &tokens))
        })
        .await?;
        progress(KindListed {
            kind: kind.key(),
            objects: listed,
            done: done + 1,
            total: kinds.len(),
        });
    }
    let (files, known_sha256) = writers.finish()?;
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
            known_sha256,
            ..Default::default()
        },
    )
    .map_err(|e| format!("{e:#}"))
}

/// The procedure's files of one export, each written as its objects arrive.
struct FileWriters {
    open: Vec<(&'static str, ListWriter)>,
}

impl FileWriters {
    fn create(staging: &Path, secrets: bool) -> Result<Self, String> {
        let mut open = Vec::new();
        for (file, _) in PROJECT_FILES {
            if file == "secret.yaml" && !secrets {
                continue;
            }
            open.push((
                file,
                ListWriter::create(&staging.join(file), mode_for(file))?,
            ));
        }
        Ok(FileWriters { open })
    }

    fn push(&mut self, file: &str, object: &Value) -> Result<(), String> {
        match self.open.iter_mut().find(|(name, _)| *name == file) {
            Some((_, writer)) => writer.push(object),
            // Only a secret of an export without secrets has no file; none is listed then.
            None => Ok(()),
        }
    }

    /// Finishes every file: what the manifest lists, and the digests taken while writing.
    fn finish(self) -> Result<(Vec<ExportFile>, BTreeMap<PathBuf, String>), String> {
        let mut files = Vec::new();
        let mut digests = BTreeMap::new();
        for (name, writer) in self.open {
            let written = writer.finish()?;
            files.push(ExportFile {
                name: name.to_string(),
                objects: written.items,
            });
            digests.insert(written.path, written.sha256);
        }
        Ok((files, digests))
    }
}
