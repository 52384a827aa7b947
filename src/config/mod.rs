//! lifeboat's settings: a TOML file in the XDG config directory (`config.toml` beside the saved
//! profiles), overridden by `LIFEBOAT_*` environment variables, overridden by flags.
//!
//! The settings are loaded once, at start, and installed process-wide: they are as fixed for
//! the life of the process as the environment they partly come from, and the places that honour
//! them (the backups directory, the runner's read-only latch, form defaults) are reached from
//! many call paths that should not each carry them. This module is a leaf: it imports nothing
//! of the product, so anything may consult it without making a cycle.

mod parse;
#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

pub use crate::units::parse_size;
pub use parse::{ConfigError, parse_file};

/// The procedure's 700 MB rule, in the decimal megabytes etcd reports.
pub const DEFAULT_LEARNER_THRESHOLD: u64 = 700 * 1000 * 1000;
pub const DEFAULT_REFRESH: Duration = Duration::from_secs(2);
/// Names the file elsewhere than the XDG config directory (tests, shared jump hosts).
pub const CONFIG_ENV: &str = "LIFEBOAT_CONFIG";

/// Where a setting's value came from, weakest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    Default,
    File(PathBuf),
    Environment(&'static str),
    Flag(&'static str),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => write!(f, "default"),
            Origin::File(path) => write!(f, "file {}", path.display()),
            Origin::Environment(name) => write!(f, "environment {name}"),
            Origin::Flag(name) => write!(f, "flag {name}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Setting<T> {
    fn default(value: T) -> Self {
        Setting {
            value,
            origin: Origin::Default,
        }
    }
}

/// The effective settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Settings {
    /// `None`: `backups` in lifeboat's data directory (`paths::backups_dir`).
    pub backups_dir: Setting<Option<PathBuf>>,
    /// How often the dashboard re-reads the cluster.
    pub refresh_interval: Setting<Duration>,
    /// Database size from which a replacement member joins as a learner.
    pub learner_threshold: Setting<u64>,
    /// The container the backup form offers first for `docker exec`.
    pub docker_container: Setting<Option<String>>,
    /// Refuse every step that is not read-only.
    pub readonly: Setting<bool>,
    /// The file that was read, if one exists.
    pub file: Option<PathBuf>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            backups_dir: Setting::default(None),
            refresh_interval: Setting::default(DEFAULT_REFRESH),
            learner_threshold: Setting::default(DEFAULT_LEARNER_THRESHOLD),
            docker_container: Setting::default(None),
            readonly: Setting::default(false),
            file: None,
        }
    }
}

/// What the command line said about settings.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flags {
    pub readonly: bool,
}

impl Settings {
    /// When read-only mode is on: how to leave it, in the words of where it was turned on.
    pub fn readonly_exit(&self) -> Option<String> {
        if !self.readonly.value {
            return None;
        }
        Some(match &self.readonly.origin {
            Origin::Flag(flag) => format!("run the command again without {flag}"),
            Origin::Environment(name) => format!("unset {name} (or set {name}=0)"),
            Origin::File(path) => format!(
                "set `readonly = false` in {} (or LIFEBOAT_READONLY=0 for one run)",
                path.display()
            ),
            Origin::Default => "turn read-only mode off".into(),
        })
    }
}

/// The default place of the file: `$XDG_CONFIG_HOME/lifeboat/config.toml`.
pub fn default_file() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "lifeboat").map(|d| d.config_dir().join("config.toml"))
}

/// Reads the file (`LIFEBOAT_CONFIG` or the default place; a missing file is no error), then
/// applies the environment and the flags on top.
pub fn load(flags: Flags, env: &dyn Fn(&str) -> Option<String>) -> Result<Settings, ConfigError> {
    let (file, named) = match env(CONFIG_ENV) {
        Some(path) => (Some(PathBuf::from(path)), true),
        None => (default_file(), false),
    };
    let text = match &file {
        Some(path) => read_if_present(path, named)?,
        None => None,
    };
    let mut settings = match (&file, text) {
        (Some(path), Some(text)) => parse_file(path, &text)?,
        _ => Settings::default(),
    };
    parse::apply_environment(&mut settings, env)?;
    if flags.readonly {
        settings.readonly = Setting {
            value: true,
            origin: Origin::Flag("--readonly"),
        };
    }
    Ok(settings)
}

/// A file someone named with `LIFEBOAT_CONFIG` must exist; the default one need not.
fn read_if_present(path: &Path, named: bool) -> Result<Option<String>, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound && !named => Ok(None),
        Err(error) => Err(ConfigError::Read {
            file: path.to_path_buf(),
            message: error.to_string(),
        }),
    }
}

static CURRENT: OnceLock<Settings> = OnceLock::new();

/// Makes `settings` the process's settings, once, at start. Fails when settings were already
/// read: whatever read them saw the defaults, and a read-only mode asked for could be missed.
pub fn install(settings: Settings) -> Result<(), ConfigError> {
    CURRENT
        .set(settings)
        .map_err(|_| ConfigError::AlreadyInstalled)
}

/// The process's settings; the defaults when none were installed (unit tests, the sandbox).
pub fn current() -> &'static Settings {
    CURRENT.get_or_init(Settings::default)
}
