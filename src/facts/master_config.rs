//! The part of `/etc/origin/master/master-config.yaml` that says how the masters reach etcd.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct MasterConfigFile {
    etcd_client_info: EtcdClientInfo,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct EtcdClientInfo {
    ca: String,
    cert_file: String,
    key_file: String,
    urls: Vec<String>,
}

/// etcd client settings of an OpenShift 3 master, with paths made absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MasterEtcdClient {
    pub urls: Vec<String>,
    pub ca: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

impl MasterEtcdClient {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("reading master configuration {}", path.display()))?;
        Self::parse(&text, path.parent().unwrap_or(Path::new("/")))
            .wrap_err_with(|| format!("parsing etcdClientInfo in {}", path.display()))
    }

    /// Relative file names in the configuration are relative to its directory, as OpenShift
    /// reads them.
    pub fn parse(text: &str, config_dir: &Path) -> Result<Self> {
        let file: MasterConfigFile = serde_yaml_ng::from_str(text)?;
        let info = file.etcd_client_info;
        Ok(MasterEtcdClient {
            urls: info.urls,
            ca: config_dir.join(info.ca),
            cert: config_dir.join(info.cert_file),
            key: config_dir.join(info.key_file),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_relative_files_against_the_master_directory() {
        let text = "\
apiVersion: v1
kind: MasterConfig
etcdClientInfo:
  ca: master.etcd-ca.crt
  certFile: master.etcd-client.crt
  keyFile: /abs/master.etcd-client.key
  urls:
  - https://master-0.example.com:2379
";
        let client =
            MasterEtcdClient::parse(text, Path::new("/etc/origin/master")).expect("parses");
        assert_eq!(client.urls, ["https://master-0.example.com:2379"]);
        assert_eq!(
            client.ca,
            Path::new("/etc/origin/master/master.etcd-ca.crt")
        );
        assert_eq!(client.key, Path::new("/abs/master.etcd-client.key"));
    }

    #[test]
    fn a_config_without_etcd_client_info_is_an_error() {
        assert!(MasterEtcdClient::parse("kind: MasterConfig\n", Path::new("/")).is_err());
    }
}
