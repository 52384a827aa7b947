//! A local etcd image for container drills, made with `docker import` from this host's own
//! etcd, etcdctl and busybox: no registry can be reached, and none is needed.
//!
//! The image holds the binaries with the shared libraries they link (from `ldd`), and
//! busybox's `sh` and `tar`, so `docker exec` can run what the procedure runs on a real
//! container-based install.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use color_eyre::eyre::{Result, WrapErr, bail, eyre};

/// Builds the image unless it exists; returns its name (`lifeboat/etcd:<version>`).
pub fn ensure_etcd_image() -> Result<String> {
    let etcd =
        which::which("etcd").wrap_err("etcd is not installed (apt-get install etcd-server)")?;
    let etcdctl = which::which("etcdctl")
        .wrap_err("etcdctl is not installed (apt-get install etcd-client)")?;
    let busybox = ["/bin/busybox", "/usr/bin/busybox"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or_else(|| eyre!("busybox is not installed (apt-get install busybox-static)"))?;
    let version = etcd_version(&etcd)?;
    let image = format!("lifeboat/etcd:{version}");
    let exists = Command::new("docker")
        .args(["image", "inspect", &image])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .wrap_err("running docker (is docker installed?)")?;
    if exists.success() {
        return Ok(image);
    }

    let mut archive = tar::Builder::new(Vec::new());
    archive.follow_symlinks(true);
    // Both binaries link libc; each library goes in once.
    let mut added = std::collections::BTreeSet::new();
    for binary in [&etcd, &etcdctl] {
        append_binary(&mut archive, binary, &mut added)?;
    }
    archive
        .append_path_with_name(&busybox, "bin/busybox")
        .wrap_err("adding busybox")?;
    for applet in [
        "sh", "tar", "ls", "cat", "sleep", "mkdir", "rm", "cp", "chown", "id", "env", "test",
    ] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Symlink);
        header.set_size(0);
        header.set_mode(0o777);
        archive
            .append_link(&mut header, format!("bin/{applet}"), "busybox")
            .wrap_err("adding a busybox applet link")?;
    }
    for dir in ["tmp", "var/lib/etcd", "etc/etcd"] {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(tar::EntryType::Directory);
        header.set_size(0);
        header.set_mode(0o1777);
        archive
            .append_data(&mut header, dir, std::io::empty())
            .wrap_err("adding a directory")?;
    }
    let bytes = archive
        .into_inner()
        .wrap_err("finishing the image archive")?;

    let mut import = Command::new("docker")
        .args([
            "import",
            "--change",
            "ENV PATH=/usr/local/bin:/bin",
            "-",
            &image,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .wrap_err("running docker import")?;
    if let Some(mut stdin) = import.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(&bytes)
            .wrap_err("sending the archive to docker import")?;
    }
    let output = import
        .wait_with_output()
        .wrap_err("waiting for docker import")?;
    if !output.status.success() {
        bail!(
            "docker import failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(image)
}

/// A tar of `binary` at `usr/local/bin/NAME` with the shared libraries it links, to unpack into
/// a container of the etcd image (`docker cp - CONTAINER:/`): how a drill puts lifeboat itself
/// on a container that plays a host.
pub fn binary_tar(binary: &Path) -> Result<Vec<u8>> {
    let mut archive = tar::Builder::new(Vec::new());
    archive.follow_symlinks(true);
    // Docker's extractor refuses GNU sparse entries, which a large debug binary becomes.
    archive.sparse(false);
    append_binary(&mut archive, binary, &mut std::collections::BTreeSet::new())?;
    archive.into_inner().wrap_err("finishing the archive")
}

/// Adds `binary` as `usr/local/bin/NAME` and each library it links not yet in `added`.
fn append_binary(
    archive: &mut tar::Builder<Vec<u8>>,
    binary: &Path,
    added: &mut std::collections::BTreeSet<PathBuf>,
) -> Result<()> {
    let name = binary
        .file_name()
        .ok_or_else(|| eyre!("{} has no file name", binary.display()))?;
    archive
        .append_path_with_name(binary, Path::new("usr/local/bin").join(name))
        .wrap_err_with(|| format!("adding {}", binary.display()))?;
    for library in linked_libraries(binary)? {
        let inside = library.strip_prefix("/").unwrap_or(&library).to_path_buf();
        if added.insert(inside.clone()) {
            archive
                .append_path_with_name(&library, &inside)
                .wrap_err_with(|| format!("adding {}", library.display()))?;
        }
    }
    Ok(())
}

fn etcd_version(etcd: &Path) -> Result<String> {
    let output = Command::new(etcd)
        .arg("--version")
        .output()
        .wrap_err("running etcd --version")?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.lines()
        .find_map(|line| line.strip_prefix("etcd Version: "))
        .map(|v| v.trim().to_string())
        .ok_or_else(|| eyre!("cannot read the version from `etcd --version`: {text}"))
}

/// The shared libraries `binary` loads, as absolute paths (including the dynamic loader).
fn linked_libraries(binary: &Path) -> Result<Vec<PathBuf>> {
    let output = Command::new("ldd")
        .arg(binary)
        .output()
        .wrap_err("running ldd")?;
    let text = String::from_utf8_lossy(&output.stdout);
    if text.contains("not a dynamic executable") || text.contains("statically linked") {
        return Ok(Vec::new());
    }
    Ok(text
        .lines()
        .filter_map(|line| {
            let path = match line.split_once("=>") {
                Some((_, rest)) => rest.split_whitespace().next(),
                None => line.split_whitespace().next(),
            }?;
            path.starts_with('/').then(|| PathBuf::from(path))
        })
        .collect())
}
