use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::fsutil::{sync_dir, write_atomically};

pub const MANIFEST: &str = "manifest.json";
pub const FORMAT_VERSION: u32 = 1;

/// Which kind of bundle a manifest describes, compared as a type rather than as text.
/// Serialized as its kebab-case name, as manifests always have; a kind this version does not
/// know (a newer lifeboat's) is kept as it was written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BundleKind {
    ClusterBackup,
    ProjectExport,
    AppData,
    #[serde(untagged)]
    Other(String),
}

impl Default for BundleKind {
    /// An identity not filled in yet has no kind, as the empty string it used to be.
    fn default() -> Self {
        BundleKind::Other(String::new())
    }
}

impl BundleKind {
    pub fn name(&self) -> &str {
        match self {
            BundleKind::ClusterBackup => "cluster-backup",
            BundleKind::ProjectExport => "project-export",
            BundleKind::AppData => "app-data",
            BundleKind::Other(name) => name,
        }
    }
}

impl From<&str> for BundleKind {
    /// A kind by its manifest name; names this version does not know are kept as written.
    fn from(name: &str) -> Self {
        match name {
            "cluster-backup" => BundleKind::ClusterBackup,
            "project-export" => BundleKind::ProjectExport,
            "app-data" => BundleKind::AppData,
            other => BundleKind::Other(other.to_string()),
        }
    }
}

impl std::fmt::Display for BundleKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// What the cluster looked like when the backup was planned.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleIdentity {
    pub kind: BundleKind,
    pub method: String,
    pub host: String,
    pub cluster_id: String,
    pub etcd_version: String,
    /// `name=peer-url` of every member.
    pub members: Vec<String>,
    pub source_endpoint: String,
    /// Steps that were skipped and why, so a restore knows what the bundle lacks.
    pub notes: Vec<String>,
}

/// What `etcdctl snapshot status` read back from the snapshot file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotStats {
    pub revision: i64,
    pub total_keys: u64,
    pub total_size: u64,
    /// Keys a client sees at `revision`, counted by the cluster when the backup was sealed
    /// (`total_keys` counts every bolt entry, membership included): what a restore compares.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    /// Relative to the bundle, of plain names only: a manifest from shared storage must not
    /// make `verify` or a restore read `/etc/shadow` or `../x` (refused when it is read).
    #[serde(deserialize_with = "bundle_path")]
    pub path: PathBuf,
    pub size: u64,
    pub sha256: String,
    pub mode: u32,
    /// A symbolic link kept as a link (application data has them): its target as written,
    /// never followed. Size, hash and mode are then those of the target text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format_version: u32,
    pub created: String,
    pub tool_version: String,
    #[serde(flatten)]
    pub identity: BundleIdentity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<SnapshotStats>,
    /// What a project export holds: counts, kinds, what cleaning removed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<super::ProjectContents>,
    pub files: Vec<FileEntry>,
}

/// Reads a manifest's file path, refusing anything but a relative path of plain names.
fn bundle_path<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<PathBuf, D::Error> {
    let path = PathBuf::deserialize(deserializer)?;
    let plain = !path.as_os_str().is_empty()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    if !plain {
        return Err(serde::de::Error::custom(format!(
            "the file path {path:?} is not a plain relative path inside the bundle (absolute, \
             `..` and `.` are refused)"
        )));
    }
    Ok(path)
}

/// Where a bundle is assembled before it is sealed.
pub fn staging_dir(out: &Path) -> PathBuf {
    crate::fsutil::sibling(out, ".partial")
}

pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = File::open(path).wrap_err_with(|| format!("opening {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file
            .read(&mut buffer)
            .wrap_err_with(|| format!("reading {}", path.display()))?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

/// The SHA-256 of a symbolic link's target text: what the manifest records for a link.
pub fn sha256_link(target: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    format!("{:x}", Sha256::digest(target.as_os_str().as_bytes()))
}

/// Every regular file and symbolic link under `dir` (links are listed, never followed),
/// relative to it, in a stable order.
pub fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current)
            .wrap_err_with(|| format!("listing {}", current.display()))?
        {
            let entry = entry.wrap_err("reading a directory entry")?;
            let kind = entry.file_type().wrap_err("reading a file type")?;
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() || kind.is_symlink() {
                files.push(
                    entry
                        .path()
                        .strip_prefix(dir)
                        .unwrap_or(&entry.path())
                        .to_path_buf(),
                );
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Hashes every file in `staging`, writes the manifest, syncs everything and renames the
/// directory to `out`. Refuses to replace an existing `out`.
pub fn seal(
    staging: &Path,
    out: &Path,
    identity: BundleIdentity,
    snapshot: Option<SnapshotStats>,
) -> Result<Manifest> {
    seal_with(
        staging,
        out,
        identity,
        SealExtras {
            snapshot,
            ..SealExtras::default()
        },
    )
}

/// What a manifest may hold besides the files, and what is already known about them.
#[derive(Clone, Debug, Default)]
pub struct SealExtras {
    pub snapshot: Option<SnapshotStats>,
    pub project: Option<super::ProjectContents>,
    /// SHA-256 of files hashed as they were written (by absolute path in the staging
    /// directory), so that a multi-gigabyte snapshot is not read a second time.
    pub known_sha256: std::collections::BTreeMap<PathBuf, String>,
}

/// [`seal`], with everything [`SealExtras`] can add.
pub fn seal_with(
    staging: &Path,
    out: &Path,
    identity: BundleIdentity,
    extras: SealExtras,
) -> Result<Manifest> {
    let SealExtras {
        snapshot,
        project,
        known_sha256,
    } = extras;
    use std::os::unix::fs::PermissionsExt;
    if out.exists() {
        bail!(
            "{} already exists; choose another --out or move it away first",
            out.display()
        );
    }
    let mut files = Vec::new();
    for relative in list_files(staging)? {
        if relative == Path::new(MANIFEST) {
            continue;
        }
        let path = staging.join(&relative);
        let metadata = std::fs::symlink_metadata(&path)
            .wrap_err_with(|| format!("reading {}", path.display()))?;
        if metadata.file_type().is_symlink() {
            let target = std::fs::read_link(&path)
                .wrap_err_with(|| format!("reading the link {}", path.display()))?;
            files.push(FileEntry {
                size: target.as_os_str().len() as u64,
                sha256: sha256_link(&target),
                mode: 0o777,
                link: Some(target),
                path: relative,
            });
            continue;
        }
        // Data written by other tools (etcdctl backup, docker cp) is synced here too.
        File::open(&path)
            .and_then(|f| f.sync_all())
            .wrap_err_with(|| format!("syncing {}", path.display()))?;
        let sha256 = match known_sha256.get(&path) {
            Some(known) => known.clone(),
            None => sha256_file(&path)?,
        };
        files.push(FileEntry {
            sha256,
            size: metadata.len(),
            mode: metadata.permissions().mode() & 0o7777,
            link: None,
            path: relative,
        });
    }
    let manifest = Manifest {
        format_version: FORMAT_VERSION,
        created: jiff::Timestamp::now().to_string(),
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        identity,
        snapshot,
        project,
        files,
    };
    let json = serde_json::to_vec_pretty(&manifest).wrap_err("serializing the manifest")?;
    write_atomically(&staging.join(MANIFEST), &json, 0o644)?;
    sync_dir(staging)?;
    std::fs::rename(staging, out)
        .wrap_err_with(|| format!("renaming {} to {}", staging.display(), out.display()))?;
    if let Some(parent) = out.parent() {
        sync_dir(parent)?;
    }
    Ok(manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_kind_is_written_by_name_and_an_unknown_one_is_kept() {
        assert_eq!(
            serde_json::to_string(&BundleKind::ClusterBackup).expect("serializes"),
            "\"cluster-backup\""
        );
        let read: BundleKind = serde_json::from_str("\"app-data\"").expect("parses");
        assert_eq!(read, BundleKind::AppData);
        let newer: BundleKind = serde_json::from_str("\"vm-image\"").expect("parses");
        assert_eq!(newer, BundleKind::Other("vm-image".into()));
        assert_eq!(
            serde_json::to_string(&newer).expect("serializes"),
            "\"vm-image\""
        );
    }
}
