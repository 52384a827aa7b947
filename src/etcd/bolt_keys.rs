//! The keys of an etcd snapshot as a client would see them at its revision, read straight
//! from the bbolt file (`bolt.rs`) without etcd.
//!
//! etcd's `key` bucket holds every revision of every key: bucket keys are the 8-byte
//! big-endian main revision, `_`, the 8-byte sub revision and, for a deletion, a `t`; values
//! are `mvccpb.KeyValue`. Walking the bucket in order and keeping the newest revision of each
//! key (dropping deleted ones) gives the live keyspace. Only each key's name, revisions and
//! where its value lies are kept; values are read again one at a time when asked for, so
//! memory grows with the number of live keys, not with the file.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use super::bolt::{BUCKET_LEAF, BoltError, Element, Page, Reader, open, u64_at};

/// A value longer than this is refused as damage: etcd's own limit on a request is 1.5 MiB
/// by default, and an attacker's length must not decide an allocation.
const MAX_VALUE: usize = 64 << 20;

/// One live key: its revisions and where its `mvccpb.KeyValue` lies.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveKey {
    pub key: Vec<u8>,
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
    /// The KeyValue's bytes when the bucket was inline (tiny databases), else empty.
    inline: Vec<u8>,
    at: u64,
    len: usize,
    page: u64,
}

/// The live keyspace of a snapshot file, keys in order.
pub struct SnapshotKeys {
    path: PathBuf,
    file: File,
    /// The newest main revision in the file.
    pub revision: i64,
    pub keys: BTreeMap<Vec<u8>, LiveKey>,
}

impl SnapshotKeys {
    /// Reads the `key` bucket of `path`, keeping the keys `keep` accepts.
    pub fn read(path: &Path, keep: &dyn Fn(&[u8]) -> bool) -> Result<SnapshotKeys, BoltError> {
        let (reader, meta) = open(path)?;
        let mut header = None;
        reader.walk(meta.root, 0, &mut |element| {
            if element.flags & BUCKET_LEAF != 0 && element.key == b"key" {
                header = Some(element.value.clone());
            }
            Ok(())
        })?;
        let header = header.ok_or_else(|| reader.corrupt("there is no `key` bucket".into()))?;
        if header.len() < 16 {
            return Err(reader.corrupt("the `key` bucket's header is cut short".into()));
        }
        let mut keys = BTreeMap::new();
        let mut revision = 0;
        let mut visit = |element: &Element| {
            let (main, tombstone) = revision_of(&reader, element)?;
            revision = revision.max(main);
            let value = value_bytes(&reader, element)?;
            let kv = parse_key_value(&value)
                .map_err(|e| reader.corrupt(format!("page {}: {e}", element.page)))?;
            if !keep(&kv.key) {
                return Ok(());
            }
            if tombstone {
                keys.remove(&kv.key);
                return Ok(());
            }
            let live = LiveKey {
                key: kv.key.clone(),
                create_revision: kv.create_revision,
                mod_revision: kv.mod_revision,
                version: kv.version,
                inline: if element.page == 0 { value } else { Vec::new() },
                at: element.value_at,
                len: element.value_len,
                page: element.page,
            };
            keys.insert(kv.key, live);
            Ok(())
        };
        let root = u64_at(&header, 0);
        if root == 0 {
            let page = Page {
                id: 0,
                bytes: header[16..].to_vec(),
            };
            reader.leaf_elements(&page, &mut visit)?;
        } else {
            reader.walk(root, 0, &mut visit)?;
        }
        Ok(SnapshotKeys {
            path: path.to_path_buf(),
            file: File::open(path).map_err(|source| BoltError::Io {
                path: path.display().to_string(),
                source,
            })?,
            revision,
            keys,
        })
    }

    /// The value of a live key, read from the file now.
    pub fn value(&self, key: &LiveKey) -> Result<Vec<u8>, BoltError> {
        let bytes = if key.page == 0 {
            key.inline.clone()
        } else {
            let mut bytes = vec![0u8; key.len];
            self.file
                .read_exact_at(&mut bytes, key.at)
                .map_err(|_| self.damaged(key.page, "its value runs past the end of the file"))?;
            bytes
        };
        parse_key_value(&bytes)
            .map(|kv| kv.value)
            .map_err(|e| self.damaged(key.page, &e))
    }

    fn damaged(&self, page: u64, detail: &str) -> BoltError {
        BoltError::Corrupt {
            path: self.path.display().to_string(),
            detail: format!("page {page}: {detail}"),
        }
    }
}

/// The main revision of a `key` bucket entry, and whether it records a deletion.
fn revision_of(reader: &Reader<'_>, element: &Element) -> Result<(i64, bool), BoltError> {
    let key = &element.key;
    let tombstone = match key.len() {
        17 => false,
        18 if key[17] == b't' => true,
        _ => {
            return Err(reader.corrupt(format!(
                "page {}: a revision key of {} bytes",
                element.page,
                key.len()
            )));
        }
    };
    if key[8] != b'_' {
        return Err(reader.corrupt(format!("page {}: a malformed revision key", element.page)));
    }
    let main = i64::from_be_bytes(key[..8].try_into().unwrap_or_default());
    Ok((main, tombstone))
}

fn value_bytes(reader: &Reader<'_>, element: &Element) -> Result<Vec<u8>, BoltError> {
    if element.page == 0 {
        return Ok(element.value.clone());
    }
    if element.value_len > MAX_VALUE {
        return Err(reader.corrupt(format!(
            "page {} holds a value of {} bytes",
            element.page, element.value_len
        )));
    }
    reader.read_at(element.value_at, element.value_len, element.page)
}

/// The fields of `mvccpb.KeyValue` (key = 1, create_revision = 2, mod_revision = 3,
/// version = 4, value = 5, lease = 6).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct KeyValue {
    pub key: Vec<u8>,
    pub create_revision: i64,
    pub mod_revision: i64,
    pub version: i64,
    pub value: Vec<u8>,
}

pub fn parse_key_value(bytes: &[u8]) -> Result<KeyValue, String> {
    let mut kv = KeyValue::default();
    let mut at = 0;
    while at < bytes.len() {
        let tag = varint(bytes, &mut at)?;
        match (tag >> 3, tag & 7) {
            (field, 0) => {
                let n = varint(bytes, &mut at)? as i64;
                match field {
                    2 => kv.create_revision = n,
                    3 => kv.mod_revision = n,
                    4 => kv.version = n,
                    _ => {}
                }
            }
            (field, 2) => {
                let len = usize::try_from(varint(bytes, &mut at)?).unwrap_or(usize::MAX);
                let end = at
                    .checked_add(len)
                    .filter(|end| *end <= bytes.len())
                    .ok_or("a KeyValue field runs past its value")?;
                match field {
                    1 => kv.key = bytes[at..end].to_vec(),
                    5 => kv.value = bytes[at..end].to_vec(),
                    _ => {}
                }
                at = end;
            }
            (_, wire) => return Err(format!("a KeyValue with wire type {wire}")),
        }
    }
    Ok(kv)
}

fn varint(bytes: &[u8], at: &mut usize) -> Result<u64, String> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at).ok_or("a KeyValue is cut short")?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err("a KeyValue varint is too long".into())
}

#[cfg(test)]
pub(super) mod tests {
    use super::super::bolt::tests::{PAGE, leaf, meta};
    use super::*;

    fn key_value(key: &str, create: i64, modified: i64, value: &str) -> Vec<u8> {
        let mut bytes = vec![0x0a, key.len() as u8];
        bytes.extend(key.as_bytes());
        for (field, n) in [(2u8, create), (3, modified), (4, 1)] {
            bytes.extend([field << 3, n as u8]);
        }
        bytes.extend([0x2a, value.len() as u8]);
        bytes.extend(value.as_bytes());
        bytes
    }

    fn revision(main: i64, tombstone: bool) -> Vec<u8> {
        let mut key = main.to_be_bytes().to_vec();
        key.push(b'_');
        key.extend(0i64.to_be_bytes());
        if tombstone {
            key.push(b't');
        }
        key
    }

    /// Revisions 2..6: a created, b created, a changed, c created, b deleted.
    fn entries() -> Vec<(u32, Vec<u8>, Vec<u8>)> {
        vec![
            (0, revision(2, false), key_value("/a", 2, 2, "one")),
            (0, revision(3, false), key_value("/b", 3, 3, "two")),
            (0, revision(4, false), key_value("/a", 2, 4, "three")),
            (0, revision(5, false), key_value("/c", 5, 5, "four")),
            (0, revision(6, true), key_value("/b", 0, 0, "")),
        ]
    }

    /// Meta pages, the root leaf at page 2 and the `key` bucket's leaf at page 3 (or inline).
    pub(crate) fn database(inline: bool) -> Vec<u8> {
        let mut file = meta(0, 1, 2);
        file.extend(meta(1, 1, 2));
        let header = if inline {
            let mut header = vec![0u8; 16];
            header.extend(leaf(0, &entries()));
            header
        } else {
            let mut header = 3u64.to_le_bytes().to_vec();
            header.extend(0u64.to_le_bytes());
            header
        };
        let mut root = leaf(2, &[(BUCKET_LEAF, b"key".to_vec(), header)]);
        root.resize(PAGE, 0);
        file.extend(root);
        let mut keys = leaf(3, &entries());
        keys.resize(PAGE, 0);
        file.extend(keys);
        file
    }

    pub(crate) fn read(bytes: &[u8]) -> Result<Vec<(String, String, i64)>, BoltError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        std::fs::write(&path, bytes).expect("writes");
        let keys = SnapshotKeys::read(&path, &|_| true)?;
        keys.keys
            .values()
            .map(|live| {
                let value = keys.value(live)?;
                Ok((
                    String::from_utf8_lossy(&live.key).into_owned(),
                    String::from_utf8_lossy(&value).into_owned(),
                    live.mod_revision,
                ))
            })
            .collect()
    }

    #[test]
    fn the_newest_revision_of_each_key_is_kept_and_deleted_keys_are_gone() {
        for inline in [false, true] {
            assert_eq!(
                read(&database(inline)).expect("reads"),
                [
                    ("/a".into(), "three".into(), 4),
                    ("/c".into(), "four".into(), 5)
                ],
                "inline bucket: {inline}"
            );
        }
    }

    #[test]
    fn a_value_cut_off_by_the_end_of_the_file_names_its_page() {
        let mut bytes = database(false);
        // The last element's value claims far more than the page holds.
        let element = 3 * PAGE + 16 + 4 * 16;
        bytes[element + 12..element + 16].copy_from_slice(&100_000u32.to_le_bytes());
        let error = read(&bytes).expect_err("refused").to_string();
        assert!(error.contains("page 3"), "{error}");
    }
}
