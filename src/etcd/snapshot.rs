//! The v3 snapshot, streamed from one member straight to disk: memory stays flat whatever the
//! database size, and the file is checked against etcd's own trailing hash before anyone
//! relies on it.

use std::io::Read;
use std::path::Path;

use thiserror::Error;

use super::client::{CALL_TIMEOUT, EtcdError, connect_for_stream};
use super::snapshot_file::SnapshotFile;
use super::snapshot_writer::{BlockWriter, Refused};
use super::stream_digest::{Digests, StreamDigest};
use crate::connection::Endpoints;

#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Etcd(#[from] EtcdError),
    #[error("{endpoint} stopped sending the snapshot after {received} bytes: {detail}")]
    Interrupted {
        endpoint: String,
        received: u64,
        detail: String,
    },
    #[error("writing {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {detail}")]
    Invalid { path: String, detail: String },
}

/// Progress of a transfer, for a gauge: `total` is the member's reported DB size, an estimate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transferred {
    pub bytes: u64,
    pub total: Option<u64>,
}

/// Streams a snapshot from `endpoint` into `path` (which must not exist), syncing it before it
/// returns, with both of its hashes computed on the way. On any error after the file was
/// created, the partial file is removed: a truncated snapshot must never be mistaken for a
/// backup. A file that was already there is never touched.
pub async fn save_snapshot(
    target: &Endpoints,
    endpoint: &str,
    path: &Path,
    expected_size: Option<u64>,
    on_progress: &mut (dyn FnMut(Transferred) + Send),
) -> Result<Digests, SnapshotError> {
    let write_error = |source| SnapshotError::Write {
        path: path.display().to_string(),
        source,
    };
    let mut client = connect_for_stream(target, endpoint).await?;
    let mut stream = tokio::time::timeout(CALL_TIMEOUT, client.snapshot())
        .await
        .map_err(|_| EtcdError::Timeout {
            endpoints: endpoint.to_string(),
            timeout: CALL_TIMEOUT,
        })?
        .map_err(|e| SnapshotError::Interrupted {
            endpoint: endpoint.to_string(),
            received: 0,
            detail: e.to_string(),
        })?;
    let file = SnapshotFile::create(path).map_err(write_error)?;
    let mut writer = BlockWriter::spawn(file);
    let streamed = receive(
        &mut stream,
        &mut writer,
        endpoint,
        path,
        expected_size,
        on_progress,
    )
    .await;
    let written = writer.finish().await.map_err(write_error);
    let outcome = match (streamed, written) {
        (Err(error), _) | (Ok(_), Err(error)) => Err(error),
        (Ok(received), Ok(digests)) if digests.bytes != received => {
            Err(write_error(std::io::Error::other(format!(
                "{received} bytes received, {} written",
                digests.bytes
            ))))
        }
        (Ok(_), Ok(digests)) => Ok(digests),
    };
    if outcome.is_err() {
        let _ = std::fs::remove_file(path);
    }
    outcome
}

/// Hands every message of the stream to the writer, reporting progress, and returns how many
/// bytes came. A writer that stopped early ends it quietly: its own error is the one to report.
async fn receive(
    stream: &mut etcd_client::SnapshotStreaming,
    writer: &mut BlockWriter,
    endpoint: &str,
    path: &Path,
    expected_size: Option<u64>,
    on_progress: &mut (dyn FnMut(Transferred) + Send),
) -> Result<u64, SnapshotError> {
    let mut received: u64 = 0;
    loop {
        // A member that dies mid-stream leaves the call hanging: give each chunk a deadline.
        let message = tokio::time::timeout(CALL_TIMEOUT * 5, stream.message()).await;
        let interrupted = |detail: String| SnapshotError::Interrupted {
            endpoint: endpoint.to_string(),
            received,
            detail,
        };
        let chunk = match message {
            Err(_) => return Err(interrupted("no data for 15s".into())),
            Ok(Err(error)) => return Err(interrupted(error.to_string())),
            Ok(Ok(None)) => return Ok(received),
            Ok(Ok(Some(chunk))) => chunk,
        };
        received += chunk.blob().len() as u64;
        match writer.push(chunk.blob(), CALL_TIMEOUT * 5).await {
            Ok(()) => {}
            Err(Refused::WriterStopped) => return Ok(received),
            Err(Refused::Stalled) => {
                return Err(SnapshotError::Write {
                    path: path.display().to_string(),
                    source: std::io::Error::other("the disk accepted nothing for 15s"),
                });
            }
        }
        on_progress(Transferred {
            bytes: received,
            total: expected_size.map(|size| size.max(received)),
        });
    }
}

/// A snapshot file's SHA-256 and its trailing-hash check (etcd appends the SHA-256 of the
/// database), in one read. A database copied out of a data directory has no such hash and
/// fails the check, as it does in `etcdctl snapshot restore` without `--skip-hash-check`.
pub fn digest_file(path: &Path) -> Result<Digests, SnapshotError> {
    let invalid = |detail: String| SnapshotError::Invalid {
        path: path.display().to_string(),
        detail,
    };
    let mut file = std::fs::File::open(path).map_err(|e| invalid(format!("cannot open: {e}")))?;
    let mut digest = StreamDigest::default();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = file.read(&mut buffer).map_err(|e| invalid(e.to_string()))?;
        if read == 0 {
            break;
        }
        digest.update(&buffer[..read]);
    }
    Ok(digest.finish())
}
