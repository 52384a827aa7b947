//! The v3 snapshot, streamed from one member straight to disk: memory stays flat whatever the
//! database size, and the file is checked against etcd's own trailing hash before anyone
//! relies on it.

use std::io::{Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use thiserror::Error;

use super::client::{CALL_TIMEOUT, EtcdError, connect};
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
/// returns, with both of its hashes computed on the way. On any error after the file was created, the partial file is removed: a truncated
/// snapshot must never be mistaken for a backup. A file that was already there is never touched.
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
    let mut client = connect(target, &[endpoint.to_string()]).await?;
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
    // Snapshots hold every secret of the cluster: owner-only from the first byte.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(write_error)?;
    // Disk writes and hashing run on their own thread, so the next chunk is received while
    // the last one is written: a few chunks in flight at most, so memory stays flat.
    // etcd sends 32 KiB messages: 1 MiB in flight covers a slow write without stalling the
    // stream (4 MiB cost 3 MiB of peak RSS for no time measured), and keeps memory flat.
    let (chunks, received_chunks) = tokio::sync::mpsc::channel::<Vec<u8>>(32);
    let writer = std::thread::spawn(move || write_and_hash(file, received_chunks));
    let streamed = async {
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
                Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => chunk,
            };
            received += chunk.blob().len() as u64;
            match tokio::time::timeout(CALL_TIMEOUT * 5, chunks.send(chunk.blob().to_vec())).await {
                Ok(Ok(())) => {}
                // The writer stopped early: its error is reported below.
                Ok(Err(_)) => break,
                Err(_) => {
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
        Ok(received)
    }
    .await;
    drop(chunks);
    // Joining waits for the final fsync of what can be gigabytes: off the async workers.
    let written = tokio::task::spawn_blocking(move || writer.join())
        .await
        .map_err(|_| std::io::Error::other("the snapshot writer was lost"))
        .and_then(|joined| {
            joined.unwrap_or_else(|_| Err(std::io::Error::other("the snapshot writer panicked")))
        })
        .map_err(write_error);
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

/// Written bytes are handed to the disk a window at a time as the stream goes, so that the
/// sync at the end finds at most two windows still to write instead of the whole file.
const WRITEBACK_WINDOW: u64 = 16 << 20;

/// Writes every chunk, hashing it as it goes, starts the disk writing each full window behind
/// it, and syncs the file once the stream ends.
fn write_and_hash(
    mut file: std::fs::File,
    mut chunks: tokio::sync::mpsc::Receiver<Vec<u8>>,
) -> std::io::Result<Digests> {
    let mut digest = StreamDigest::default();
    let (mut written, mut handed, mut previous) = (0u64, 0u64, 0u64);
    while let Some(chunk) = chunks.blocking_recv() {
        file.write_all(&chunk)?;
        digest.update(&chunk);
        written += chunk.len() as u64;
        if written - handed >= WRITEBACK_WINDOW {
            writeback(&file, handed, written - handed, false);
            // The window before has had a whole window's time to reach the disk; waiting for
            // it keeps the dirty pages of the file to two windows.
            writeback(&file, previous, handed - previous, true);
            (previous, handed) = (handed, written);
        }
    }
    file.sync_all()?;
    Ok(digest.finish())
}

/// Starts writing `len` bytes at `offset` to the disk (`wait`: and waits until they are
/// written). Advisory: the final `sync_all` is what makes the file durable, so a file system
/// without `sync_file_range` only loses the head start.
fn writeback(file: &std::fs::File, offset: u64, len: u64, wait: bool) {
    use nix::libc;
    use std::os::fd::AsRawFd;
    if len == 0 {
        return;
    }
    let flags = if wait {
        libc::SYNC_FILE_RANGE_WAIT_BEFORE
            | libc::SYNC_FILE_RANGE_WRITE
            | libc::SYNC_FILE_RANGE_WAIT_AFTER
    } else {
        libc::SYNC_FILE_RANGE_WRITE
    };
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: the descriptor is the open file borrowed for the call; the kernel checks the
    // range and flags and reports misuse as an error, which is ignored as said above.
    let _ = unsafe { libc::sync_file_range(file.as_raw_fd(), offset, len, flags) };
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
