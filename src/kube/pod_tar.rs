//! The tar streams of a copy out of and into a pod, handled as they pass: unpacked entry by
//! entry into a directory (never the whole archive in memory), and packed from a directory,
//! refusing anything that would land outside where it belongs.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::bundle::extract::{ExtractOptions, LinkTargets, extract};

/// Counts shared with the async side that reports progress.
#[derive(Debug, Default)]
pub struct Counters {
    pub bytes: AtomicU64,
    pub files: AtomicU64,
}

/// Unpacks a pod's tar stream into `into` as it is read, with the one safe extractor
/// ([`crate::bundle::extract`]): regular files streamed to disk with their mode (masked to
/// 0o777), directories, and symbolic links kept as links with their target as written. The
/// pod is not trusted: links are never written through, hard links only copy what the stream
/// wrote itself, and devices, fifos, absolute and `..` names refuse the whole copy. Returns the
/// number of files and links.
pub fn unpack_checked<R: Read>(reader: R, into: &Path, counters: &Counters) -> Result<u64, String> {
    let options = ExtractOptions {
        replace_files: false,
        links: LinkTargets::AsWritten,
    };
    let mut on_file = |bytes: u64| {
        counters.bytes.fetch_add(bytes, Ordering::Relaxed);
        counters.files.fetch_add(1, Ordering::Relaxed);
    };
    let done = extract(reader, into, &options, &mut on_file)
        .map_err(|e| format!("{e}; nothing more was copied"))?;
    Ok(done.files)
}

/// Where a link found at `link` (relative to the mount) points, as a path relative to the
/// mount; `None` when it points outside it.
pub fn link_inside(mount_path: &str, link: &Path, target: &Path) -> Option<PathBuf> {
    let start = if target.is_absolute() {
        let mount = Path::new(mount_path);
        return target
            .strip_prefix(mount)
            .ok()
            .and_then(|rest| normalize(Path::new(""), rest));
    } else {
        link.parent().unwrap_or(Path::new("")).to_path_buf()
    };
    normalize(&start, target)
}

fn normalize(start: &Path, path: &Path) -> Option<PathBuf> {
    let mut parts: Vec<_> = start
        .components()
        .map(|c| c.as_os_str().to_owned())
        .collect();
    for component in path.components() {
        match component {
            Component::Normal(part) => parts.push(part.to_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.iter().collect())
}

/// Every entry under `from`, relative to it, directories before what they hold; links listed,
/// never followed.
fn walk(from: &Path) -> Result<Vec<PathBuf>, String> {
    let mut found = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = from.join(&relative);
        let mut children: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| format!("listing {}: {e}", dir.display()))?
            .filter_map(|e| e.ok())
            .map(|e| relative.join(e.file_name()))
            .collect();
        children.sort();
        for child in children.into_iter().rev() {
            if std::fs::symlink_metadata(from.join(&child)).is_ok_and(|m| m.is_dir()) {
                pending.push(child.clone());
            }
            found.push(child);
        }
    }
    found.sort();
    Ok(found)
}

/// Checks a directory before it is copied into a pod at `mount_path`: every link must point
/// inside the mount. Returns the entries to pack.
pub fn check_tree(from: &Path, mount_path: &str) -> Result<Vec<PathBuf>, String> {
    let entries = walk(from)?;
    for relative in &entries {
        let path = from.join(relative);
        let metadata = std::fs::symlink_metadata(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        if metadata.file_type().is_symlink() {
            let target = std::fs::read_link(&path)
                .map_err(|e| format!("reading the link {}: {e}", path.display()))?;
            if link_inside(mount_path, relative, &target).is_none() {
                return Err(format!(
                    "the backup's link {} points to {}, outside {mount_path}: restoring it would let \
                     the data escape the volume, so nothing was copied. Remove the link from the \
                     backup (and seal a new one) if it is really wanted.",
                    relative.display(),
                    target.display()
                ));
            }
        }
    }
    Ok(entries)
}

/// Packs the checked `entries` of `from` as a tar stream into `out`, with their modes.
pub fn pack(
    from: &Path,
    entries: &[PathBuf],
    out: impl Write,
    counters: &Counters,
) -> Result<(), String> {
    let mut builder = tar::Builder::new(out);
    builder.follow_symlinks(false);
    for relative in entries {
        let path = from.join(relative);
        builder
            .append_path_with_name(&path, relative)
            .map_err(|e| format!("packing {}: {e}", path.display()))?;
        let metadata = std::fs::symlink_metadata(&path)
            .map_err(|e| format!("reading {}: {e}", path.display()))?;
        if !metadata.is_dir() {
            counters.files.fetch_add(1, Ordering::Relaxed);
        }
    }
    builder
        .into_inner()
        .and_then(|mut out| out.flush())
        .map_err(|e| format!("finishing the tar stream: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn raw_entry(builder: &mut tar::Builder<Vec<u8>>, name: &str, link: Option<&str>) {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        match link {
            Some(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                builder
                    .append_link(&mut header, name, target)
                    .expect("appends");
            }
            None => {
                header.set_size(4);
                // `append_data` refuses `..`, so the raw name is written as an attacker would.
                let bytes = header.as_old_mut().name.as_mut();
                bytes[..name.len()].copy_from_slice(name.as_bytes());
                header.set_cksum();
                builder.append(&header, &b"evil"[..]).expect("appends");
            }
        }
    }

    #[test]
    fn unpacks_files_dirs_and_links_with_their_modes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let source = dir.path().join("source");
        std::fs::create_dir_all(source.join("jobs/nightly")).expect("mkdir");
        std::fs::write(source.join("jobs/nightly/config.xml"), "<job/>").expect("writes");
        std::fs::set_permissions(
            source.join("jobs/nightly/config.xml"),
            std::fs::Permissions::from_mode(0o600),
        )
        .expect("chmod");
        std::os::unix::fs::symlink("jobs/nightly", source.join("latest")).expect("links");
        let entries = check_tree(&source, "/var/lib/jenkins").expect("checks");
        let mut stream = Vec::new();
        pack(&source, &entries, &mut stream, &Counters::default()).expect("packs");
        let into = dir.path().join("into");
        std::fs::create_dir_all(&into).expect("mkdir");
        let counters = Counters::default();
        let files = unpack_checked(&stream[..], &into, &counters).expect("unpacks");
        assert_eq!(files, 2);
        assert_eq!(
            std::fs::read_to_string(into.join("jobs/nightly/config.xml")).expect("reads"),
            "<job/>"
        );
        let mode = std::fs::metadata(into.join("jobs/nightly/config.xml"))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        assert_eq!(
            std::fs::read_link(into.join("latest")).expect("a link"),
            PathBuf::from("jobs/nightly")
        );
    }

    #[test]
    fn refuses_entries_that_climb_out_or_write_through_links() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, link) in [("../escaped", None), ("/etc/escaped", None)] {
            let mut builder = tar::Builder::new(Vec::new());
            raw_entry(&mut builder, name, link);
            let stream = builder.into_inner().expect("finishes");
            let error =
                unpack_checked(&stream[..], dir.path(), &Counters::default()).expect_err("refused");
            assert!(error.contains("outside"), "{error}");
        }
        assert!(
            !dir.path()
                .parent()
                .expect("parent")
                .join("escaped")
                .exists()
        );
        let mut builder = tar::Builder::new(Vec::new());
        raw_entry(&mut builder, "out", Some("/tmp"));
        raw_entry(&mut builder, "out/planted", None);
        let stream = builder.into_inner().expect("finishes");
        let error =
            unpack_checked(&stream[..], dir.path(), &Counters::default()).expect_err("refused");
        assert!(error.contains("through the link"), "{error}");
        assert!(error.contains("nothing outside"), "{error}");
        assert!(!Path::new("/tmp/planted").exists());
    }

    #[test]
    fn links_must_stay_inside_the_mount() {
        let mount = "/var/lib/jenkins";
        let inside = |link: &str, target: &str| {
            link_inside(mount, Path::new(link), Path::new(target)).is_some()
        };
        assert!(inside("latest", "jobs/nightly"));
        assert!(inside("jobs/a/last", "../b"));
        assert!(inside("abs", "/var/lib/jenkins/jobs"));
        assert!(!inside("up", "../etc"));
        assert!(!inside("jobs/deep", "../../../etc/passwd"));
        assert!(!inside("abs", "/etc/passwd"));
        assert!(!inside("abs", "/var/lib/jenkins/../../etc"));
    }
}
