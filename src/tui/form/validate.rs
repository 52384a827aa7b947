//! The checks a form makes as the engineer types: pure functions of the answer, what lifeboat
//! knows of the cluster, and a [`HostProbe`].

use std::net::IpAddr;
use std::path::Path;

use super::HostProbe;
use crate::procedures::{NewHost, validate_member_name};

/// A name etcd accepts that no other member has.
pub fn new_member_name(name: &str, taken: &[&str]) -> Result<(), String> {
    validate_member_name(name).map_err(|e| e.replace("--new-name ", ""))?;
    if name.starts_with('-') {
        return Err(format!(
            "{name:?} starts with '-', which etcd reads as a flag"
        ));
    }
    if taken.contains(&name) {
        return Err(format!("a member named {name} already exists"));
    }
    Ok(())
}

/// An IP address or a DNS name.
pub fn host(text: &str) -> Result<NewHost, String> {
    if text.trim().is_empty() {
        return Err("the new host's IP address or DNS name is needed".into());
    }
    NewHost::parse(text).map_err(|e| e.replace("--new-host ", ""))
}

/// A TCP port number other than 0.
pub fn port(text: &str) -> Result<u16, String> {
    match text.trim().parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("{text:?} is not a port (1 to 65535)")),
        Ok(port) => Ok(port),
    }
}

/// Whether `host` names this machine, where a port can be checked for being free.
pub fn is_this_host(host: &NewHost) -> bool {
    match host {
        NewHost::Ip(ip) => ip.is_loopback() || ip.is_unspecified(),
        NewHost::Dns(name) => name == "localhost",
    }
}

/// `host:port` as a member's URL would hold it.
pub fn url_authority(host: &NewHost, port: u16) -> String {
    format!("{}:{port}", host.url_host())
}

/// The member whose URL already uses `authority`, if any.
pub fn url_owner<'a>(authority: &str, urls: &'a [(String, Vec<String>)]) -> Option<&'a str> {
    urls.iter()
        .find(|(_, list)| {
            list.iter().any(|url| {
                url.trim_end_matches('/')
                    .rsplit("//")
                    .next()
                    .is_some_and(|a| a == authority)
            })
        })
        .map(|(name, _)| name.as_str())
}

/// A directory this run will create: it must not exist yet, and its disk must have room.
pub fn new_directory(text: &str, need: Option<u64>, host: &dyn HostProbe) -> Result<(), String> {
    let path = Path::new(text.trim());
    if text.trim().is_empty() {
        return Err("a directory is needed".into());
    }
    if host.exists(path) {
        return Err(format!(
            "{} already exists: the bundle must be a new directory (lifeboat never writes into an existing one)",
            path.display()
        ));
    }
    room_for(path, need, host)
}

/// The disk that will hold `path` has at least `need` bytes free.
pub fn room_for(path: &Path, need: Option<u64>, host: &dyn HostProbe) -> Result<(), String> {
    match (need, host.free_bytes(path)) {
        (Some(need), Some(free)) if free < need => Err(format!(
            "only {} free there, and the database alone is {}",
            crate::present::human_bytes_u64(free),
            crate::present::human_bytes_u64(need)
        )),
        _ => Ok(()),
    }
}

/// A file that must be there (a configuration, a bundle).
pub fn existing_file(text: &str, what: &str, host: &dyn HostProbe) -> Result<(), String> {
    let path = Path::new(text.trim());
    if text.trim().is_empty() {
        return Err(format!("{what} is needed"));
    }
    if !host.exists(path) || host.is_dir(path) {
        return Err(format!("there is no {what} at {}", path.display()));
    }
    Ok(())
}

/// A directory that must hold `files`.
pub fn directory_with(text: &str, files: &[&str], host: &dyn HostProbe) -> Result<(), String> {
    let dir = Path::new(text.trim());
    if !host.is_dir(dir) {
        return Err(format!("{} is not a directory", dir.display()));
    }
    let missing: Vec<&str> = files
        .iter()
        .copied()
        .filter(|f| !host.exists(&dir.join(f)))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("{} has no {}", dir.display(), missing.join(" or ")))
    }
}

/// Seconds as a whole number above zero.
pub fn seconds(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(0) | Err(_) => Err(format!("{text:?} is not a number of seconds")),
        Ok(s) => Ok(s),
    }
}

/// A literal IP as typed, for messages.
pub fn is_ip(text: &str) -> bool {
    text.trim().parse::<IpAddr>().is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::form::probe::tests::FakeHost;

    #[test]
    fn member_names_follow_etcd_and_are_unique() {
        assert!(new_member_name("etcd-4", &["etcd-1", "etcd-2"]).is_ok());
        assert!(
            new_member_name("etcd-1", &["etcd-1"])
                .unwrap_err()
                .contains("already exists")
        );
        assert!(new_member_name("-etcd", &[]).is_err());
        assert!(new_member_name("", &[]).is_err());
        assert!(new_member_name("a b", &[]).is_err());
    }

    #[test]
    fn hosts_are_ip_addresses_or_dns_names() {
        assert!(host("10.0.0.14").is_ok());
        assert!(host("master-3.example.com").is_ok());
        assert!(host("10.0.0.300").unwrap_err().contains("not a valid IP"));
        assert!(host("").is_err());
        assert!(host("bad_name!").is_err());
    }

    #[test]
    fn ports_are_numbers_above_zero() {
        assert_eq!(port("2379"), Ok(2379));
        assert!(port("0").is_err());
        assert!(port("70000").is_err());
        assert!(port("http").is_err());
    }

    #[test]
    fn a_url_owner_is_found_by_host_and_port() {
        let urls = vec![(
            "etcd-1".to_string(),
            vec!["https://10.0.0.1:2380".to_string()],
        )];
        assert_eq!(url_owner("10.0.0.1:2380", &urls), Some("etcd-1"));
        assert_eq!(url_owner("10.0.0.1:2381", &urls), None);
        assert_eq!(url_owner("10.0.0.11:2380", &urls), None);
    }

    #[test]
    fn a_new_directory_must_not_exist_and_must_have_room() {
        let host = FakeHost::with(&["/backups/old"], 10 << 20);
        assert!(new_directory("/backups/new", Some(1 << 20), &host).is_ok());
        assert!(
            new_directory("/backups/old", None, &host)
                .unwrap_err()
                .contains("already exists")
        );
        assert!(
            new_directory("/backups/new", Some(20 << 20), &host)
                .unwrap_err()
                .contains("only 10.0 MiB free")
        );
        assert!(new_directory(" ", None, &host).is_err());
    }

    #[test]
    fn a_directory_must_hold_its_files() {
        let host = FakeHost::with(&["/etc/etcd/ca/", "/etc/etcd/ca/ca.crt"], 0);
        assert_eq!(
            directory_with("/etc/etcd/ca", &["ca.crt", "ca.key"], &host),
            Err("/etc/etcd/ca has no ca.key".into())
        );
    }
}
