//! The checks of one archive entry that need no disk: its name, its type, its mode and where
//! its link points. [`super::extract`] then checks the disk (links on the way) and writes.

use std::collections::HashSet;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

use super::extract::{ExtractError, ExtractOptions, LinkTargets};

pub(super) fn refused(entry: &Path, target: &Path, reason: impl Into<String>) -> ExtractError {
    ExtractError::Refused {
        entry: entry.to_path_buf(),
        reason: reason.into(),
        target: target.to_path_buf(),
    }
}

pub(super) fn unreadable(target: &Path, error: std::io::Error) -> ExtractError {
    ExtractError::Unreadable {
        detail: error.to_string(),
        target: target.to_path_buf(),
    }
}

/// An entry name made relative and plain (`./a/b` is `a/b`); `None` when it is absolute or
/// climbs with `..`.
pub fn plain_name(path: &Path) -> Option<PathBuf> {
    let mut plain = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => plain.push(part),
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) | Component::ParentDir => return None,
        }
    }
    Some(plain)
}

/// Whether the link `name -> target` resolves inside the directory it is extracted into.
fn link_stays_inside(name: &Path, target: &Path) -> bool {
    if target.is_absolute() {
        return false;
    }
    let mut depth = name.components().count().saturating_sub(1) as i64;
    for component in target.components() {
        match component {
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::ParentDir => depth -= 1,
            Component::RootDir | Component::Prefix(_) => return false,
        }
        if depth < 0 {
            return false;
        }
    }
    true
}

/// The checks that need no disk: name, type, mode and link target. Returns the plain name,
/// the masked mode and (for links) the target.
pub(super) fn check_header<R: Read>(
    entry: &tar::Entry<'_, R>,
    target: &Path,
    options: &ExtractOptions,
    written: &HashSet<PathBuf>,
) -> Result<Option<Checked>, ExtractError> {
    let raw = entry
        .path()
        .map_err(|e| unreadable(target, e))?
        .into_owned();
    let name = plain_name(&raw).ok_or_else(|| {
        refused(
            &raw,
            target,
            "is absolute or climbs out with `..`, which would land outside the directory",
        )
    })?;
    let header = entry.header();
    let kind = header.entry_type();
    if matches!(
        kind,
        tar::EntryType::XGlobalHeader
            | tar::EntryType::XHeader
            | tar::EntryType::GNULongName
            | tar::EntryType::GNULongLink
    ) {
        return Ok(None);
    }
    let mode = header
        .mode()
        .map_err(|e| refused(&raw, target, format!("has an unreadable mode ({e})")))?
        & 0o777;
    let link = entry
        .link_name()
        .map_err(|e| refused(&raw, target, format!("has an unreadable link target ({e})")))?
        .map(|l| l.into_owned());
    let what = match kind {
        tar::EntryType::Regular | tar::EntryType::Continuous => What::File,
        tar::EntryType::Directory => What::Dir,
        tar::EntryType::Symlink => {
            let link = link.ok_or_else(|| refused(&raw, target, "is a link without a target"))?;
            if options.links == LinkTargets::Inside && !link_stays_inside(&name, &link) {
                return Err(refused(
                    &raw,
                    target,
                    format!("is a link to {link:?}, which points outside the directory"),
                ));
            }
            What::Symlink(link)
        }
        tar::EntryType::Link => {
            let link = link.ok_or_else(|| refused(&raw, target, "is a link without a target"))?;
            let source = plain_name(&link).filter(|s| written.contains(s));
            What::HardLink(source.ok_or_else(|| {
                refused(
                    &raw,
                    target,
                    format!(
                        "is a hard link to {link:?}, which is not a regular file written earlier \
                         by this archive (it could copy any host file)"
                    ),
                )
            })?)
        }
        other => {
            return Err(refused(
                &raw,
                target,
                format!(
                    "is a {other:?} (a device, fifo or other special file), which holds no data to keep"
                ),
            ));
        }
    };
    if name.as_os_str().is_empty() && what != What::Dir {
        return Err(refused(&raw, target, "has no name"));
    }
    Ok(Some(Checked { name, mode, what }))
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum What {
    File,
    Dir,
    Symlink(PathBuf),
    HardLink(PathBuf),
}

pub(super) struct Checked {
    pub(super) name: PathBuf,
    pub(super) mode: u32,
    pub(super) what: What,
}
