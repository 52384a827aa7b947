//! The server's TLS: a certificate from the sandbox CA, and client certificates checked
//! against the same CA. A client without a certificate still gets through the handshake so
//! that the server can answer 401 with a Status (or take a bearer token).

use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr, eyre};
use rustls::RootCertStore;
use rustls::server::WebPkiClientVerifier;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

pub fn server_config(
    ca_pem: &str,
    cert_pem: &str,
    key_pem: &str,
) -> Result<Arc<rustls::ServerConfig>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots
            .add(cert.wrap_err("reading the sandbox CA certificate")?)
            .wrap_err("trusting the sandbox CA")?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .allow_unauthenticated()
        .build()
        .map_err(|e| eyre!("building the client certificate verifier: {e}"))?;
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .wrap_err("reading the API server certificate")?;
    let key =
        PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).wrap_err("reading the API server key")?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .wrap_err("choosing TLS versions")?
        .with_client_cert_verifier(verifier)
        .with_single_cert(chain, key)
        .wrap_err("loading the API server certificate")?;
    // HTTP/1.1 only: the exec WebSocket needs it, and every client falls back to it.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
