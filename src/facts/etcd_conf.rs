//! `/etc/etcd/etcd.conf`: the `KEY=value` environment file that systemd hands to etcd.
//!
//! Parsed line by line and rendered back with its comments and order intact, so that a
//! configuration derived from a surviving host (member recovery) reads like the original.

use std::fmt;
use std::path::Path;

use color_eyre::eyre::{Result, WrapErr};

#[derive(Clone, Debug, PartialEq, Eq)]
enum Line {
    Assignment {
        key: String,
        value: String,
    },
    /// Comments, blank lines and anything else, kept verbatim.
    Other(String),
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EtcdConf {
    lines: Vec<Line>,
}

impl EtcdConf {
    pub fn parse(text: &str) -> Self {
        let lines = text
            .lines()
            .map(|raw| {
                let trimmed = raw.trim();
                match trimmed.split_once('=') {
                    Some((key, value))
                        if !trimmed.starts_with('#') && is_variable_name(key.trim()) =>
                    {
                        Line::Assignment {
                            key: key.trim().to_string(),
                            value: unquote(value.trim()).to_string(),
                        }
                    }
                    _ => Line::Other(raw.to_string()),
                }
            })
            .collect();
        EtcdConf { lines }
    }

    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("reading etcd configuration {}", path.display()))?;
        Ok(Self::parse(&text))
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.lines.iter().rev().find_map(|line| match line {
            Line::Assignment { key: k, value } if k == key => Some(value.as_str()),
            _ => None,
        })
    }

    /// Sets `key`, replacing its last assignment in place or appending it.
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        let existing = self.lines.iter_mut().rev().find_map(|line| match line {
            Line::Assignment { key: k, value } if k == key => Some(value),
            _ => None,
        });
        match existing {
            Some(slot) => *slot = value,
            None => self.lines.push(Line::Assignment {
                key: key.to_string(),
                value,
            }),
        }
    }

    /// Removes every assignment of `key`; comments stay.
    pub fn remove(&mut self, key: &str) {
        self.lines
            .retain(|line| !matches!(line, Line::Assignment { key: k, .. } if k == key));
    }

    /// Every assignment in file order: the environment etcd starts with.
    pub fn assignments(&self) -> impl Iterator<Item = (&str, &str)> {
        self.lines.iter().filter_map(|line| match line {
            Line::Assignment { key, value } => Some((key.as_str(), value.as_str())),
            Line::Other(_) => None,
        })
    }

    /// A comma-separated list value such as `ETCD_ADVERTISE_CLIENT_URLS`.
    pub fn list(&self, key: &str) -> Vec<String> {
        self.get(key)
            .map(|value| {
                value
                    .split(',')
                    .map(str::trim)
                    .filter(|item| !item.is_empty())
                    .map(String::from)
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl fmt::Display for EtcdConf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in &self.lines {
            match line {
                Line::Assignment { key, value } => writeln!(f, "{key}={value}")?,
                Line::Other(raw) => writeln!(f, "{raw}")?,
            }
        }
        Ok(())
    }
}

fn is_variable_name(key: &str) -> bool {
    !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn unquote(value: &str) -> &str {
    for quote in ['"', '\''] {
        if let Some(inner) = value
            .strip_prefix(quote)
            .and_then(|v| v.strip_suffix(quote))
        {
            return inner;
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
# [member]
ETCD_NAME=master-0.example.com
ETCD_DATA_DIR=/var/lib/etcd/
ETCD_LISTEN_CLIENT_URLS=\"https://10.0.0.1:2379\"
#ETCD_WAL_DIR=
ETCD_ADVERTISE_CLIENT_URLS=https://10.0.0.1:2379, https://master-0:2379
";

    #[test]
    fn reads_plain_and_quoted_values_and_skips_comments() {
        let conf = EtcdConf::parse(SAMPLE);
        assert_eq!(conf.get("ETCD_NAME"), Some("master-0.example.com"));
        assert_eq!(
            conf.get("ETCD_LISTEN_CLIENT_URLS"),
            Some("https://10.0.0.1:2379")
        );
        assert_eq!(conf.get("ETCD_WAL_DIR"), None);
        assert_eq!(
            conf.list("ETCD_ADVERTISE_CLIENT_URLS"),
            ["https://10.0.0.1:2379", "https://master-0:2379"]
        );
    }

    #[test]
    fn set_replaces_in_place_and_keeps_comments() {
        let mut conf = EtcdConf::parse(SAMPLE);
        conf.set("ETCD_NAME", "etcd-new");
        conf.set("ETCD_INITIAL_CLUSTER_STATE", "existing");
        let text = conf.to_string();
        assert!(
            text.starts_with("# [member]\nETCD_NAME=etcd-new\n"),
            "{text}"
        );
        assert!(text.contains("#ETCD_WAL_DIR=\n"));
        assert!(text.ends_with("ETCD_INITIAL_CLUSTER_STATE=existing\n"));
    }
}
