//! File writing that never leaves a half-written file behind.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use color_eyre::eyre::{Result, WrapErr, eyre};

/// Writes `bytes` to `path` through a temporary file in the same directory, fsyncs it, renames
/// it into place and fsyncs the directory: readers see the old file or the new one, never a
/// torn one. The file is created with `mode` (0600 for anything holding keys).
pub fn write_atomically(path: &Path, bytes: &[u8], mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| eyre!("{} has no parent directory", path.display()))?;
    fs::create_dir_all(dir).wrap_err_with(|| format!("creating {}", dir.display()))?;
    let file_name = path
        .file_name()
        .ok_or_else(|| eyre!("{} has no file name", path.display()))?;
    let temporary = dir.join(format!(".{}.partial", file_name.to_string_lossy()));
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(mode)
        .open(&temporary)
        .wrap_err_with(|| format!("creating {}", temporary.display()))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .wrap_err_with(|| format!("writing {}", temporary.display()))?;
    fs::rename(&temporary, path)
        .wrap_err_with(|| format!("moving {} into place", path.display()))?;
    sync_dir(dir)
}

/// `path` without trailing slashes or `.` components: `/var/lib/etcd/` (as real etcd.conf
/// files write ETCD_DATA_DIR) is `/var/lib/etcd`.
pub fn normalized(path: &Path) -> std::path::PathBuf {
    path.components().collect()
}

/// The sibling of `path` named with `suffix` added: `/var/lib/etcd/` and `.orig` give
/// `/var/lib/etcd.orig`, never `/var/lib/etcd/.orig` inside the directory being moved.
pub fn sibling(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = normalized(path).into_os_string();
    name.push(suffix);
    name.into()
}

/// Makes a rename or a new file in `dir` survive a crash.
pub fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .wrap_err_with(|| format!("syncing directory {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn siblings_of_a_directory_with_a_trailing_slash_are_beside_it() {
        assert_eq!(
            sibling(Path::new("/var/lib/etcd/"), ".orig"),
            Path::new("/var/lib/etcd.orig")
        );
        assert_eq!(
            sibling(Path::new("/backups/b1//"), ".partial"),
            Path::new("/backups/b1.partial")
        );
        assert_eq!(
            sibling(Path::new("rel/./dir/"), ".bak"),
            Path::new("rel/dir.bak")
        );
        assert_eq!(
            normalized(Path::new("/var/lib/etcd/")),
            Path::new("/var/lib/etcd")
        );
    }

    #[test]
    fn writes_with_the_requested_mode_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub/key.pem");
        write_atomically(&path, b"secret", 0o600).expect("writes");
        assert_eq!(fs::read(&path).expect("reads"), b"secret");
        let mode = fs::metadata(&path).expect("stat").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .expect("lists")
            .map(|e| e.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["key.pem"]);
    }
}
