use std::path::{Path, PathBuf};
use std::time::Duration;

use etcd_client::{Certificate, Client, ConnectOptions, Identity, TlsOptions};
use thiserror::Error;

use crate::connection::Endpoints;

/// How long one endpoint may take to answer before it is reported as unreachable: short, so
/// the UI and status never hang on a dead member.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(3);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Error)]
pub enum EtcdError {
    #[error("cannot read {what} {path}: {source}")]
    ReadFile {
        what: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{0} is an https endpoint but no CA certificate was given; pass --cacert or set ETCDCTL_CACERT"
    )]
    MissingCa(String),
    #[error("--cert and --key go together; only one of them was given")]
    HalfIdentity,
    #[error("no endpoint to connect to")]
    NoEndpoints,
    /// A call the runner routes elsewhere reached the wrong handler: a bug, said plainly.
    #[error("lifeboat cannot run {0} here; please report this")]
    Unhandled(String),
    #[error("{endpoints}: {detail}")]
    Unreachable { endpoints: String, detail: String },
    /// etcd refused a membership change because its members have not been connected to each
    /// other long enough (its strict reconfiguration check): it passes by itself, so callers
    /// wait and try again.
    #[error("{endpoints}: {detail}")]
    UnhealthyCluster { endpoints: String, detail: String },
    #[error("{endpoints}: no answer within {}s", .timeout.as_secs())]
    Timeout {
        endpoints: String,
        timeout: Duration,
    },
}

impl EtcdError {
    /// What the engineer can do about it, shown under the error.
    pub fn hint(&self) -> &'static str {
        match self {
            EtcdError::Unreachable { detail, .. }
                if detail.contains("certificate") || detail.contains("tls") =>
            {
                "the TLS handshake failed: check that --cacert signed the server's certificate and that --cert/--key are a client certificate it trusts"
            }
            EtcdError::Unreachable { .. }
            | EtcdError::UnhealthyCluster { .. }
            | EtcdError::Timeout { .. } => {
                "check the endpoint address and that etcd runs there (`systemctl status etcd`, `docker ps`, or `lifeboat-sandbox status` for a rehearsal cluster)"
            }
            _ => {
                "fix the connection settings: --endpoints, --cacert, --cert, --key or the ETCDCTL_* variables"
            }
        }
    }
}

fn read(what: &'static str, path: &Path) -> Result<Vec<u8>, EtcdError> {
    std::fs::read(path).map_err(|source| EtcdError::ReadFile {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// Connects to `endpoints` (some or all of `target`'s) with `target`'s TLS files.
pub async fn connect(target: &Endpoints, endpoints: &[String]) -> Result<Client, EtcdError> {
    connect_within(target, endpoints, CALL_TIMEOUT).await
}

/// [`connect`] for calls that may take up to `call_timeout` (a defragmentation blocks its
/// member for as long as it rewrites the file).
pub(crate) async fn connect_within(
    target: &Endpoints,
    endpoints: &[String],
    call_timeout: Duration,
) -> Result<Client, EtcdError> {
    let joined = endpoints.join(",");
    if endpoints.is_empty() {
        return Err(EtcdError::NoEndpoints);
    }
    let mut options = ConnectOptions::new()
        .with_connect_timeout(CONNECT_TIMEOUT)
        // Our own deadline (CALL_TIMEOUT) fires first and says so in plain words; tonic's is a
        // backstop for calls made without it.
        .with_timeout(call_timeout + Duration::from_secs(1));
    if let Some(tls) = tls_options(target, endpoints)? {
        options = options.with_tls(tls);
    }
    let connecting = Client::connect(endpoints, Some(options));
    match tokio::time::timeout(CALL_TIMEOUT, connecting).await {
        Ok(Ok(client)) => Ok(client),
        Ok(Err(error)) => Err(EtcdError::Unreachable {
            endpoints: joined,
            detail: describe(&error),
        }),
        Err(_) => Err(EtcdError::Timeout {
            endpoints: joined,
            timeout: CALL_TIMEOUT,
        }),
    }
}

/// The TLS settings for `endpoints`, if any of them is https.
fn tls_options(target: &Endpoints, endpoints: &[String]) -> Result<Option<TlsOptions>, EtcdError> {
    if !endpoints.iter().any(|e| e.starts_with("https://")) {
        return Ok(None);
    }
    let first = endpoints.first().ok_or(EtcdError::NoEndpoints)?;
    let ca_path = target
        .cacert
        .as_deref()
        .ok_or_else(|| EtcdError::MissingCa(first.clone()))?;
    let tls =
        TlsOptions::new().ca_certificate(Certificate::from_pem(read("CA certificate", ca_path)?));
    match (&target.cert, &target.key) {
        (Some(cert), Some(key)) => Ok(Some(tls.identity(Identity::from_pem(
            read("client certificate", cert)?,
            read("client key", key)?,
        )))),
        (None, None) => Ok(Some(tls)),
        _ => Err(EtcdError::HalfIdentity),
    }
}

/// How much of a long stream (the snapshot) may wait in memory, unread, when the disk is
/// slower than etcd for a moment: HTTP/2 stops the sender there. hyper's defaults (2 MiB per
/// stream, 5 MiB per connection) made a 1.3 GB snapshot's peak memory 2 MiB higher (15.9 MiB
/// against 13.8 MiB) for no speed measured; at 512 KiB etcd waited on the window and the
/// snapshot took a tenth longer.
const STREAM_WINDOW: u32 = 1 << 20;

/// A connection to one endpoint for one long stream, whose unread data is bounded by
/// [`STREAM_WINDOW`].
pub(crate) async fn connect_for_stream(
    target: &Endpoints,
    endpoint: &str,
) -> Result<Client, EtcdError> {
    let unreachable = |detail: String| EtcdError::Unreachable {
        endpoints: endpoint.to_string(),
        detail,
    };
    let tls = tls_options(target, &[endpoint.to_string()])?;
    // As etcd-client reads an address without a scheme: plain http.
    let url = if endpoint.contains("://") {
        endpoint.to_string()
    } else {
        format!("http://{endpoint}")
    };
    let mut builder = tonic::transport::Endpoint::from_shared(url)
        .map_err(|error| unreachable(error.to_string()))?
        .connect_timeout(CONNECT_TIMEOUT)
        .initial_stream_window_size(STREAM_WINDOW)
        .initial_connection_window_size(STREAM_WINDOW);
    if let Some(tls) = tls {
        builder = builder
            .tls_config(tls)
            .map_err(|error| unreachable(error.to_string()))?;
    }
    let connecting = async {
        let channel = builder
            .connect()
            .await
            .map_err(|error| unreachable(describe_cause(&error)))?;
        Client::from_channel(etcd_client::Channel::Tonic(channel), None)
            .await
            .map_err(|error| unreachable(describe(&error)))
    };
    match tokio::time::timeout(CALL_TIMEOUT, connecting).await {
        Ok(result) => result,
        Err(_) => Err(EtcdError::Timeout {
            endpoints: endpoint.to_string(),
            timeout: CALL_TIMEOUT,
        }),
    }
}

/// Runs one call with the call timeout, turning both failure kinds into [`EtcdError`].
pub(crate) async fn call<T>(
    endpoints: &str,
    future: impl Future<Output = Result<T, etcd_client::Error>>,
) -> Result<T, EtcdError> {
    call_within(endpoints, CALL_TIMEOUT, future).await
}

/// [`call`] with a timeout of its own.
pub(crate) async fn call_within<T>(
    endpoints: &str,
    timeout: Duration,
    future: impl Future<Output = Result<T, etcd_client::Error>>,
) -> Result<T, EtcdError> {
    match tokio::time::timeout(timeout, future).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => {
            let (endpoints, detail) = (endpoints.to_string(), describe(&error));
            // The server's own words (etcdserver.ErrUnhealthy), turned into a type once here.
            Err(if detail.contains("unhealthy cluster") {
                EtcdError::UnhealthyCluster { endpoints, detail }
            } else {
                EtcdError::Unreachable { endpoints, detail }
            })
        }
        Err(_) => Err(EtcdError::Timeout {
            endpoints: endpoints.to_string(),
            timeout,
        }),
    }
}

/// The last of an error's sources: where the useful part (connection refused, a bad
/// certificate) is.
fn deepest_source(error: &dyn std::error::Error) -> Option<&(dyn std::error::Error + 'static)> {
    let mut deepest = None;
    let mut source = error.source();
    while let Some(cause) = source {
        deepest = Some(cause);
        source = cause.source();
    }
    deepest
}

/// An error and its deepest cause, once.
fn describe_cause(error: &dyn std::error::Error) -> String {
    match deepest_source(error) {
        Some(cause) => format!("{error}: {cause}"),
        None => error.to_string(),
    }
}

/// etcd-client errors nest the useful part (connection refused, a bad certificate) several
/// sources deep, under a gRPC status whose own text repeats everything. Say what the server
/// said, or else what the deepest cause was.
fn describe(error: &etcd_client::Error) -> String {
    match error {
        etcd_client::Error::GRpcStatus(status) => {
            let message = status.message();
            match deepest_source(status).map(ToString::to_string) {
                Some(cause) if !message.contains(&cause) => format!("{message}: {cause}"),
                _ if message.is_empty() => format!("{:?}", status.code()),
                _ => message.to_string(),
            }
        }
        _ => describe_cause(error),
    }
}
