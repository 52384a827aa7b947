//! Where things are in a sandbox directory, for every part of the sandbox: the members'
//! lifecycle, its state and the emulated API server all read the same CA.

use std::path::{Path, PathBuf};

/// The sandbox's CA, laid out like `/etc/etcd/ca` (`ca.crt`, `ca.key`).
pub fn ca_dir(dir: &Path) -> PathBuf {
    dir.join("ca")
}
