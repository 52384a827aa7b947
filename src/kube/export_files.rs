//! A project export written from objects already in hand (read out of an etcd snapshot):
//! the same cleaning, files and manifest as `export::export_project`, so that `lifeboat
//! project restore` takes it as is, sealed with where the objects came from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use super::clean::{Removed, clean, token_secret_names};
use super::files::{file_for, mode_for, render_list};
use crate::bundle::{BundleIdentity, ExportFile, Manifest, PROJECT_FILES, ProjectContents};

/// Where the objects came from, for the manifest.
#[derive(Clone, Debug)]
pub struct ExportSource {
    pub namespace: String,
    /// `snapshot /backups/b1 at revision 1234`, recorded as the source server.
    pub source: String,
    /// How the objects were read: `snapshot`.
    pub method: String,
    pub revision: i64,
    pub openshift: bool,
    /// Storage resources left out, with the reason.
    pub excluded: BTreeMap<String, String>,
    /// What the reader could not bring over, one line each.
    pub notes: Vec<String>,
}

/// Cleans `objects` (the namespace among them) and writes them as an export bundle at `out`
/// (assembled as `OUT.partial`, removed on failure).
pub fn write_export(
    objects: Vec<Value>,
    source: &ExportSource,
    out: &Path,
) -> Result<Manifest, String> {
    let staging = crate::bundle::staging_dir(out);
    let claim = crate::bundle::staging::claim(&staging, out)?;
    let result = write_into(objects, source, &staging, out);
    if result.is_err() {
        let _ = claim.discard();
    }
    result
}

fn write_into(
    objects: Vec<Value>,
    source: &ExportSource,
    staging: &Path,
    out: &Path,
) -> Result<Manifest, String> {
    let tokens = token_secret_names(&objects);
    let mut removed = Removed::default();
    let mut by_file: BTreeMap<&'static str, Vec<Value>> = BTreeMap::new();
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    let mut kinds = BTreeSet::new();
    for mut object in objects {
        let kind = object["kind"].as_str().unwrap_or("").to_string();
        kinds.insert(kind.clone());
        if !clean(&mut object, &tokens, &mut removed) {
            continue;
        }
        *counts.entry(kind.clone()).or_default() += 1;
        by_file.entry(file_for(&kind)).or_default().push(object);
    }
    let mut files = Vec::new();
    for (file, _) in PROJECT_FILES {
        let objects = by_file.remove(file).unwrap_or_default();
        files.push(ExportFile {
            name: file.to_string(),
            objects: objects.len() as u64,
        });
        let text = render_list(objects)?;
        crate::fsutil::write_atomically(&staging.join(file), text.as_bytes(), mode_for(file))
            .map_err(|e| format!("{e:#}"))?;
    }
    let contents = ProjectContents {
        namespace: source.namespace.clone(),
        source_server: source.source.clone(),
        openshift: source.openshift,
        kinds: kinds.into_iter().collect(),
        excluded_kinds: source.excluded.clone(),
        counts,
        files,
        removed: removed.0,
        secrets_included: true,
    };
    let mut notes = vec![format!(
        "read from {} at revision {}, not from a live API server",
        source.source, source.revision
    )];
    notes.extend(source.notes.iter().cloned());
    let identity = BundleIdentity {
        kind: crate::bundle::BundleKind::ProjectExport,
        method: source.method.clone(),
        host: nix::unistd::gethostname()
            .ok()
            .and_then(|name| name.into_string().ok())
            .unwrap_or_default(),
        source_endpoint: source.source.clone(),
        notes,
        ..BundleIdentity::default()
    };
    crate::bundle::seal_with(
        staging,
        out,
        identity,
        crate::bundle::SealExtras {
            project: Some(contents),
            snapshot: Some(crate::bundle::SnapshotStats {
                revision: source.revision,
                ..Default::default()
            }),
            ..Default::default()
        },
    )
    .map_err(|e| format!("{e:#}"))
}
