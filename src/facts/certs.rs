//! Certificates on the host: who they name, who signed them and when they expire, because an
//! expired peer certificate takes a member out as surely as a dead disk.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Serialize;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;

/// Certificates expiring sooner than this are shown in red.
pub const EXPIRY_WARNING_DAYS: i64 = 30;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertInfo {
    pub path: PathBuf,
    pub subject: String,
    pub issuer: String,
    pub sans: Vec<String>,
    #[serde(serialize_with = "crate::serde_fields::timestamp")]
    pub not_after: jiff::Timestamp,
    pub days_left: i64,
}

impl CertInfo {
    pub fn needs_attention(&self) -> bool {
        self.days_left < EXPIRY_WARNING_DAYS
    }
}

/// One file's result: its certificate, or why it could not be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CertFile {
    pub path: PathBuf,
    #[serde(flatten, serialize_with = "crate::serde_fields::result_as_fields")]
    pub result: Result<CertInfo, String>,
}

/// Reads the first certificate of a PEM file.
pub fn inspect(path: &Path, now: jiff::Timestamp) -> Result<CertInfo, String> {
    let data = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let pem = Pem::iter_from_buffer(&data)
        .next()
        .ok_or("no PEM certificate in the file")?
        .map_err(|e| format!("not PEM: {e}"))?;
    let cert = pem
        .parse_x509()
        .map_err(|e| format!("not an X.509 certificate: {e}"))?;
    let not_after = jiff::Timestamp::from_second(cert.validity().not_after.timestamp())
        .map_err(|e| format!("expiry date out of range: {e}"))?;
    let sans = match cert.subject_alternative_name() {
        Ok(Some(extension)) => extension
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::DNSName(dns) => Some(format!("DNS:{dns}")),
                GeneralName::IPAddress(bytes) => ip_from(bytes).map(|ip| format!("IP:{ip}")),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(CertInfo {
        path: path.to_path_buf(),
        subject: cert.subject().to_string(),
        issuer: cert.issuer().to_string(),
        sans,
        not_after,
        days_left: (not_after.as_second() - now.as_second()).div_euclid(86_400),
    })
}

/// Inspects every file once, in a stable order.
pub fn inspect_all(
    paths: impl IntoIterator<Item = PathBuf>,
    now: jiff::Timestamp,
) -> Vec<CertFile> {
    paths
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|path| CertFile {
            result: inspect(&path, now),
            path,
        })
        .collect()
}

fn ip_from(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => <[u8; 4]>::try_from(bytes).ok().map(IpAddr::from),
        16 => <[u8; 16]>::try_from(bytes).ok().map(IpAddr::from),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pki::{CertUse, CertificateAuthority};

    #[test]
    fn reads_subject_sans_issuer_and_days_left() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ca = CertificateAuthority::generate("test etcd CA").expect("CA");
        let sans = ["10.0.0.7".to_string(), "etcd-7.example.com".to_string()];
        let (cert, _) = ca
            .issue("etcd-7", &sans, CertUse::Peer)
            .expect("issues")
            .write(dir.path(), "peer")
            .expect("writes");
        let info = inspect(&cert, jiff::Timestamp::now()).expect("inspects");
        assert_eq!(info.subject, "CN=etcd-7");
        assert_eq!(info.issuer, "CN=test etcd CA");
        assert_eq!(info.sans, ["IP:10.0.0.7", "DNS:etcd-7.example.com"]);
        assert!((363..=366).contains(&info.days_left), "{}", info.days_left);
        assert!(!info.needs_attention());
        let later = jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * 350);
        assert!(inspect(&cert, later).expect("inspects").needs_attention());
    }

    #[test]
    fn unreadable_files_say_why() {
        let dir = tempfile::tempdir().expect("tempdir");
        let junk = dir.path().join("junk.crt");
        std::fs::write(&junk, "not a certificate").expect("writes");
        assert!(inspect(&junk, jiff::Timestamp::now()).is_err());
        assert!(
            inspect(&dir.path().join("missing.crt"), jiff::Timestamp::now())
                .expect_err("missing")
                .starts_with("cannot read")
        );
    }
}
