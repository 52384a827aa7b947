//! The file's keys and the `LIFEBOAT_*` variables, each checked with a message that names the
//! file (or variable), the key and what is wrong.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{Origin, Setting, Settings, parse_size};

/// Why the settings could not be read. Each variant names where the bad value is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot be read: {message}", file.display())]
    Read { file: PathBuf, message: String },
    #[error("{}: not valid TOML: {message}", file.display())]
    Syntax { file: PathBuf, message: String },
    #[error("{}: key `{key}`: {problem}", file.display())]
    Key {
        file: PathBuf,
        key: String,
        problem: String,
    },
    #[error("environment variable {name}={value:?}: {problem}")]
    Environment {
        name: &'static str,
        value: String,
        problem: String,
    },
    #[error("lifeboat's settings were read before they were loaded (a bug: please report it)")]
    AlreadyInstalled,
}

pub const KEYS: [&str; 5] = [
    "backups_dir",
    "refresh_interval",
    "learner_threshold",
    "docker_container",
    "readonly",
];

/// The settings a file's text gives, over the defaults.
pub fn parse_file(file: &Path, text: &str) -> Result<Settings, ConfigError> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| ConfigError::Syntax {
            file: file.to_path_buf(),
            message: e.message().to_string(),
        })?;
    let mut settings = Settings {
        file: Some(file.to_path_buf()),
        ..Settings::default()
    };
    let origin = Origin::File(file.to_path_buf());
    for (key, value) in &table {
        let bad = |problem: String| ConfigError::Key {
            file: file.to_path_buf(),
            key: key.clone(),
            problem,
        };
        let value = Value::Toml(value);
        match key.as_str() {
            "backups_dir" => settings.backups_dir = set(Some(path(value).map_err(bad)?), &origin),
            "refresh_interval" => {
                settings.refresh_interval = set(interval(value).map_err(bad)?, &origin)
            }
            "learner_threshold" => {
                settings.learner_threshold = set(size(value).map_err(bad)?, &origin)
            }
            "docker_container" => {
                settings.docker_container = set(Some(container(value).map_err(bad)?), &origin)
            }
            "readonly" => settings.readonly = set(boolean(value).map_err(bad)?, &origin),
            _ => {
                return Err(bad(format!(
                    "unknown key; lifeboat knows {}",
                    KEYS.join(", ")
                )));
            }
        }
    }
    Ok(settings)
}

/// `LIFEBOAT_BACKUPS_DIR`, `LIFEBOAT_REFRESH_INTERVAL`, `LIFEBOAT_LEARNER_THRESHOLD`,
/// `LIFEBOAT_DOCKER_CONTAINER` and `LIFEBOAT_READONLY`, over what the file said.
pub fn apply_environment(
    settings: &mut Settings,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<(), ConfigError> {
    let path_value = |v: Value| path(v).map(Some);
    let container_value = |v: Value| container(v).map(Some);
    if let Some(value) = variable(env, "LIFEBOAT_BACKUPS_DIR", path_value)? {
        settings.backups_dir = value;
    }
    if let Some(value) = variable(env, "LIFEBOAT_REFRESH_INTERVAL", interval)? {
        settings.refresh_interval = value;
    }
    if let Some(value) = variable(env, "LIFEBOAT_LEARNER_THRESHOLD", size)? {
        settings.learner_threshold = value;
    }
    if let Some(value) = variable(env, "LIFEBOAT_DOCKER_CONTAINER", container_value)? {
        settings.docker_container = value;
    }
    if let Some(value) = variable(env, "LIFEBOAT_READONLY", boolean)? {
        settings.readonly = value;
    }
    Ok(())
}

/// The variable `name` read with `parse`, when it is set.
fn variable<T>(
    env: &dyn Fn(&str) -> Option<String>,
    name: &'static str,
    parse: impl Fn(Value) -> Result<T, String>,
) -> Result<Option<Setting<T>>, ConfigError> {
    let Some(text) = env(name) else {
        return Ok(None);
    };
    match parse(Value::Text(&text)) {
        Ok(value) => Ok(Some(set(value, &Origin::Environment(name)))),
        Err(problem) => Err(ConfigError::Environment {
            name,
            value: text,
            problem,
        }),
    }
}

fn set<T>(value: T, origin: &Origin) -> Setting<T> {
    Setting {
        value,
        origin: origin.clone(),
    }
}

/// A value from the file (typed TOML) or from the environment (always text).
#[derive(Clone, Copy)]
enum Value<'a> {
    Toml(&'a toml::Value),
    Text(&'a str),
}

impl<'a> Value<'a> {
    fn text(self, expected: &str) -> Result<&'a str, String> {
        match self {
            Value::Text(text) => Ok(text),
            Value::Toml(toml::Value::String(text)) => Ok(text),
            Value::Toml(other) => Err(format!("expected {expected}, found a {}", other.type_str())),
        }
    }
}

fn path(value: Value) -> Result<PathBuf, String> {
    let text = value.text("a directory path in quotes")?;
    let path = PathBuf::from(text);
    // A relative directory would move with whatever directory lifeboat was started in.
    if !path.is_absolute() {
        return Err(format!("{text:?} must be an absolute path"));
    }
    Ok(path)
}

/// Seconds: `5`, `"5s"`, `"1m"`; between 1 second and 1 hour.
fn interval(value: Value) -> Result<Duration, String> {
    let seconds = match value {
        Value::Toml(toml::Value::Integer(n)) => u64::try_from(*n).ok(),
        other => {
            let text = other.text("seconds (5) or a duration (\"5s\", \"1m\")")?;
            let text = text.trim();
            let (number, factor) = match text.strip_suffix('m') {
                Some(minutes) => (minutes, 60),
                None => (text.strip_suffix('s').unwrap_or(text), 1),
            };
            number
                .trim()
                .parse::<u64>()
                .ok()
                .and_then(|n| n.checked_mul(factor))
        }
    };
    match seconds {
        Some(s @ 1..=3600) => Ok(Duration::from_secs(s)),
        _ => Err("expected a whole number of seconds from 1 to 3600 (5, \"5s\", \"1m\")".into()),
    }
}

/// A size in bytes: `700000000`, `"700MB"`, `"1GiB"`.
fn size(value: Value) -> Result<u64, String> {
    match value {
        Value::Toml(toml::Value::Integer(n)) => {
            u64::try_from(*n).map_err(|_| "a size cannot be negative".to_string())
        }
        other => parse_size(other.text("a size (\"700MB\") or a number of bytes")?),
    }
}

/// Docker's own rule for container names, so that a typo is caught here and not at
/// `docker exec` in the middle of a backup.
fn container(value: Value) -> Result<String, String> {
    let name = value.text("a container name in quotes")?;
    let mut chars = name.chars();
    let valid = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if valid {
        Ok(name.to_string())
    } else {
        Err(format!(
            "{name:?} is not a container name (letters, digits, '_', '.', '-'; a letter or digit first)"
        ))
    }
}

fn boolean(value: Value) -> Result<bool, String> {
    match value {
        Value::Toml(toml::Value::Boolean(b)) => Ok(*b),
        Value::Toml(other) => Err(format!(
            "expected true or false, found a {}",
            other.type_str()
        )),
        Value::Text(text) => match text.trim().to_ascii_lowercase().as_str() {
            "1" | "true" | "yes" | "on" => Ok(true),
            "0" | "false" | "no" | "off" | "" => Ok(false),
            _ => Err("expected 1, true, yes, on or 0, false, no, off".into()),
        },
    }
}
