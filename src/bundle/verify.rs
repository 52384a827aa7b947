use std::path::{Path, PathBuf};

use thiserror::Error;

use super::manifest::{MANIFEST, Manifest, list_files, sha256_file, sha256_link};
use crate::etcd::digest_file;

#[derive(Debug, Error)]
pub enum VerifyError {
    #[error("{0} is not a bundle: it has no readable manifest.json ({1})")]
    NoManifest(PathBuf, String),
    /// The manifest is there but wrong: a field of the wrong type, a path outside the bundle.
    #[error("{0}/manifest.json is not a valid manifest: {1}")]
    InvalidManifest(PathBuf, String),
    #[error("{path} is listed in the manifest but missing")]
    Missing { path: PathBuf },
    #[error("{path} is {actual} bytes, the manifest says {expected}")]
    Size {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    #[error("{path} does not match its SHA-256 in the manifest: it changed after the backup")]
    Checksum { path: PathBuf },
    #[error("{path} is in the bundle but not in the manifest")]
    Unlisted { path: PathBuf },
    #[error("{0}")]
    Snapshot(String),
    #[error("cannot read {path}: {detail}")]
    Read { path: PathBuf, detail: String },
}

/// Re-checks a bundle: every listed file present with its size and SHA-256, nothing unlisted,
/// and every snapshot's own trailing hash.
pub fn verify(bundle: &Path) -> Result<Manifest, VerifyError> {
    let manifest_path = bundle.join(MANIFEST);
    let text = std::fs::read_to_string(&manifest_path)
        .map_err(|e| VerifyError::NoManifest(bundle.to_path_buf(), e.to_string()))?;
    let manifest: Manifest = serde_json::from_str(&text)
        .map_err(|e| VerifyError::InvalidManifest(bundle.to_path_buf(), e.to_string()))?;
    for entry in &manifest.files {
        let path = bundle.join(&entry.path);
        if let Some(target) = &entry.link {
            verify_link(&path, &entry.path, target, &entry.sha256)?;
            continue;
        }
        let metadata = std::fs::symlink_metadata(&path).map_err(|_| VerifyError::Missing {
            path: entry.path.clone(),
        })?;
        if !metadata.is_file() {
            return Err(VerifyError::Checksum {
                path: entry.path.clone(),
            });
        }
        if metadata.len() != entry.size {
            return Err(VerifyError::Size {
                path: entry.path.clone(),
                expected: entry.size,
                actual: metadata.len(),
            });
        }
        // Only the bundle's own top-level snapshot is one; application data may hold any `.db`.
        let snapshot = entry.path.components().count() == 1
            && entry.path.extension().is_some_and(|ext| ext == "db");
        // A snapshot's two hashes come from one read of what can be gigabytes.
        let (digest, trailing_hash) = if snapshot {
            let digests = digest_file(&path).map_err(|e| VerifyError::Read {
                path: entry.path.clone(),
                detail: e.to_string(),
            })?;
            (digests.sha256.clone(), Some(digests.trailing_hash()))
        } else {
            let digest = sha256_file(&path).map_err(|e| VerifyError::Read {
                path: entry.path.clone(),
                detail: format!("{e:#}"),
            })?;
            (digest, None)
        };
        if digest != entry.sha256 {
            return Err(VerifyError::Checksum {
                path: entry.path.clone(),
            });
        }
        if let Some(Err(detail)) = trailing_hash {
            return Err(VerifyError::Snapshot(format!(
                "{}: {detail}",
                path.display()
            )));
        }
    }
    let listed: std::collections::BTreeSet<_> =
        manifest.files.iter().map(|f| f.path.clone()).collect();
    let present = list_files(bundle).map_err(|e| VerifyError::Read {
        path: bundle.to_path_buf(),
        detail: format!("{e:#}"),
    })?;
    if let Some(extra) = present
        .into_iter()
        .find(|p| p != Path::new(MANIFEST) && !listed.contains(p))
    {
        return Err(VerifyError::Unlisted { path: extra });
    }
    Ok(manifest)
}

/// A link listed in the manifest must still be a link with the same target.
fn verify_link(path: &Path, listed: &Path, target: &Path, sha256: &str) -> Result<(), VerifyError> {
    let actual = std::fs::read_link(path).map_err(|_| VerifyError::Missing {
        path: listed.to_path_buf(),
    })?;
    if actual != target || sha256_link(&actual) != sha256 {
        return Err(VerifyError::Checksum {
            path: listed.to_path_buf(),
        });
    }
    Ok(())
}

#[cfg(test)]
#[path = "verify_tests.rs"]
mod tests;
