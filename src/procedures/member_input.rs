//! What the engineer types for a member replacement, checked before anything runs: a host that
//! looks like an IP address must be one, a member name must fit in `ETCD_INITIAL_CLUSTER` and
//! in a file name, and a size must say its unit.

use std::net::IpAddr;

use crate::etcd::MemberInfo;
use crate::facts::EtcdConf;

/// The new host's address as it goes into URLs and certificate SANs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NewHost {
    Ip(IpAddr),
    Dns(String),
}

impl NewHost {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let looks_numeric =
            !text.is_empty() && text.chars().all(|c| c.is_ascii_digit() || c == '.');
        if looks_numeric || text.contains(':') {
            return text.parse().map(NewHost::Ip).map_err(|_| {
                format!("--new-host {text:?} is not a valid IP address; give the new host's IP (e.g. 10.0.0.14) or its DNS name")
            });
        }
        let valid_label = |label: &str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if text.len() <= 253 && text.split('.').all(valid_label) {
            Ok(NewHost::Dns(text.to_ascii_lowercase()))
        } else {
            Err(format!(
                "--new-host {text:?} is neither an IP address nor a DNS name; give the new host's IP or its DNS name"
            ))
        }
    }

    /// As it appears in a URL: IPv6 addresses in brackets.
    pub fn url_host(&self) -> String {
        match self {
            NewHost::Ip(IpAddr::V6(ip)) => format!("[{ip}]"),
            NewHost::Ip(ip) => ip.to_string(),
            NewHost::Dns(name) => name.clone(),
        }
    }

    /// As it appears in a certificate's subject alternative names.
    pub fn san(&self) -> String {
        match self {
            NewHost::Ip(ip) => ip.to_string(),
            NewHost::Dns(name) => name.clone(),
        }
    }

    /// The address etcd binds to: etcd listens on IP addresses only, so for a DNS name it
    /// listens on every address of the host.
    pub fn listen_host(&self) -> String {
        match self {
            NewHost::Ip(_) => self.url_host(),
            NewHost::Dns(_) => "0.0.0.0".into(),
        }
    }
}

/// A member name goes into `ETCD_INITIAL_CLUSTER` (`name=url,...`), onto etcdctl's command line
/// and names the bundle file.
pub fn validate_member_name(name: &str) -> Result<(), String> {
    if name.starts_with('-') {
        return Err(format!(
            "--new-name {name:?} starts with '-': etcdctl and etcd would read it as an option"
        ));
    }
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        || name.starts_with('.')
    {
        return Err(format!(
            "--new-name {name:?} must be letters, digits, '.', '-' or '_' (it goes into ETCD_INITIAL_CLUSTER and names the bundle file)"
        ));
    }
    Ok(())
}

impl super::member_replace::JoinManifest {
    /// Reads a join bundle's `join.json`, which came from another host: a parse error says
    /// what is wrong, and the member name is checked as `member replace` checks it.
    pub fn parse(text: &str) -> Result<Self, String> {
        let manifest: Self =
            serde_json::from_str(text).map_err(|e| format!("join.json is not valid: {e}"))?;
        validate_member_name(&manifest.name).map_err(|e| format!("join.json: {e}"))?;
        Ok(manifest)
    }
}

pub use crate::units::parse_size;

/// The new host's etcd.conf, from the surviving host's: its own name and URLs, the cluster as
/// it will be (without `removed`), and `existing` state, everything else as on the survivor.
pub fn render_new_member_conf(
    template: &EtcdConf,
    members: &[MemberInfo],
    removed: &[u64],
    new_name: &str,
    new_host: &NewHost,
    client_port: u16,
    peer_port: u16,
) -> EtcdConf {
    let peer_url = format!("https://{}:{peer_port}", new_host.url_host());
    let client_url = format!("https://{}:{client_port}", new_host.url_host());
    let initial_cluster: Vec<String> = members
        .iter()
        .filter(|m| !removed.contains(&m.id) && !m.name.is_empty())
        .flat_map(|m| {
            m.peer_urls
                .iter()
                .map(move |url| format!("{}={url}", m.name))
        })
        .chain(std::iter::once(format!("{new_name}={peer_url}")))
        .collect();
    let mut conf = template.clone();
    conf.set("ETCD_NAME", new_name);
    conf.set("ETCD_INITIAL_CLUSTER", initial_cluster.join(","));
    conf.set("ETCD_INITIAL_CLUSTER_STATE", "existing");
    conf.set(
        "ETCD_LISTEN_PEER_URLS",
        format!("https://{}:{peer_port}", new_host.listen_host()),
    );
    conf.set(
        "ETCD_LISTEN_CLIENT_URLS",
        format!("https://{}:{client_port}", new_host.listen_host()),
    );
    conf.set("ETCD_INITIAL_ADVERTISE_PEER_URLS", peer_url);
    conf.set("ETCD_ADVERTISE_CLIENT_URLS", client_url);
    conf
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ip_that_is_not_an_ip_is_an_error() {
        assert_eq!(
            NewHost::parse("10.0.0.14"),
            Ok(NewHost::Ip("10.0.0.14".parse().expect("ip")))
        );
        for bad in ["10.0.0.300", "10.0.0", "1.2.3.4.5", "fe80::zz", ""] {
            assert!(NewHost::parse(bad).is_err(), "{bad}");
        }
        assert!(
            NewHost::parse("10.0.0.300")
                .expect_err("bad")
                .contains("not a valid IP")
        );
    }

    #[test]
    fn dns_names_and_ipv6_render_for_urls_and_sans() {
        let dns = NewHost::parse("etcd-4.Example.com").expect("dns");
        assert_eq!(dns.url_host(), "etcd-4.example.com");
        assert_eq!(dns.listen_host(), "0.0.0.0");
        assert!(NewHost::parse("-bad.example").is_err());
        assert!(NewHost::parse("under_score.example").is_err());
        let v6 = NewHost::parse("fd00::4").expect("v6");
        assert_eq!(v6.url_host(), "[fd00::4]");
        assert_eq!(v6.san(), "fd00::4");
    }

    #[test]
    fn member_names_must_fit_the_initial_cluster_list() {
        assert!(validate_member_name("etcd-new").is_ok());
        for bad in ["", "a=b", "a,b", "../x", "a b", "-x", "--data-dir=/tmp"] {
            assert!(validate_member_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sizes_take_the_units_people_write() {
        assert_eq!(parse_size("700MB"), Ok(700_000_000));
        assert_eq!(parse_size("0"), Ok(0));
        assert_eq!(parse_size("1.5 GB"), Ok(1_500_000_000));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("7 parsecs").is_err());
    }
}
