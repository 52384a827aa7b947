//! What validation may ask the host: whether a path exists and how much room a disk has.
//! Behind a trait so that the rules are tested with a made-up host.

use std::path::Path;

pub trait HostProbe {
    fn exists(&self, path: &Path) -> bool;
    fn is_dir(&self, path: &Path) -> bool;
    /// Free bytes of the filesystem that holds `path` (or its nearest existing parent).
    fn free_bytes(&self, path: &Path) -> Option<u64>;
    /// Whether something on this host listens on 127.0.0.1/0.0.0.0 `port` already.
    fn port_in_use(&self, port: u16) -> bool;
}

/// This host. Each call is one `stat` or one `bind`: cheap enough for a key press.
pub struct RealHost;

impl HostProbe for RealHost {
    fn exists(&self, path: &Path) -> bool {
        path.symlink_metadata().is_ok()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn free_bytes(&self, path: &Path) -> Option<u64> {
        let existing = path.ancestors().find(|p| p.exists())?;
        crate::facts::host::disk_space(existing)
            .ok()
            .map(|d| d.free_bytes)
    }

    fn port_in_use(&self, port: u16) -> bool {
        std::net::TcpListener::bind(("0.0.0.0", port)).is_err()
    }
}

#[cfg(test)]
pub mod tests {
    use std::path::{Path, PathBuf};

    use super::HostProbe;

    /// A host of a few paths (a trailing `/` makes a directory) and one disk.
    pub struct FakeHost {
        pub paths: Vec<PathBuf>,
        pub dirs: Vec<PathBuf>,
        pub free: u64,
        pub busy_ports: Vec<u16>,
    }

    impl FakeHost {
        pub fn with(paths: &[&str], free: u64) -> Self {
            FakeHost {
                paths: paths
                    .iter()
                    .map(|p| PathBuf::from(p.trim_end_matches('/')))
                    .collect(),
                dirs: paths
                    .iter()
                    .filter(|p| p.ends_with('/'))
                    .map(|p| PathBuf::from(p.trim_end_matches('/')))
                    .collect(),
                free,
                busy_ports: Vec::new(),
            }
        }
    }

    impl HostProbe for FakeHost {
        fn exists(&self, path: &Path) -> bool {
            self.paths.iter().any(|p| p == path)
        }
        fn is_dir(&self, path: &Path) -> bool {
            self.dirs.iter().any(|p| p == path)
        }
        fn free_bytes(&self, _: &Path) -> Option<u64> {
            Some(self.free)
        }
        fn port_in_use(&self, port: u16) -> bool {
            self.busy_ports.contains(&port)
        }
    }
}
