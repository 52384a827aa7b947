//! Saved connection profiles (`profiles.toml` in the config directory), so that an engineer
//! types a cluster's endpoints and certificate paths once, not at every outage.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};

use super::Endpoints;
use crate::fsutil::write_atomically;

pub type Profile = Endpoints;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Profiles {
    #[serde(default)]
    pub profiles: BTreeMap<String, Profile>,
}

impl Profiles {
    pub fn file_in(config_dir: &Path) -> PathBuf {
        config_dir.join("profiles.toml")
    }

    /// A missing file is an empty set of profiles, not an error.
    pub fn load(path: &Path) -> Result<Self> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str(&text).wrap_err_with(|| format!("parsing {}", path.display()))
            }
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(error) => Err(error).wrap_err_with(|| format!("reading {}", path.display())),
        }
    }

    pub fn save(&self, path: &Path) -> Result<()> {
        let text = toml::to_string_pretty(self).wrap_err("serializing profiles")?;
        write_atomically(path, text.as_bytes(), 0o600)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_round_trip_through_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = Profiles::file_in(dir.path());
        assert!(
            Profiles::load(&path)
                .expect("missing is empty")
                .profiles
                .is_empty()
        );
        let mut profiles = Profiles::default();
        profiles.profiles.insert(
            "prod".into(),
            Profile {
                endpoints: vec!["https://10.0.0.1:2379".into()],
                cacert: Some("/etc/etcd/ca.crt".into()),
                cert: None,
                key: None,
            },
        );
        profiles.save(&path).expect("saves");
        let loaded = Profiles::load(&path).expect("loads");
        assert_eq!(loaded.profiles["prod"], profiles.profiles["prod"]);
    }
}
