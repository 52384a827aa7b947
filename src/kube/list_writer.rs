//! One export file written as its objects arrive: the same `kind: List` document that
//! `render_list` makes of a whole list, produced item by item, hashed as it is written, so an
//! export holds one page of objects however large the project.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

/// A file that hashes what reaches it.
struct Hashing {
    file: File,
    hasher: Sha256,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.file.write(buf)?;
        self.hasher.update(&buf[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

pub struct ListWriter {
    path: PathBuf,
    out: BufWriter<Hashing>,
    items: u64,
}

/// A finished file: where it is, how many objects it holds, and its SHA-256.
pub struct Written {
    pub path: PathBuf,
    pub items: u64,
    pub sha256: String,
}

impl ListWriter {
    /// Creates `path` (which must not exist) with its final `mode`.
    pub fn create(path: &Path, mode: u32) -> Result<Self, String> {
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(mode)
            .open(path)
            .map_err(|e| format!("creating {}: {e}", path.display()))?;
        let mut writer = ListWriter {
            path: path.to_path_buf(),
            out: BufWriter::with_capacity(
                1 << 20,
                Hashing {
                    file,
                    hasher: Sha256::new(),
                },
            ),
            items: 0,
        };
        // A List's keys in the order serde writes a JSON map (sorted): apiVersion, items,
        // kind, metadata.
        writer.write(b"apiVersion: v1\n")?;
        Ok(writer)
    }

    fn write(&mut self, bytes: &[u8]) -> Result<(), String> {
        self.out
            .write_all(bytes)
            .map_err(|e| format!("writing {}: {e}", self.path.display()))
    }

    /// Appends one object to the list's items.
    pub fn push(&mut self, object: &Value) -> Result<(), String> {
        if self.items == 0 {
            self.write(b"items:\n")?;
        }
        // A one-item sequence is written exactly as that item is within `items:`.
        serde_yaml_ng::to_writer(&mut self.out, std::slice::from_ref(object))
            .map_err(|e| format!("writing {}: {e}", self.path.display()))?;
        self.items += 1;
        Ok(())
    }

    /// Ends the document and puts the file on disk.
    pub fn finish(mut self) -> Result<Written, String> {
        if self.items == 0 {
            self.write(b"items: []\n")?;
        }
        self.write(b"kind: List\nmetadata: {}\n")?;
        let path = self.path.clone();
        let hashing = self
            .out
            .into_inner()
            .map_err(|e| format!("writing {}: {}", path.display(), e.error()))?;
        hashing
            .file
            .sync_all()
            .map_err(|e| format!("syncing {}: {e}", path.display()))?;
        Ok(Written {
            path,
            items: self.items,
            sha256: format!("{:x}", hashing.hasher.finalize()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn objects() -> Vec<Value> {
        vec![
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a",
                "labels": {"app": "x"}}, "data": {"script": "line one\nline two\n",
                "empty": "", "quoted": "yes", "number": "0123", "list": "- a"}}),
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "b"},
                "spec": {"ports": [{"port": 80, "name": "http"}, {"port": 443}],
                "selector": {}, "clusterIP": "None", "nested": [[1, 2], []]}}),
            json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "c",
                "annotations": {"k": "multi\nline\n\n  indented"}}, "type": "Opaque",
                "data": null, "flag": true, "ratio": 1.5}),
        ]
    }

    /// Written item by item, a file is byte for byte what `render_list` makes of the whole
    /// list (already in its order), so exports stay comparable and kubectl reads them alike.
    #[test]
    fn streamed_lists_equal_rendered_ones() {
        let dir = tempfile::tempdir().expect("dir");
        for count in 0..=3 {
            let mut items: Vec<Value> = objects().into_iter().take(count).collect();
            // In the order an export writes them: restore rank, kind, name.
            items.sort_by_key(|o| {
                super::super::order::restore_rank(o["kind"].as_str().unwrap_or(""))
            });
            let path = dir.path().join(format!("{count}.yaml"));
            let mut writer = ListWriter::create(&path, 0o600).expect("creates");
            for item in &items {
                writer.push(item).expect("writes");
            }
            let written = writer.finish().expect("finishes");
            let text = std::fs::read_to_string(&path).expect("reads");
            assert_eq!(
                text,
                super::super::files::render_list(items.clone()).expect("renders")
            );
            assert_eq!(written.items, count as u64);
            assert_eq!(
                written.sha256,
                format!("{:x}", Sha256::digest(text.as_bytes()))
            );
        }
        assert!(ListWriter::create(&dir.path().join("1.yaml"), 0o600).is_err());
    }
}
