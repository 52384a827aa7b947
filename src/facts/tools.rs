//! Which command-line tools this host has, found with `which` once per run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tools {
    pub etcd: Option<PathBuf>,
    pub etcdctl: Option<PathBuf>,
    pub etcdutl: Option<PathBuf>,
    pub docker: Option<PathBuf>,
    pub systemctl: Option<PathBuf>,
}

impl Tools {
    pub fn discover() -> Self {
        let find = |name| which::which(name).ok();
        Tools {
            etcd: find("etcd"),
            etcdctl: find("etcdctl"),
            etcdutl: find("etcdutl"),
            docker: find("docker"),
            systemctl: find("systemctl"),
        }
    }
}

/// What the snapshot restore of this host can do, asked of the tool itself rather than
/// guessed from a version number (distributions backport flags).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RestoreAbilities {
    /// `etcdutl version` or `etcdctl version`, first line.
    pub version: Option<String>,
    /// `snapshot restore` takes `--bump-revision` and `--mark-compacted` (etcdutl 3.5.10+,
    /// late 3.4 etcdctl).
    pub bump_revision: bool,
}

impl Tools {
    /// The abilities of the tool a local restore runs: etcdutl where installed, else etcdctl.
    pub fn restore_abilities(&self) -> RestoreAbilities {
        let Some(program) = self.etcdutl.as_ref().or(self.etcdctl.as_ref()) else {
            return RestoreAbilities::default();
        };
        let help = output_of(program, &["snapshot", "restore", "--help"]);
        RestoreAbilities {
            version: output_of(program, &["version"])
                .lines()
                .next()
                .map(str::to_string),
            bump_revision: help.contains("--bump-revision") && help.contains("--mark-compacted"),
        }
    }
}

/// Standard output and error of a short informational command; empty when it cannot run.
fn output_of(program: &Path, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .env("ETCDCTL_API", "3")
        .stdin(Stdio::null())
        .output()
        .map(|out| {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            text
        })
        .unwrap_or_default()
}
