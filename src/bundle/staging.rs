//! Staging directories (`OUT.partial`) claimed by one run and cleaned up only by that run.
//!
//! The claim is `create_dir` itself, which fails when the directory exists: checking first and
//! creating after would let two runs both believe they own it. The claiming run then holds an
//! exclusive `flock` on the directory until it ends, so a second run can tell a directory in use
//! ("another run is writing it now") from one an earlier run left behind ("look inside, then
//! remove it"). Cleanup removes a staging directory only if this process claimed it and it is
//! still the same directory: never what an earlier or a concurrent run made.

use std::fs::File;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use nix::fcntl::{Flock, FlockArg};

/// A staging directory this process created, locked for as long as the claim lives.
#[derive(Debug)]
pub struct Claim {
    path: PathBuf,
    /// Identifies the directory that was created, so that a directory swapped in under the
    /// same name is never removed.
    dev_ino: (u64, u64),
    _lock: Flock<File>,
}

impl Claim {
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Removes the directory if it is still the one this claim created; says what it did.
    pub fn discard(self) -> Result<String, String> {
        match std::fs::symlink_metadata(&self.path) {
            Err(_) => Ok("nothing unfinished left behind".into()),
            Ok(metadata) if (metadata.dev(), metadata.ino()) != self.dev_ino => Ok(format!(
                "{} is no longer the directory this run created: left alone",
                self.path.display()
            )),
            Ok(_) => std::fs::remove_dir_all(&self.path)
                .map(|()| format!("removed the unfinished {}", self.path.display()))
                .map_err(|e| format!("removing {}: {e}", self.path.display())),
        }
    }
}

fn open_dir(path: &Path) -> std::io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_DIRECTORY | nix::libc::O_NOFOLLOW)
        .open(path)
}

/// Claims `staging` for the bundle `out`: refuses when `out` exists, creates `staging` (0700,
/// so a bundle holding keys is never readable by others while it is assembled) and locks it.
pub fn claim(staging: &Path, out: &Path) -> Result<Claim, String> {
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(format!(
            "{} already exists: lifeboat never writes over a bundle; choose another --out",
            out.display()
        ));
    }
    if let Some(parent) = staging.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", staging.display()))?;
    }
    match std::fs::DirBuilder::new().mode(0o700).create(staging) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(already_there(staging));
        }
        Err(e) => return Err(format!("creating {}: {e}", staging.display())),
    }
    let locked = open_dir(staging).and_then(|dir| {
        let metadata = dir.metadata()?;
        Flock::lock(dir, FlockArg::LockExclusiveNonblock)
            .map(|lock| (lock, (metadata.dev(), metadata.ino())))
            .map_err(|(_, errno)| std::io::Error::from(errno))
    });
    match locked {
        Ok((lock, dev_ino)) => Ok(Claim {
            path: staging.to_path_buf(),
            dev_ino,
            _lock: lock,
        }),
        Err(error) => {
            // Created a moment ago by this call: it is ours to take back.
            let _ = std::fs::remove_dir(staging);
            Err(format!("locking {}: {error}", staging.display()))
        }
    }
}

/// Why an existing staging directory is not taken: in use by a running lifeboat (it holds the
/// lock), or left by one that did not finish.
fn already_there(staging: &Path) -> String {
    let in_use = open_dir(staging)
        .ok()
        .map(|dir| Flock::lock(dir, FlockArg::LockExclusiveNonblock).is_err())
        .unwrap_or(false);
    if in_use {
        format!(
            "{} is being written by another lifeboat run right now; wait for it to finish or \
             choose another --out (nothing was changed)",
            staging.display()
        )
    } else {
        format!(
            "{} is left from an earlier run that did not finish; look inside, then remove it \
             (lifeboat does not remove what it did not create)",
            staging.display()
        )
    }
}

/// Claims held by this process's runs, by staging path, until their cleanup step.
static HELD: Mutex<Vec<Claim>> = Mutex::new(Vec::new());

/// [`claim`], kept by the process until [`discard_held`] is called for the same path.
pub fn claim_held(staging: &Path, out: &Path) -> Result<(), String> {
    let claim = claim(staging, out)?;
    HELD.lock().unwrap_or_else(|p| p.into_inner()).push(claim);
    Ok(())
}

/// The cleanup of a run: removes `staging` only when this process claimed it, and releases the
/// claim either way.
pub fn discard_held(staging: &Path) -> Result<String, String> {
    let claim = {
        let mut held = HELD.lock().unwrap_or_else(|p| p.into_inner());
        held.iter()
            .position(|c| c.path == staging)
            .map(|at| held.remove(at))
    };
    match claim {
        Some(claim) => claim.discard(),
        None if std::fs::symlink_metadata(staging).is_ok() => Ok(format!(
            "{} was not created by this run: left alone",
            staging.display()
        )),
        None => Ok("nothing unfinished left behind".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn the_claim_is_atomic_private_and_tells_in_use_from_left_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("b1");
        let staging = dir.path().join("b1.partial");
        let first = claim(&staging, &out).expect("claims");
        let mode = std::fs::metadata(&staging)
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
        let second = claim(&staging, &out).expect_err("taken");
        assert!(second.contains("another lifeboat run"), "{second}");
        drop(first);
        let third = claim(&staging, &out).expect_err("left over");
        assert!(third.contains("left from an earlier run"), "{third}");
        assert!(staging.exists());
    }

    #[test]
    fn cleanup_removes_only_what_this_process_claimed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let left = dir.path().join("left.partial");
        std::fs::create_dir(&left).expect("mkdir");
        std::fs::write(left.join("keep"), "evidence").expect("writes");
        let said = discard_held(&left).expect("cleans");
        assert!(said.contains("left alone"), "{said}");
        assert!(left.join("keep").exists());

        let mine = dir.path().join("mine.partial");
        claim_held(&mine, &dir.path().join("mine")).expect("claims");
        std::fs::write(mine.join("half"), "x").expect("writes");
        discard_held(&mine).expect("cleans");
        assert!(!mine.exists());
    }

    #[test]
    fn a_directory_swapped_in_under_the_claimed_name_is_left_alone() {
        let dir = tempfile::tempdir().expect("tempdir");
        let staging = dir.path().join("s.partial");
        let claimed = claim(&staging, &dir.path().join("s")).expect("claims");
        std::fs::remove_dir(&staging).expect("removes");
        std::fs::create_dir(&staging).expect("someone else's");
        let said = claimed.discard().expect("cleans");
        assert!(said.contains("left alone"), "{said}");
        assert!(staging.exists());
    }

    #[test]
    fn an_existing_bundle_is_refused_before_anything_is_created() {
        let dir = tempfile::tempdir().expect("tempdir");
        let out = dir.path().join("done");
        std::fs::create_dir(&out).expect("mkdir");
        let error = claim(&dir.path().join("done.partial"), &out).expect_err("refused");
        assert!(error.contains("already exists"), "{error}");
        assert!(!dir.path().join("done.partial").exists());
    }
}
