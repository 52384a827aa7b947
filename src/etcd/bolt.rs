//! Reading an etcd snapshot back without loading it: just enough of the bbolt file format to
//! check its meta pages and walk its B+trees, for what `etcdctl snapshot status` reports (the
//! revision and the number of entries).
//!
//! `etcdctl snapshot status` memory-maps the database and reads every value, so its memory
//! grows with the snapshot. Here only branch and leaf page headers are read, one page at a
//! time with `pread`: a 2 GiB snapshot is read back in a few megabytes.
//!
//! Format (bbolt `page.go`, `db.go`, `bucket.go`): every page starts with a 16-byte header
//! (id u64, flags u16, count u16, overflow u32); pages 0 and 1 are meta pages; branch elements
//! are (pos u32, ksize u32, pgid u64) and leaf elements (flags u32, pos u32, ksize u32, vsize
//! u32), each `pos` counted from the element itself. Integers are little-endian.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use thiserror::Error;

const PAGE_HEADER: usize = 16;
const ELEMENT: usize = 16;
const MAGIC: u32 = 0xED0C_DAED;
const VERSION: u32 = 2;
const BRANCH_PAGE: u16 = 0x01;
const LEAF_PAGE: u16 = 0x02;
const META_PAGE: u16 = 0x04;
pub(super) const BUCKET_LEAF: u32 = 0x01;
/// The checksum covers the meta fields before it.
const META_CHECKSUMMED: usize = 56;
/// bbolt refuses longer keys; a longer one in a file means a damaged element.
const MAX_KEY: usize = 32 * 1024;
/// B+trees this deep would need more pages than a file can hold; deeper means a loop.
const MAX_DEPTH: usize = 64;

#[derive(Debug, Error)]
pub enum BoltError {
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not an etcd database: {detail}")]
    Corrupt { path: String, detail: String },
}

/// What a snapshot holds, as `etcdctl snapshot status` counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BoltStats {
    /// The main revision of the newest entry of the `key` bucket.
    pub revision: i64,
    /// Entries across all top-level buckets (etcd's keys, members, meta, leases, ...).
    pub total_keys: u64,
    /// Bytes in use: the high-water page mark times the page size.
    pub total_size: u64,
}

pub(super) struct Reader<'a> {
    file: File,
    path: &'a Path,
    page_size: u64,
    high_water: u64,
    /// Pages already walked: in a sound file every page has one parent, so a second visit
    /// means a loop or a shared child, which could otherwise take forever.
    visited: std::cell::RefCell<std::collections::HashSet<u64>>,
}

/// A page as read: its first page-size bytes, enough for the header and, almost always, the
/// element array; anything further is read on demand.
pub(super) struct Page {
    pub(super) id: u64,
    pub(super) bytes: Vec<u8>,
}

pub fn read_stats(path: &Path) -> Result<BoltStats, BoltError> {
    let (reader, meta) = open(path)?;
    let mut total_keys = 0u64;
    let mut revision = None;
    let mut buckets = Vec::new();
    reader.walk(meta.root, 0, &mut |element| {
        if element.flags & BUCKET_LEAF != 0 {
            buckets.push((element.key.clone(), element.value.clone()));
        }
        Ok(())
    })?;
    for (name, header) in buckets {
        if header.len() < 16 {
            return Err(reader.corrupt("a bucket header is cut short".into()));
        }
        let root = u64_at(&header, 0);
        let is_key_bucket = name == b"key";
        if is_key_bucket {
            // A cluster nobody has written to yet has an empty key bucket: revision 0, as
            // etcdctl reports it.
            revision = revision.or(Some(0));
        }
        let mut last_key: Option<Vec<u8>> = None;
        let mut count = |element: &Element| {
            total_keys += 1;
            if is_key_bucket {
                last_key = Some(element.key.clone());
            }
            Ok(())
        };
        if root == 0 {
            // An inline bucket: its only page follows the 16-byte header in the value.
            reader.leaf_elements(
                &Page {
                    id: 0,
                    bytes: header[16..].to_vec(),
                },
                &mut count,
            )?;
        } else {
            reader.walk(root, 0, &mut count)?;
        }
        if let Some(key) = last_key {
            if key.len() < 8 {
                return Err(reader.corrupt("a revision key is shorter than 8 bytes".into()));
            }
            revision = Some(i64::from_be_bytes(key[..8].try_into().unwrap_or_default()));
        }
    }
    Ok(BoltStats {
        revision: revision.ok_or_else(|| reader.corrupt("there is no `key` bucket".into()))?,
        total_keys,
        total_size: meta.high_water.saturating_mul(meta.page_size),
    })
}

/// Opens a database at its newest valid meta page (bbolt's rule), refusing a meta page that
/// claims more pages than the file holds.
pub(super) fn open(path: &Path) -> Result<(Reader<'_>, Meta), BoltError> {
    let io = |source| BoltError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = File::open(path).map_err(io)?;
    let mut first = vec![0u8; 4096];
    file.read_exact_at(&mut first, 0).map_err(io)?;
    let mut reader = Reader {
        file,
        path,
        page_size: 4096,
        high_water: u64::MAX,
        visited: Default::default(),
    };
    let meta0 = reader.meta(&first);
    let page_size = match &meta0 {
        Ok(meta) => meta.page_size,
        // Meta page 0 torn: the page size is still usually right in it.
        Err(_) => u64::from(u32_at(&first, PAGE_HEADER + 8)),
    };
    if !(512..=1 << 20).contains(&page_size) || !page_size.is_power_of_two() {
        return Err(reader.corrupt(format!("page size {page_size} is impossible")));
    }
    reader.page_size = page_size;
    let mut second = vec![0u8; usize::try_from(page_size).unwrap_or(4096)];
    reader
        .file
        .read_exact_at(&mut second, page_size)
        .map_err(io)?;
    let meta1 = reader.meta(&second);
    // bbolt uses the valid meta page with the newer transaction.
    let meta = match (meta0, meta1) {
        (Ok(a), Ok(b)) => {
            if a.txid >= b.txid {
                a
            } else {
                b
            }
        }
        (Ok(a), Err(_)) | (Err(_), Ok(a)) => a,
        (Err(e), Err(_)) => return Err(e),
    };
    let file_pages = reader.file.metadata().map_err(io)?.len() / page_size;
    if meta.high_water > file_pages + 1 {
        return Err(reader.corrupt(format!(
            "the meta page claims {} pages, the file holds {file_pages}",
            meta.high_water
        )));
    }
    reader.high_water = meta.high_water;
    Ok((reader, meta))
}

pub(super) struct Meta {
    page_size: u64,
    pub(super) root: u64,
    high_water: u64,
    txid: u64,
}

/// A leaf element as the walk hands it out. Values of plain keys are not read: only bucket
/// headers (16 bytes, or an inline page) are.
pub(super) struct Element {
    pub(super) flags: u32,
    pub(super) key: Vec<u8>,
    /// A bucket's header, or a plain value of an inline bucket (whose page has no place in
    /// the file); empty otherwise.
    pub(super) value: Vec<u8>,
    /// Where a plain value of a page in the file starts, and its length, to read on demand.
    pub(super) value_at: u64,
    pub(super) value_len: usize,
    /// The page the element is on, for errors (0: an inline bucket).
    pub(super) page: u64,
}

impl Reader<'_> {
    pub(super) fn corrupt(&self, detail: String) -> BoltError {
        BoltError::Corrupt {
            path: self.path.display().to_string(),
            detail,
        }
    }

    pub(crate) fn meta(&self, page: &[u8]) -> Result<Meta, BoltError> {
        let flags = u16_at(page, 8);
        let body = &page[PAGE_HEADER..];
        if flags != META_PAGE || u32_at(body, 0) != MAGIC {
            return Err(self.corrupt("no bbolt meta page (wrong magic)".into()));
        }
        if u32_at(body, 4) != VERSION {
            return Err(self.corrupt(format!("bbolt format version {}", u32_at(body, 4))));
        }
        if fnv1a64(&body[..META_CHECKSUMMED]) != u64_at(body, META_CHECKSUMMED) {
            return Err(self.corrupt("a meta page fails its checksum".into()));
        }
        Ok(Meta {
            page_size: u64::from(u32_at(body, 8)),
            root: u64_at(body, 16),
            high_water: u64_at(body, 40),
            txid: u64_at(body, 48),
        })
    }

    pub(super) fn page(&self, id: u64) -> Result<Page, BoltError> {
        if id < 2 || id >= self.high_water {
            return Err(self.corrupt(format!("page {id} is outside the database")));
        }
        let mut bytes = vec![0u8; usize::try_from(self.page_size).unwrap_or(4096)];
        self.file
            .read_exact_at(&mut bytes, id.saturating_mul(self.page_size))
            .map_err(|source| BoltError::Io {
                path: self.path.display().to_string(),
                source,
            })?;
        if u64_at(&bytes, 0) != id {
            return Err(self.corrupt(format!("page {id} says it is page {}", u64_at(&bytes, 0))));
        }
        Ok(Page { id, bytes })
    }

    /// `len` bytes at `offset` into `page`, from the bytes already read or from the file (an
    /// element array or key that runs into the page's overflow pages).
    fn bytes(&self, page: &Page, offset: usize, len: usize) -> Result<Vec<u8>, BoltError> {
        if let Some(slice) = page.bytes.get(offset..offset + len) {
            return Ok(slice.to_vec());
        }
        if page.id == 0 {
            return Err(self.corrupt("an inline bucket is cut short".into()));
        }
        let mut bytes = vec![0u8; len];
        self.file
            .read_exact_at(
                &mut bytes,
                page.id
                    .saturating_mul(self.page_size)
                    .saturating_add(offset as u64),
            )
            .map_err(|source| BoltError::Io {
                path: self.path.display().to_string(),
                source,
            })?;
        Ok(bytes)
    }

    /// `len` bytes at the file offset `at`, for a value on `page`.
    pub(super) fn read_at(&self, at: u64, len: usize, page: u64) -> Result<Vec<u8>, BoltError> {
        let mut bytes = vec![0u8; len];
        self.file.read_exact_at(&mut bytes, at).map_err(|_| {
            self.corrupt(format!(
                "page {page}: a value runs past the end of the file"
            ))
        })?;
        Ok(bytes)
    }

    /// Visits every leaf element under `id`, in key order.
    pub(super) fn walk(
        &self,
        id: u64,
        depth: usize,
        visit: &mut dyn FnMut(&Element) -> Result<(), BoltError>,
    ) -> Result<(), BoltError> {
        if depth > MAX_DEPTH || !self.visited.borrow_mut().insert(id) {
            return Err(self.corrupt("the B+tree loops".into()));
        }
        let page = self.page(id)?;
        match u16_at(&page.bytes, 8) {
            BRANCH_PAGE => {
                let count = usize::from(u16_at(&page.bytes, 10));
                let elements = self.bytes(&page, PAGE_HEADER, count * ELEMENT)?;
                for i in 0..count {
                    self.walk(u64_at(&elements, i * ELEMENT + 8), depth + 1, visit)?;
                }
                Ok(())
            }
            LEAF_PAGE => self.leaf_elements(&page, visit),
            flags => Err(self.corrupt(format!("page {id} has flags {flags:#x} inside a tree"))),
        }
    }

    pub(super) fn leaf_elements(
        &self,
        page: &Page,
        visit: &mut dyn FnMut(&Element) -> Result<(), BoltError>,
    ) -> Result<(), BoltError> {
        if page.bytes.len() < PAGE_HEADER || u16_at(&page.bytes, 8) != LEAF_PAGE {
            return Err(self.corrupt(format!("page {} is not a leaf", page.id)));
        }
        let count = usize::from(u16_at(&page.bytes, 10));
        let elements = self.bytes(page, PAGE_HEADER, count * ELEMENT)?;
        for i in 0..count {
            let at = i * ELEMENT;
            let flags = u32_at(&elements, at);
            let start = PAGE_HEADER + at + u32_at(&elements, at + 4) as usize;
            let key_len = u32_at(&elements, at + 8) as usize;
            let value_len = u32_at(&elements, at + 12) as usize;
            if key_len > MAX_KEY
                || (flags & BUCKET_LEAF != 0 && value_len > self.page_size as usize)
            {
                return Err(self.corrupt(format!("page {} holds an impossible element", page.id)));
            }
            let key = self.bytes(page, start, key_len)?;
            let value = if flags & BUCKET_LEAF != 0 || page.id == 0 {
                self.bytes(page, start + key_len, value_len)?
            } else {
                Vec::new()
            };
            let value_at = page
                .id
                .saturating_mul(self.page_size)
                .saturating_add((start + key_len) as u64);
            visit(&Element {
                flags,
                key,
                value,
                value_at,
                value_len,
                page: page.id,
            })?;
        }
        Ok(())
    }
}

fn u16_at(bytes: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([bytes[at], bytes[at + 1]])
}

pub(super) fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap_or_default())
}

pub(super) fn u64_at(bytes: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(bytes[at..at + 8].try_into().unwrap_or_default())
}

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Property tests that damage the tests' valid database (untrusted snapshot files).
#[cfg(test)]
#[path = "bolt_props.rs"]
mod props;

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(crate) const PAGE: usize = 4096;

    pub(crate) fn header(id: u64, flags: u16, count: u16) -> Vec<u8> {
        let mut page = id.to_le_bytes().to_vec();
        page.extend(flags.to_le_bytes());
        page.extend(count.to_le_bytes());
        page.extend(0u32.to_le_bytes());
        page
    }

    pub(crate) fn meta(id: u64, txid: u64, root: u64) -> Vec<u8> {
        let mut body = Vec::new();
        for v in [MAGIC, VERSION, PAGE as u32, 0] {
            body.extend(v.to_le_bytes());
        }
        for v in [root, 0, 3, 4, txid] {
            body.extend(v.to_le_bytes());
        }
        body.extend(fnv1a64(&body).to_le_bytes());
        let mut page = header(id, META_PAGE, 0);
        page.extend(body);
        page.resize(PAGE, 0);
        page
    }

    /// A leaf page whose elements are `(flags, key, value)`.
    pub(crate) fn leaf(id: u64, elements: &[(u32, Vec<u8>, Vec<u8>)]) -> Vec<u8> {
        let mut page = header(id, LEAF_PAGE, elements.len() as u16);
        let mut data: Vec<u8> = Vec::new();
        let array = elements.len() * ELEMENT;
        for (i, (flags, key, value)) in elements.iter().enumerate() {
            let pos = (array - i * ELEMENT + data.len()) as u32;
            for v in [*flags, pos, key.len() as u32, value.len() as u32] {
                page.extend(v.to_le_bytes());
            }
            data.extend(key);
            data.extend(value);
        }
        page.extend(data);
        page
    }

    fn revision_key(main: i64) -> Vec<u8> {
        let mut key = main.to_be_bytes().to_vec();
        key.push(b'_');
        key.extend(0i64.to_be_bytes());
        key
    }

    /// Meta pages 0 and 1, the root bucket's leaf at page 2 holding an inline `key` bucket
    /// with revisions 3 and 7, and a `meta` bucket in its own leaf at page 3.
    pub(super) fn database(meta1_txid: u64) -> Vec<u8> {
        let mut inline = vec![0u8; 16];
        inline.extend(leaf(
            0,
            &[(0, revision_key(3), vec![1]), (0, revision_key(7), vec![2])],
        ));
        let mut meta_bucket = 3u64.to_le_bytes().to_vec();
        meta_bucket.extend(0u64.to_le_bytes());
        let mut file = meta(0, 1, 2);
        file.extend(meta(1, meta1_txid, 2));
        let mut root = leaf(
            2,
            &[
                (BUCKET_LEAF, b"key".to_vec(), inline),
                (BUCKET_LEAF, b"meta".to_vec(), meta_bucket),
            ],
        );
        root.resize(PAGE, 0);
        file.extend(root);
        let mut meta_leaf = leaf(3, &[(0, b"consistent_index".to_vec(), vec![0; 8])]);
        meta_leaf.resize(PAGE, 0);
        file.extend(meta_leaf);
        file
    }

    pub(super) fn read(bytes: &[u8]) -> Result<BoltStats, BoltError> {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("db");
        std::fs::write(&path, bytes).expect("writes");
        read_stats(&path)
    }

    #[test]
    fn counts_entries_of_every_bucket_and_takes_the_newest_revision() {
        let stats = read(&database(2)).expect("reads");
        assert_eq!(
            stats,
            BoltStats {
                revision: 7,
                total_keys: 3,
                total_size: 4 * PAGE as u64
            }
        );
    }

    #[test]
    fn a_torn_meta_page_falls_back_to_the_other() {
        let mut bytes = database(2);
        bytes[PAGE + PAGE_HEADER + 20] ^= 0xff; // meta 1's root, under its checksum
        assert_eq!(read(&bytes).expect("meta 0 still reads").revision, 7);
    }

    #[test]
    fn garbage_and_loops_are_errors_not_panics() {
        let zeros = vec![0u8; 4 * PAGE];
        assert!(matches!(read(&zeros), Err(BoltError::Corrupt { .. })));
        // Page 3 turned into a branch whose only child is itself.
        let mut looping = database(2);
        let mut branch = header(3, BRANCH_PAGE, 1);
        for v in [ELEMENT as u32, 0] {
            branch.extend(v.to_le_bytes());
        }
        branch.extend(3u64.to_le_bytes());
        branch.resize(PAGE, 0);
        looping[3 * PAGE..].copy_from_slice(&branch);
        let error = read(&looping).expect_err("a loop is refused");
        assert!(error.to_string().contains("loops"), "{error}");
        // A branch whose two children are the same page, one the walk has been through: a
        // shared child would multiply the walk without ever reaching the depth limit.
        let mut shared = database(2);
        let mut branch = header(3, BRANCH_PAGE, 2);
        for i in 0..2u32 {
            for v in [2 * ELEMENT as u32 - i * ELEMENT as u32, 0] {
                branch.extend(v.to_le_bytes());
            }
            branch.extend(2u64.to_le_bytes());
        }
        branch.resize(PAGE, 0);
        shared[3 * PAGE..].copy_from_slice(&branch);
        assert!(read(&shared).is_err(), "a page reached twice is refused");
        // A meta page claiming more pages than the file holds.
        let mut claims = database(2);
        claims.truncate(3 * PAGE);
        assert!(read(&claims).is_err());
        let mut outside = database(2);
        let at = outside.len() - PAGE - 1;
        outside.truncate(at);
        assert!(
            read(&outside).is_err(),
            "a truncated file is not read as whole"
        );
    }

    #[test]
    fn fnv1a_matches_the_reference_vector() {
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
