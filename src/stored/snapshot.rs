//! The Kubernetes objects of an etcd snapshot: a cluster backup bundle, a `.db` snapshot file
//! or a stopped member's data directory, read without etcd and without loading the file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use super::envelope::{Decoded, decode_stored};
use super::keys::{PREFIXES, StorageKey};
use crate::etcd::{LiveKey, SnapshotKeys};

/// Where a snapshot's bbolt file is, for each kind of source. Inside a directory only regular
/// files count: a bundle's `etcd-snapshot.db` that is a link could point anywhere.
pub fn database_of(source: &Path) -> Result<PathBuf, String> {
    if source.is_file() {
        return Ok(source.to_path_buf());
    }
    if !source.is_dir() {
        return Err(format!("{} does not exist", source.display()));
    }
    let candidates = [
        // A cluster backup bundle: its snapshot, or the data directory it copied.
        "etcd-snapshot.db",
        "etcd-datadir/member/snap/db",
        // A member's data directory, or its `member` directory.
        "member/snap/db",
        "snap/db",
    ];
    candidates
        .iter()
        .map(|c| source.join(c))
        .find(|p| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_file()))
        .ok_or_else(|| {
            format!(
                "{} is neither a cluster backup (etcd-snapshot.db, etcd-datadir), a snapshot \
                 file nor an etcd data directory (member/snap/db); a stopped member's data \
                 directory is usually /var/lib/etcd",
                source.display()
            )
        })
}

/// One object's key in a snapshot.
#[derive(Clone, Debug)]
pub struct StoredEntry {
    pub key: String,
    pub storage: StorageKey,
    pub mod_revision: i64,
    live: LiveKey,
}

impl StoredEntry {
    #[cfg(test)]
    pub(crate) fn for_test(storage: StorageKey) -> StoredEntry {
        StoredEntry {
            key: String::new(),
            storage,
            mod_revision: 0,
            live: LiveKey::default(),
        }
    }
}

/// The objects of one snapshot, keys read, values read on demand.
pub struct SnapshotObjects {
    pub database: PathBuf,
    keys: SnapshotKeys,
    /// The storage prefixes found (`/registry`, or `/kubernetes.io` and `/openshift.io`).
    pub prefixes: Vec<String>,
    pub entries: Vec<StoredEntry>,
}

impl SnapshotObjects {
    /// Opens a snapshot; a cluster backup bundle is verified against its manifest first, as
    /// every bundle is before lifeboat relies on it.
    pub fn open(source: &Path) -> Result<SnapshotObjects, String> {
        if source.join(crate::bundle::MANIFEST).is_file() {
            crate::bundle::verify(source).map_err(|e| {
                format!("{e}; the bundle is not read (`lifeboat verify` says which file)")
            })?;
        }
        let database = database_of(source)?;
        let keep = |key: &[u8]| PREFIXES.iter().any(|p| key.starts_with(p.as_bytes()));
        let keys = SnapshotKeys::read(&database, &keep).map_err(|e| e.to_string())?;
        let mut prefixes = Vec::new();
        let mut entries = Vec::new();
        for (key, live) in &keys.keys {
            let Some(storage) = StorageKey::parse(key) else {
                continue;
            };
            if !prefixes.contains(&storage.prefix) {
                prefixes.push(storage.prefix.clone());
            }
            entries.push(StoredEntry {
                key: String::from_utf8_lossy(key).into_owned(),
                storage,
                mod_revision: live.mod_revision,
                live: live.clone(),
            });
        }
        prefixes.sort();
        Ok(SnapshotObjects {
            database,
            keys,
            prefixes,
            entries,
        })
    }

    /// The snapshot's revision.
    pub fn revision(&self) -> i64 {
        self.keys.revision
    }

    /// One object as the API would return it: `resourceVersion` is its mod revision, as the
    /// API fills it in.
    pub fn decode(&self, entry: &StoredEntry) -> Result<Decoded, String> {
        let value = self.keys.value(&entry.live).map_err(|e| e.to_string())?;
        let mut decoded = decode_stored(&value);
        if let Some(Value::Object(object)) = &mut decoded.object
            && let Some(Value::Object(metadata)) = object.get_mut("metadata")
        {
            metadata.insert(
                "resourceVersion".into(),
                Value::String(entry.mod_revision.to_string()),
            );
        }
        if decoded.kind.is_empty() {
            decoded.kind = entry.storage.guessed_kind();
        }
        Ok(decoded)
    }

    /// The entries of one namespace.
    pub fn in_namespace<'a>(&'a self, namespace: &'a str) -> impl Iterator<Item = &'a StoredEntry> {
        self.entries
            .iter()
            .filter(move |e| e.storage.namespace.as_deref() == Some(namespace))
    }

    /// Namespaces (projects) that exist in the snapshot, from their own keys.
    pub fn namespaces(&self) -> Vec<String> {
        self.entries
            .iter()
            .filter(|e| e.storage.namespace.is_none() && e.storage.resource == "namespaces")
            .map(|e| e.storage.name.clone())
            .collect()
    }

    /// Objects per kind in each namespace, decoding each one (one at a time).
    pub fn counts(&self) -> Result<BTreeMap<String, BTreeMap<String, u64>>, String> {
        let mut counts: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
        for namespace in self.namespaces() {
            counts.entry(namespace).or_default();
        }
        for entry in &self.entries {
            let Some(namespace) = &entry.storage.namespace else {
                continue;
            };
            let kind = self.decode(entry)?.kind;
            *counts
                .entry(namespace.clone())
                .or_default()
                .entry(kind)
                .or_default() += 1;
        }
        Ok(counts)
    }
}
