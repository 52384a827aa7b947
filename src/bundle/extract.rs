//! The one extractor for every archive lifeboat reads that someone else wrote: a pod's
//! `tar cf -` stream, a backup's certificate archive, a join bundle.
//!
//! lifeboat runs as root, so an archive entry must never decide where on the host a write
//! lands or what it may read. Every entry is checked as it passes:
//! - its name is relative and plain (no `/` at the start, no `..`);
//! - neither its destination nor any directory on the way is a symbolic link (looked at with
//!   `symlink_metadata`, and files opened with `O_NOFOLLOW` so a link is never followed);
//! - a hard link may only name a regular file this extraction already wrote (otherwise a link
//!   planted by the archive could copy any host file into the result);
//! - devices, fifos and other special files are refused;
//! - modes are masked to `0o777`: no setuid, setgid or sticky bit survives;
//! - files are created new (`O_EXCL`) with their final mode, never chmod'ed afterwards.
//!
//! A refused entry stops the extraction with an error that names it; what was written before
//! it stays inside the target directory, and nothing outside it was touched.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use thiserror::Error;

pub use super::entry_check::plain_name;
use super::entry_check::{Checked, What, check_header, refused, unreadable};

/// Why an archive was refused or could not be extracted.
#[derive(Debug, Error)]
pub enum ExtractError {
    /// The archive itself asked for something unsafe.
    #[error(
        "the archive entry {entry:?} {reason}: the archive was refused there, and nothing outside {target} was touched"
    )]
    Refused {
        entry: PathBuf,
        reason: String,
        target: PathBuf,
    },
    /// The archive is not a readable tar (truncated, corrupt, not a tar at all).
    #[error("the archive cannot be read ({detail}); nothing outside {target} was touched")]
    Unreadable { detail: String, target: PathBuf },
    /// The disk said no.
    #[error("writing {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What links in the archive may point at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkTargets {
    /// Kept as written (application data: a link is data, restored into the pod as it was;
    /// the copy into a pod checks targets against the mount separately).
    AsWritten,
    /// Only relative targets that stay inside the target directory (certificates, bundles).
    Inside,
}

#[derive(Clone, Copy, Debug)]
pub struct ExtractOptions {
    /// Replace regular files that already exist (a certificate restore over the old ones);
    /// otherwise an existing destination refuses the entry.
    pub replace_files: bool,
    pub links: LinkTargets,
}

/// What an extraction wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Extracted {
    /// Every entry's plain relative name, in archive order.
    pub entries: Vec<PathBuf>,
    /// Regular files and links written.
    pub files: u64,
    pub bytes: u64,
}

/// The most any single entry read into memory may hold ([`read_entry`]): join.json and
/// etcd.conf are a few kilobytes; a gzip bomb is gigabytes.
pub const MEMORY_ENTRY_LIMIT: u64 = 1 << 20;

/// Checks every entry of an archive without writing anything: names, types, modes and link
/// targets, as [`extract`] will. Returns the plain names in archive order.
pub fn scan<R: Read>(
    reader: R,
    target: &Path,
    options: &ExtractOptions,
) -> Result<Vec<PathBuf>, ExtractError> {
    let mut archive = tar::Archive::new(reader);
    let mut names = Vec::new();
    let mut files = HashSet::new();
    for entry in archive.entries().map_err(|e| unreadable(target, e))? {
        let entry = entry.map_err(|e| unreadable(target, e))?;
        if let Some(checked) = check_header(&entry, target, options, &files)? {
            if checked.what == What::File {
                files.insert(checked.name.clone());
            }
            names.push(checked.name);
        }
    }
    Ok(names)
}

/// Extracts a tar stream into `into` as it is read, entry by entry, under the rules of this
/// module. `on_file` is told the bytes of every file or link written.
pub fn extract<R: Read>(
    reader: R,
    into: &Path,
    options: &ExtractOptions,
    on_file: &mut dyn FnMut(u64),
) -> Result<Extracted, ExtractError> {
    let mut archive = tar::Archive::new(reader);
    let mut done = Extracted::default();
    let mut written = HashSet::new();
    let mut directories = Vec::new();
    for entry in archive.entries().map_err(|e| unreadable(into, e))? {
        let mut entry = entry.map_err(|e| unreadable(into, e))?;
        let Some(checked) = check_header(&entry, into, options, &written)? else {
            continue;
        };
        let destination = into.join(&checked.name);
        no_link_on_the_way(into, &checked.name)?;
        let bytes = match &checked.what {
            What::Dir => {
                make_dir(into, &checked.name)?;
                // `.` is the target itself, whose mode is the caller's, not the archive's.
                if !checked.name.as_os_str().is_empty() {
                    directories.push((checked.name.clone(), checked.mode));
                }
                done.entries.push(checked.name);
                continue;
            }
            What::File => {
                let file = create_file(into, &checked.name, checked.mode, options)?;
                write_body(&mut entry, file, into, &destination)?
            }
            What::Symlink(link) => {
                make_way(into, &checked.name, options, false)?;
                std::os::unix::fs::symlink(link, &destination).map_err(|source| {
                    ExtractError::Write {
                        path: destination.clone(),
                        source,
                    }
                })?;
                link.as_os_str().len() as u64
            }
            What::HardLink(source) => copy_written(into, source, &checked, options)?,
        };
        if checked.what == What::File || matches!(checked.what, What::HardLink(_)) {
            written.insert(checked.name.clone());
        }
        done.files += 1;
        done.bytes += bytes;
        on_file(bytes);
        done.entries.push(checked.name);
    }
    // Last, so a read-only directory does not stop its own files from being written.
    for (name, mode) in directories.into_iter().rev() {
        set_dir_mode(into, &name, mode)?;
    }
    Ok(done)
}

/// Every directory between `into` and `name` (and `name` itself) must be a real directory or
/// not exist yet: a link planted by an earlier entry, or already there, could send a write
/// anywhere on the host.
pub fn no_link_on_the_way(into: &Path, name: &Path) -> Result<(), ExtractError> {
    let mut current = into.to_path_buf();
    for part in name.components() {
        current.push(part);
        if let Ok(metadata) = std::fs::symlink_metadata(&current) {
            if metadata.file_type().is_symlink() {
                let rest = current.strip_prefix(into).unwrap_or(&current);
                return Err(refused(
                    name,
                    into,
                    format!(
                        "would be written through the link {}, which could lead anywhere",
                        rest.display()
                    ),
                ));
            }
        }
    }
    Ok(())
}

fn write_error(path: &Path) -> impl FnOnce(std::io::Error) -> ExtractError + '_ {
    move |source| ExtractError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Creates the missing directories up to `name`'s parent, each checked not to be a link.
fn make_parents(into: &Path, name: &Path) -> Result<(), ExtractError> {
    if let Some(parent) = name.parent().filter(|p| !p.as_os_str().is_empty()) {
        make_dir(into, parent)?;
    }
    Ok(())
}

/// Creates `name` and its parents as directories (0700 until the archive's mode is set at
/// the end); an existing directory is kept, anything else there refuses the entry.
fn make_dir(into: &Path, name: &Path) -> Result<(), ExtractError> {
    let mut current = into.to_path_buf();
    for part in name.components() {
        current.push(part);
        match std::fs::symlink_metadata(&current) {
            Ok(metadata) if metadata.is_dir() => continue,
            Ok(_) => {
                return Err(refused(
                    name,
                    into,
                    format!(
                        "needs {} to be a directory, and something else is there",
                        current.strip_prefix(into).unwrap_or(&current).display()
                    ),
                ));
            }
            Err(_) => std::fs::DirBuilder::new()
                .mode(0o700)
                .create(&current)
                .map_err(write_error(&current))?,
        }
    }
    Ok(())
}

/// Removes what is at `name` when the options allow replacing it (a regular file, when
/// `replace_files`); refuses otherwise. Never follows a link.
fn make_way(
    into: &Path,
    name: &Path,
    options: &ExtractOptions,
    replacing_with_file: bool,
) -> Result<(), ExtractError> {
    make_parents(into, name)?;
    let destination = into.join(name);
    match std::fs::symlink_metadata(&destination) {
        Err(_) => Ok(()),
        Ok(metadata) if metadata.is_file() && options.replace_files && replacing_with_file => {
            std::fs::remove_file(&destination).map_err(write_error(&destination))
        }
        Ok(_) => Err(refused(
            name,
            into,
            "is already there (an archive that names an entry twice is refused)",
        )),
    }
}

/// A new file at `name` with its final mode, created exclusively and never through a link.
fn create_file(
    into: &Path,
    name: &Path,
    mode: u32,
    options: &ExtractOptions,
) -> Result<std::fs::File, ExtractError> {
    make_way(into, name, options, true)?;
    let destination = into.join(name);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&destination)
        .map_err(write_error(&destination))
}

/// Streams an entry's data into `file`; the mode was set at creation. The umask may have
/// cleared bits of it, so the masked mode is set once more through the open file itself.
fn write_body<R: Read>(
    entry: &mut tar::Entry<'_, R>,
    mut file: std::fs::File,
    into: &Path,
    destination: &Path,
) -> Result<u64, ExtractError> {
    let mode = entry.header().mode().unwrap_or(0o600) & 0o777;
    let mut buffer = vec![0u8; 64 * 1024];
    let mut total = 0u64;
    loop {
        let read = match entry.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(unreadable(into, e)),
        };
        file.write_all(&buffer[..read])
            .map_err(write_error(destination))?;
        total += read as u64;
    }
    if entry.header().size().is_ok_and(|size| size != total) {
        return Err(unreadable(
            into,
            std::io::Error::other(format!(
                "{} ends after {total} bytes: the stream is truncated",
                destination.display()
            )),
        ));
    }
    file.set_permissions(std::fs::Permissions::from_mode(mode))
        .map_err(write_error(destination))?;
    Ok(total)
}

/// A hard link entry becomes a copy of the file this extraction wrote under `source`.
fn copy_written(
    into: &Path,
    source: &Path,
    checked: &Checked,
    options: &ExtractOptions,
) -> Result<u64, ExtractError> {
    let from = into.join(source);
    no_link_on_the_way(into, source)?;
    let mut original = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW)
        .open(&from)
        .map_err(write_error(&from))?;
    let mut copy = create_file(into, &checked.name, checked.mode, options)?;
    std::io::copy(&mut original, &mut copy).map_err(write_error(&into.join(&checked.name)))
}

/// Sets a directory's masked mode through a descriptor opened without following links.
fn set_dir_mode(into: &Path, name: &Path, mode: u32) -> Result<(), ExtractError> {
    let path = into.join(name);
    let dir = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NOFOLLOW | nix::libc::O_DIRECTORY)
        .open(&path)
        .map_err(write_error(&path))?;
    dir.set_permissions(std::fs::Permissions::from_mode(mode & 0o777))
        .map_err(write_error(&path))
}

/// Reads the entry `name` of an archive into memory, after checking every entry's name as
/// [`scan`] does; refuses an entry larger than `limit` bytes without reading it (a gzip bomb
/// declares its size, and a lying header is cut off at the limit).
pub fn read_entry<R: Read>(
    reader: R,
    name: &Path,
    limit: u64,
    target: &Path,
) -> Result<Option<Vec<u8>>, ExtractError> {
    let options = ExtractOptions {
        replace_files: false,
        links: LinkTargets::Inside,
    };
    let mut archive = tar::Archive::new(reader);
    let mut found = None;
    let mut files = HashSet::new();
    for entry in archive.entries().map_err(|e| unreadable(target, e))? {
        let entry = entry.map_err(|e| unreadable(target, e))?;
        let Some(checked) = check_header(&entry, target, &options, &files)? else {
            continue;
        };
        if checked.what == What::File {
            files.insert(checked.name.clone());
        }
        if checked.name != name || checked.what != What::File {
            continue;
        }
        let declared = entry.header().size().unwrap_or(u64::MAX);
        if declared > limit {
            return Err(refused(
                &checked.name,
                target,
                format!(
                    "declares {declared} bytes, more than the {limit} a file of its kind may hold"
                ),
            ));
        }
        let mut bytes = Vec::new();
        entry
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| unreadable(target, e))?;
        found = Some(bytes);
    }
    Ok(found)
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod tests;
