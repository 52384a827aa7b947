//! Tar archives of host files (certificates and keys, installation files), written without a
//! shell, and extracted without letting any entry escape its target directory.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, bail};

/// Archives `entries` (relative to `base`, as `tar cf ARCHIVE -C base entries...` would) into
/// `to`, created with `mode`; modes and times of the files are kept. The archive is written
/// under a temporary name and renamed when complete.
pub fn write_archive(base: &Path, entries: &[PathBuf], to: &Path, mode: u32) -> Result<u64> {
    let partial = to.with_extension("tar.partial");
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&partial)
        .wrap_err_with(|| format!("creating {}", partial.display()))?;
    let mut builder = tar::Builder::new(file);
    builder.follow_symlinks(false);
    let result = (|| -> Result<()> {
        for entry in entries {
            let source = base.join(entry);
            if source.is_dir() {
                builder
                    .append_dir_all(entry, &source)
                    .wrap_err_with(|| format!("archiving {}", source.display()))?;
            } else {
                builder
                    .append_path_with_name(&source, entry)
                    .wrap_err_with(|| format!("archiving {}", source.display()))?;
            }
        }
        let file = builder.into_inner().wrap_err("finishing the archive")?;
        file.sync_all().wrap_err("syncing the archive")
    })();
    if let Err(error) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    std::fs::rename(&partial, to)
        .wrap_err_with(|| format!("moving {} into place", to.display()))?;
    Ok(std::fs::metadata(to).map(|m| m.len()).unwrap_or(0))
}

/// Whether `path` stays inside the directory it is joined to: relative, and no `..`.
fn stays_inside(path: &Path) -> bool {
    path.components()
        .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// Extracts `archive` into `target`, refusing the whole archive before writing anything if any
/// entry is absolute, climbs out with `..`, or is a link pointing outside. Modes are kept.
pub fn extract_safely(archive: &Path, target: &Path) -> Result<Vec<PathBuf>> {
    let open = || {
        std::fs::File::open(archive)
            .map(tar::Archive::new)
            .wrap_err_with(|| format!("opening {}", archive.display()))
    };
    let mut names = Vec::new();
    let mut check = open()?;
    for entry in check.entries().wrap_err("reading the archive")? {
        let entry = entry.wrap_err("reading an archive entry")?;
        let path = entry.path().wrap_err("reading an entry name")?.into_owned();
        if !stays_inside(&path) {
            bail!(
                "{} holds {:?}, which would land outside {}: refusing the whole archive",
                archive.display(),
                path,
                target.display()
            );
        }
        if let Some(link) = entry.link_name().wrap_err("reading a link target")? {
            let resolved = path.parent().unwrap_or(Path::new("")).join(&link);
            if link.is_absolute() || !stays_inside(&resolved) || resolved.components().count() == 0
            {
                bail!(
                    "{} holds a link {:?} -> {:?} pointing outside {}: refusing the whole archive",
                    archive.display(),
                    path,
                    link,
                    target.display()
                );
            }
        }
        names.push(path);
    }
    let mut archive_reader = open()?;
    archive_reader.set_preserve_permissions(true);
    archive_reader.set_overwrite(true);
    archive_reader
        .unpack(target)
        .wrap_err_with(|| format!("extracting {} into {}", archive.display(), target.display()))?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn archives_with_modes_and_extracts_them_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().join("master");
        std::fs::create_dir_all(&base).expect("mkdir");
        std::fs::write(base.join("ca.key"), "key").expect("writes");
        std::fs::set_permissions(base.join("ca.key"), std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        std::fs::write(base.join("ca.crt"), "cert").expect("writes");
        let archive = dir.path().join("certs.tar");
        write_archive(&base, &["ca.crt".into(), "ca.key".into()], &archive, 0o600)
            .expect("archives");
        assert_eq!(
            std::fs::metadata(&archive)
                .expect("stat")
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
        let target = dir.path().join("restored");
        std::fs::create_dir_all(&target).expect("mkdir");
        let names = extract_safely(&archive, &target).expect("extracts");
        assert_eq!(names.len(), 2);
        assert_eq!(
            std::fs::read_to_string(target.join("ca.key")).expect("reads"),
            "key"
        );
        assert_eq!(
            std::fs::metadata(target.join("ca.key"))
                .expect("stat")
                .permissions()
                .mode()
                & 0o777,
            0o600
        );
    }

    fn archive_with(dir: &Path, name: &str, link: Option<&str>) -> PathBuf {
        let path = dir.join("evil.tar");
        let mut builder = tar::Builder::new(std::fs::File::create(&path).expect("creates"));
        let mut header = tar::Header::new_gnu();
        header.set_size(if link.is_some() { 0 } else { 4 });
        header.set_mode(0o644);
        match link {
            Some(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                builder
                    .append_link(&mut header, name, target)
                    .expect("appends");
            }
            None => {
                // `append_data` refuses `..`, so the raw name is written as an attacker would.
                let bytes = header.as_old_mut().name.as_mut();
                bytes[..name.len()].copy_from_slice(name.as_bytes());
                header.set_cksum();
                builder.append(&header, &b"evil"[..]).expect("appends");
            }
        }
        builder.finish().expect("finishes");
        path
    }

    #[test]
    fn refuses_entries_that_climb_out() {
        let dir = tempfile::tempdir().expect("tempdir");
        let archive = archive_with(dir.path(), "../escaped", None);
        let target = dir.path().join("target");
        std::fs::create_dir_all(&target).expect("mkdir");
        let error = extract_safely(&archive, &target).expect_err("refused");
        assert!(error.to_string().contains("outside"), "{error}");
        assert!(!dir.path().join("escaped").exists());
    }

    #[test]
    fn refuses_links_that_point_outside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("target");
        std::fs::create_dir_all(&target).expect("mkdir");
        for link in ["/etc/passwd", "../../etc"] {
            let archive = archive_with(dir.path(), "innocent", Some(link));
            assert!(extract_safely(&archive, &target).is_err(), "{link}");
        }
    }
}
