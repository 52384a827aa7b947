//! Tar archives of host files (certificates and keys, installation files), written without a
//! shell, and extracted without letting any entry escape its target directory.

use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};

use super::extract::{
    ExtractOptions, LinkTargets, MEMORY_ENTRY_LIMIT, extract, no_link_on_the_way, read_entry, scan,
};

/// Archives `entries` (relative to `base`, as `tar cf ARCHIVE -C base entries...` would) into
/// `to`, created with `mode`; modes and times of the files are kept. The archive is written
/// under a temporary name and renamed when complete.
pub fn write_archive(base: &Path, entries: &[PathBuf], to: &Path, mode: u32) -> Result<u64> {
    write_through_partial(to, "tar.partial", mode, |file| {
        let mut builder = tar::Builder::new(file);
        builder.follow_symlinks(false);
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
        builder.into_inner().wrap_err("finishing the archive")
    })
}

/// Creates `to`'s temporary sibling (`.<extension>`, with `mode`), lets `write` fill it, syncs
/// it and renames it into place; a failure removes the temporary file. Returns the size.
fn write_through_partial(
    to: &Path,
    extension: &str,
    mode: u32,
    write: impl FnOnce(std::fs::File) -> Result<std::fs::File>,
) -> Result<u64> {
    let partial = to.with_extension(extension);
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(&partial)
        .wrap_err_with(|| format!("creating {}", partial.display()))?;
    let result = write(file).and_then(|file| file.sync_all().wrap_err("syncing the archive"));
    if let Err(error) = result {
        let _ = std::fs::remove_file(&partial);
        return Err(error);
    }
    std::fs::rename(&partial, to)
        .wrap_err_with(|| format!("moving {} into place", to.display()))?;
    // A join bundle is the way forward once the failed member is removed: it must survive a
    // crash right after it was written.
    if let Some(parent) = to.parent().filter(|p| !p.as_os_str().is_empty()) {
        crate::fsutil::sync_dir(parent)?;
    }
    Ok(std::fs::metadata(to).map(|m| m.len()).unwrap_or(0))
}

/// Opens a tar archive, gzipped (`.tgz`) or not: gzip's magic bytes decide.
fn open_tar(archive: &Path) -> Result<Box<dyn std::io::Read>> {
    use std::io::{Read, Seek};
    let mut file =
        std::fs::File::open(archive).wrap_err_with(|| format!("opening {}", archive.display()))?;
    let mut magic = [0u8; 2];
    let gzipped = file.read_exact(&mut magic).is_ok() && magic == [0x1f, 0x8b];
    file.rewind()
        .wrap_err_with(|| format!("reading {}", archive.display()))?;
    let reader: Box<dyn std::io::Read> = if gzipped {
        Box::new(flate2::read::GzDecoder::new(file))
    } else {
        Box::new(file)
    };
    Ok(reader)
}

/// Archives everything in `dir` as `tar czf to -C dir .` would, created 0600 under a temporary
/// name and renamed when complete.
pub fn write_tgz(dir: &Path, to: &Path) -> Result<u64> {
    write_through_partial(to, "tgz.partial", 0o600, |file| {
        let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
        let mut builder = tar::Builder::new(gz);
        builder.follow_symlinks(false);
        builder
            .append_dir_all(".", dir)
            .wrap_err_with(|| format!("archiving {}", dir.display()))?;
        builder
            .into_inner()
            .and_then(|gz| gz.finish())
            .wrap_err("finishing the archive")
    })
}

/// The rules for archives lifeboat wrote itself and reads back from shared storage or
/// another host (certificates, join bundles): links stay inside, files may replace old ones.
const BUNDLE_RULES: ExtractOptions = ExtractOptions {
    replace_files: true,
    links: LinkTargets::Inside,
};

/// Reads one small file out of an archive without extracting anything, after checking every
/// entry's name as [`extract_safely`] would; an entry over [`MEMORY_ENTRY_LIMIT`] is refused
/// rather than read (a gzip bomb in join.json).
pub fn read_member(archive: &Path, name: &str) -> Result<Option<String>> {
    let bytes = read_entry(
        open_tar(archive)?,
        Path::new(name),
        MEMORY_ENTRY_LIMIT,
        archive,
    )
    .wrap_err_with(|| format!("reading {name} in {}", archive.display()))?;
    bytes
        .map(|bytes| {
            String::from_utf8(bytes)
                .wrap_err_with(|| format!("{name} in {} is not UTF-8 text", archive.display()))
        })
        .transpose()
}

/// Every entry name of `archive`, or an error naming the first one that would land outside
/// `target` (absolute, climbing out with `..`, a link pointing outside, a hard link to what
/// the archive did not write, a device or fifo). Nothing is written.
pub fn check_entries(archive: &Path, target: &Path) -> Result<Vec<PathBuf>> {
    let refusing = || format!("refusing the whole archive {}", archive.display());
    let names = scan(open_tar(archive)?, target, &BUNDLE_RULES).wrap_err_with(refusing)?;
    // A link already in the target (a certificate linked elsewhere) is refused here too, so
    // that nothing is written, nor any old file saved, before the refusal.
    for name in &names {
        no_link_on_the_way(target, name).wrap_err_with(refusing)?;
    }
    Ok(names)
}

/// Extracts `archive` (a tar, gzipped or not) into `target` with the one safe extractor,
/// after checking every entry first so that a hostile entry refuses the archive before
/// anything is written. Modes are kept, masked to 0o777.
pub fn extract_safely(archive: &Path, target: &Path) -> Result<Vec<PathBuf>> {
    check_entries(archive, target)?;
    let extracted = extract(open_tar(archive)?, target, &BUNDLE_RULES, &mut |_| {})
        .wrap_err_with(|| format!("extracting {} into {}", archive.display(), target.display()))?;
    Ok(extracted.entries)
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
        assert!(format!("{error:#}").contains("outside"), "{error:#}");
        assert!(!dir.path().join("escaped").exists());
    }

    #[test]
    fn certificates_and_join_bundles_lose_setuid_setgid_and_sticky_bits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("certs.tar");
        let mut builder = tar::Builder::new(std::fs::File::create(&path).expect("creates"));
        let mut header = tar::Header::new_gnu();
        header.set_size(3);
        header.set_mode(0o6755);
        builder
            .append_data(&mut header, "helper", &b"#!\n"[..])
            .expect("appends");
        builder.finish().expect("finishes");
        let target = dir.path().join("target");
        std::fs::create_dir_all(&target).expect("mkdir");
        extract_safely(&path, &target).expect("extracts");
        let mode = std::fs::metadata(target.join("helper"))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o7777, 0o755);
    }

    #[test]
    fn a_link_already_in_the_target_refuses_the_archive_before_anything_is_written() {
        let dir = tempfile::tempdir().expect("tempdir");
        let base = dir.path().join("master");
        std::fs::create_dir_all(&base).expect("mkdir");
        std::fs::write(base.join("a.crt"), "a").expect("writes");
        std::fs::write(base.join("z.key"), "z").expect("writes");
        let archive = dir.path().join("certs.tar");
        write_archive(&base, &["a.crt".into(), "z.key".into()], &archive, 0o600).expect("archives");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "not a key").expect("writes");
        let target = dir.path().join("target");
        std::fs::create_dir_all(&target).expect("mkdir");
        std::os::unix::fs::symlink(&elsewhere, target.join("z.key")).expect("links");
        let error = extract_safely(&archive, &target).expect_err("refused");
        assert!(format!("{error:#}").contains("z.key"), "{error:#}");
        assert!(
            !target.join("a.crt").exists(),
            "nothing written before the refusal"
        );
        assert_eq!(
            std::fs::read_to_string(&elsewhere).expect("reads"),
            "not a key"
        );
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
