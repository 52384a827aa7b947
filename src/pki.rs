//! A small certificate authority in the shape of `/etc/etcd/ca`: it signs certificates for a
//! new etcd host with a real cluster's CA (and `lifeboat-sandbox` makes its own with it).

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};

use crate::fsutil::write_atomically;

/// What a certificate is for, matching the extensions of the procedure's `openssl.cnf`
/// (`etcd_v3_ca_server`, `etcd_v3_ca_peer`) plus a client-only one for tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertUse {
    Server,
    /// Peer certificates are used both ways between members, and by the procedure's own
    /// `etcdctl` commands as a client certificate.
    Peer,
    Client,
}

/// A PEM certificate and its private key.
pub struct IssuedCert {
    pub cert_pem: String,
    pub key_pem: String,
}

impl IssuedCert {
    /// Writes `<stem>.crt` (0644) and `<stem>.key` (0600) into `dir`.
    pub fn write(&self, dir: &Path, stem: &str) -> Result<(PathBuf, PathBuf)> {
        let cert = dir.join(format!("{stem}.crt"));
        let key = dir.join(format!("{stem}.key"));
        write_atomically(&cert, self.cert_pem.as_bytes(), 0o644)?;
        write_atomically(&key, self.key_pem.as_bytes(), 0o600)?;
        Ok((cert, key))
    }
}

pub struct CertificateAuthority {
    cert_pem: String,
    key: KeyPair,
}

impl CertificateAuthority {
    pub fn generate(common_name: &str) -> Result<Self> {
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        set_validity(&mut params, 3650);
        let key = KeyPair::generate().wrap_err("generating the CA key")?;
        let cert = params.self_signed(&key).wrap_err("self-signing the CA")?;
        Ok(CertificateAuthority {
            cert_pem: cert.pem(),
            key,
        })
    }

    /// Loads `ca.crt` and `ca.key` from a CA directory such as `/etc/etcd/ca`.
    pub fn load(dir: &Path) -> Result<Self> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read_to_string(&path)
                .wrap_err_with(|| format!("reading the etcd CA file {}", path.display()))
        };
        let cert_pem = read("ca.crt")?;
        let key = KeyPair::from_pem(&read("ca.key")?)
            .wrap_err_with(|| format!("parsing the CA key in {}", dir.display()))?;
        Ok(CertificateAuthority { cert_pem, key })
    }

    pub fn save(&self, dir: &Path) -> Result<()> {
        write_atomically(&dir.join("ca.crt"), self.cert_pem.as_bytes(), 0o644)?;
        write_atomically(
            &dir.join("ca.key"),
            self.key.serialize_pem().as_bytes(),
            0o600,
        )
    }

    pub fn cert_pem(&self) -> &str {
        &self.cert_pem
    }

    /// Issues a certificate with `CN = common_name` and the given SANs (IP addresses or DNS
    /// names), valid for a year.
    pub fn issue(&self, common_name: &str, sans: &[String], usage: CertUse) -> Result<IssuedCert> {
        let mut params = CertificateParams::default();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.subject_alt_names = sans
            .iter()
            .map(|san| match san.parse() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => san
                    .clone()
                    .try_into()
                    .map(SanType::DnsName)
                    .wrap_err_with(|| format!("{san:?} is neither an IP address nor a DNS name")),
            })
            .collect::<Result<_>>()?;
        params.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
        ];
        params.extended_key_usages = match usage {
            CertUse::Server => vec![ExtendedKeyUsagePurpose::ServerAuth],
            CertUse::Peer => vec![
                ExtendedKeyUsagePurpose::ServerAuth,
                ExtendedKeyUsagePurpose::ClientAuth,
            ],
            CertUse::Client => vec![ExtendedKeyUsagePurpose::ClientAuth],
        };
        set_validity(&mut params, 365);
        let key = KeyPair::generate().wrap_err("generating a key")?;
        let issuer = Issuer::from_ca_cert_pem(&self.cert_pem, &self.key)
            .wrap_err("reading the CA certificate")?;
        let cert = params
            .signed_by(&key, &issuer)
            .wrap_err_with(|| format!("signing a certificate for {common_name}"))?;
        Ok(IssuedCert {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
        })
    }
}

fn set_validity(params: &mut CertificateParams, days: i64) {
    let date = |offset_days: i64| {
        let day = jiff::Zoned::now()
            .date()
            .checked_add(jiff::Span::new().days(offset_days))
            .unwrap_or(jiff::civil::date(2030, 1, 1));
        // The day count is small and the month and day always fit in a u8.
        rcgen::date_time_ymd(i32::from(day.year()), day.month() as u8, day.day() as u8)
    };
    params.not_before = date(-1);
    params.not_after = date(days);
}
