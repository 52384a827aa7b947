//! The one scanner of the backups directory: cluster backups, project exports and application
//! data bundles all live there, told apart by their manifests.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::bundle::{BundleKind, MANIFEST, Manifest};

/// A manifest is small; anything larger is not one of ours and is not read whole.
const MANIFEST_LIMIT: u64 = 4 << 20;

/// A sealed bundle found on disk, with its manifest.
#[derive(Clone, Debug)]
pub struct FoundBundle {
    pub path: PathBuf,
    pub manifest: Manifest,
}

impl FoundBundle {
    pub fn kind(&self) -> &BundleKind {
        &self.manifest.identity.kind
    }

    /// Bytes of every file the manifest lists.
    pub fn size(&self) -> u64 {
        self.manifest.files.iter().map(|f| f.size).sum()
    }
}

/// Reads `dir/manifest.json`, bounded; `None` when there is none or it is not a manifest.
pub fn read_manifest(dir: &Path) -> Option<Manifest> {
    let file = std::fs::File::open(dir.join(MANIFEST)).ok()?;
    let mut text = String::new();
    file.take(MANIFEST_LIMIT).read_to_string(&mut text).ok()?;
    serde_json::from_str(&text).ok()
}

/// Every sealed bundle directly under `dir` and one level below (project exports are
/// `RUN/PROJECT`), newest first. Unfinished `.partial` directories are not bundles.
pub fn scan(dir: &Path) -> Vec<FoundBundle> {
    let mut found = Vec::new();
    for entry in subdirectories(dir) {
        match read_manifest(&entry) {
            Some(manifest) => found.push(FoundBundle {
                path: entry,
                manifest,
            }),
            None => found.extend(subdirectories(&entry).into_iter().filter_map(|inner| {
                read_manifest(&inner).map(|manifest| FoundBundle {
                    path: inner,
                    manifest,
                })
            })),
        }
    }
    found.sort_by(|a, b| {
        b.manifest
            .created
            .cmp(&a.manifest.created)
            .then_with(|| a.path.cmp(&b.path))
    });
    found
}

fn subdirectories(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .flatten()
        // Links are not followed: a bundle is a directory lifeboat wrote.
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_none_or(|x| x != "partial"))
        .collect()
}

/// Cluster backups made by `lifeboat backup cluster`, newest first.
pub fn cluster_backups(dir: &Path) -> Vec<FoundBundle> {
    scan(dir)
        .into_iter()
        .filter(|b| *b.kind() == BundleKind::ClusterBackup)
        .collect()
}

/// Project exports made by `lifeboat project export` (`RUN/PROJECT`), newest first.
pub fn project_exports(dir: &Path) -> Vec<FoundBundle> {
    scan(dir)
        .into_iter()
        .filter(|b| b.manifest.project.is_some())
        .collect()
}

/// Join bundles (`NAME.tgz`) under `dir` and its subdirectories, newest first.
pub fn join_bundles(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<(std::time::SystemTime, PathBuf)> = std::iter::once(dir.to_path_buf())
        .chain(subdirectories(dir))
        .flat_map(|d| std::fs::read_dir(d).into_iter().flatten().flatten())
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "tgz"))
        .filter_map(|p| Some((p.metadata().ok()?.modified().ok()?, p)))
        .collect();
    found.sort_by_key(|(modified, _)| std::cmp::Reverse(*modified));
    found.into_iter().map(|(_, p)| p).collect()
}
