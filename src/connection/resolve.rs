//! Which cluster lifeboat talks to, decided in the order an engineer expects: what they typed,
//! then their environment, then a named profile, then what the host's own configuration says.
//! A rehearsal cluster is reached the same way: it prints its variables or saves a profile.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, eyre};

use super::{ConnectionSettings, Endpoints, Profiles, Source};
use crate::facts::{EtcdConf, MasterEtcdClient};

/// The etcdctl-style flags as the user gave them.
#[derive(Clone, Debug, Default)]
pub struct ConnectionFlags {
    pub endpoints: Option<Vec<String>>,
    pub cacert: Option<PathBuf>,
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    pub profile: Option<String>,
}

/// The files discovery looks at; tests point them into a temporary directory.
#[derive(Clone, Debug)]
pub struct DiscoveryPaths {
    pub etcd_conf: PathBuf,
    pub master_config: PathBuf,
    pub profiles: PathBuf,
}

impl DiscoveryPaths {
    pub fn system() -> Result<Self> {
        Ok(DiscoveryPaths {
            etcd_conf: PathBuf::from("/etc/etcd/etcd.conf"),
            master_config: PathBuf::from("/etc/origin/master/master-config.yaml"),
            profiles: Profiles::file_in(&crate::paths::config_dir()?),
        })
    }
}

/// Decides the connection. `Ok(None)` means nothing is configured anywhere; the caller explains
/// how to configure one.
pub fn resolve(
    flags: &ConnectionFlags,
    env: &dyn Fn(&str) -> Option<String>,
    paths: &DiscoveryPaths,
) -> Result<Option<ConnectionSettings>> {
    // Like etcdctl, a flag overrides its own variable only, so `--endpoints` with
    // `ETCDCTL_CACERT` set uses both.
    let env_path = |name: &str| env(name).filter(|v| !v.is_empty()).map(PathBuf::from);
    let env_endpoints = env("ETCDCTL_ENDPOINTS")
        .map(|v| split_list(&v))
        .filter(|v| !v.is_empty());
    let typed = Endpoints {
        endpoints: Vec::new(),
        cacert: flags.cacert.clone().or_else(|| env_path("ETCDCTL_CACERT")),
        cert: flags.cert.clone().or_else(|| env_path("ETCDCTL_CERT")),
        key: flags.key.clone().or_else(|| env_path("ETCDCTL_KEY")),
    };
    if let Some(endpoints) = &flags.endpoints {
        return Ok(Some(settings(
            Endpoints {
                endpoints: endpoints.clone(),
                ..typed
            },
            Source::Flags,
        )));
    }
    if let Some(endpoints) = env_endpoints {
        return Ok(Some(settings(
            Endpoints { endpoints, ..typed },
            Source::Environment,
        )));
    }
    if let Some(name) = &flags.profile {
        let profiles = Profiles::load(&paths.profiles)?;
        let profile = profiles.profiles.get(name).cloned().ok_or_else(|| {
            eyre!(
                "no profile named {name:?} in {}; `lifeboat profile list` shows the saved ones",
                paths.profiles.display()
            )
        })?;
        return Ok(Some(settings(profile, Source::Profile(name.clone()))));
    }
    if paths.etcd_conf.is_file() {
        return from_etcd_conf(&paths.etcd_conf).map(Some);
    }
    if paths.master_config.is_file() {
        let client = MasterEtcdClient::load(&paths.master_config)?;
        let target = Endpoints {
            endpoints: client.urls,
            cacert: Some(client.ca),
            cert: Some(client.cert),
            key: Some(client.key),
        };
        return Ok(Some(settings(
            target,
            Source::MasterConfig(paths.master_config.clone()),
        )));
    }
    Ok(None)
}

fn settings(target: Endpoints, source: Source) -> ConnectionSettings {
    ConnectionSettings { target, source }
}

/// An etcd host's own configuration: its advertised client URLs, and the peer certificate as
/// the procedure's own `etcdctl` commands use it, falling back to the server certificate.
fn from_etcd_conf(path: &Path) -> Result<ConnectionSettings> {
    let conf = EtcdConf::load(path)?;
    let endpoints = conf.list("ETCD_ADVERTISE_CLIENT_URLS");
    if endpoints.is_empty() {
        return Err(eyre!(
            "{} sets no ETCD_ADVERTISE_CLIENT_URLS",
            path.display()
        ))
        .wrap_err(
            "cannot tell how to reach etcd from this host's configuration; pass --endpoints",
        );
    }
    let file = |keys: &[&str]| keys.iter().find_map(|key| conf.get(key)).map(PathBuf::from);
    let target = Endpoints {
        endpoints,
        cacert: file(&[
            "ETCD_TRUSTED_CA_FILE",
            "ETCD_CA_FILE",
            "ETCD_PEER_TRUSTED_CA_FILE",
        ]),
        cert: file(&["ETCD_PEER_CERT_FILE", "ETCD_CERT_FILE"]),
        key: file(&["ETCD_PEER_KEY_FILE", "ETCD_KEY_FILE"]),
    };
    Ok(settings(target, Source::EtcdConf(path.to_path_buf())))
}

fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn paths_in(dir: &Path) -> DiscoveryPaths {
        DiscoveryPaths {
            etcd_conf: dir.join("etcd.conf"),
            master_config: dir.join("master-config.yaml"),
            profiles: dir.join("profiles.toml"),
        }
    }

    fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    #[test]
    fn nothing_configured_is_none() {
        let dir = tempfile::tempdir().expect("tempdir");
        let resolved = resolve(
            &ConnectionFlags::default(),
            &env_of(&[]),
            &paths_in(dir.path()),
        );
        assert_eq!(resolved.expect("no error"), None);
    }

    #[test]
    fn flags_override_only_their_own_variables() {
        let dir = tempfile::tempdir().expect("tempdir");
        let flags = ConnectionFlags {
            endpoints: Some(vec!["https://a:2379".into()]),
            ..Default::default()
        };
        let env = env_of(&[
            ("ETCDCTL_ENDPOINTS", "https://b:2379"),
            ("ETCDCTL_CACERT", "/ca.crt"),
        ]);
        let settings = resolve(&flags, &env, &paths_in(dir.path()))
            .expect("ok")
            .expect("some");
        assert_eq!(settings.source, Source::Flags);
        assert_eq!(settings.target.endpoints, ["https://a:2379"]);
        assert_eq!(
            settings.target.cacert.as_deref(),
            Some(Path::new("/ca.crt"))
        );
    }

    #[test]
    fn environment_is_read_like_etcdctl() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = env_of(&[("ETCDCTL_ENDPOINTS", "https://a:2379, https://b:2379")]);
        let settings = resolve(&ConnectionFlags::default(), &env, &paths_in(dir.path()))
            .expect("ok")
            .expect("some");
        assert_eq!(settings.source, Source::Environment);
        assert_eq!(
            settings.target.endpoints,
            ["https://a:2379", "https://b:2379"]
        );
    }

    #[test]
    fn the_host_etcd_conf_uses_the_peer_certificate_like_the_procedure() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("etcd.conf"),
            "ETCD_ADVERTISE_CLIENT_URLS=https://10.0.0.1:2379\nETCD_TRUSTED_CA_FILE=/etc/etcd/ca.crt\n\
             ETCD_CERT_FILE=/etc/etcd/server.crt\nETCD_PEER_CERT_FILE=/etc/etcd/peer.crt\n\
             ETCD_PEER_KEY_FILE=/etc/etcd/peer.key\n",
        )
        .expect("writes");
        let settings = resolve(
            &ConnectionFlags::default(),
            &env_of(&[]),
            &paths_in(dir.path()),
        )
        .expect("ok")
        .expect("some");
        assert!(matches!(settings.source, Source::EtcdConf(_)));
        assert_eq!(
            settings.target.cert.as_deref(),
            Some(Path::new("/etc/etcd/peer.crt"))
        );
        assert_eq!(
            settings.etcdctl_flags(),
            [
                "--endpoints=https://10.0.0.1:2379",
                "--cacert=/etc/etcd/ca.crt",
                "--cert=/etc/etcd/peer.crt",
                "--key=/etc/etcd/peer.key"
            ]
        );
    }

    #[test]
    fn an_unknown_profile_is_an_error_that_says_where_to_look() {
        let dir = tempfile::tempdir().expect("tempdir");
        let flags = ConnectionFlags {
            profile: Some("prod".into()),
            ..Default::default()
        };
        let error = resolve(&flags, &env_of(&[]), &paths_in(dir.path())).expect_err("fails");
        assert!(
            error.to_string().contains("lifeboat profile list"),
            "{error}"
        );
    }
}
