//! Backup bundles: a directory with `manifest.json` naming every file with its size and
//! SHA-256. A bundle is assembled under `<name>.partial`, synced, then renamed: it exists
//! whole or not at all. `verify` re-checks all of it.

mod archive;
mod entry_check;
pub mod extract;
mod manifest;
mod project;
pub mod staging;
mod verify;

pub use archive::{check_entries, extract_safely, read_member, write_archive, write_tgz};
pub use manifest::{
    BundleIdentity, BundleKind, FileEntry, MANIFEST, Manifest, SealExtras, SnapshotStats, seal,
    seal_with, sha256_file, staging_dir,
};
pub use project::{ExportFile, PROJECT_FILES, ProjectContents};
pub use verify::{VerifyError, verify};
