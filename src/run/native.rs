//! Actions lifeboat performs itself rather than through a command: bundle directories,
//! archives, the streamed snapshot, sealing.

use std::path::Path;

use super::check::ActionResult;
use super::events::RunEvent;
use crate::bundle::{BundleIdentity, SealExtras, SnapshotStats, seal_with, write_archive};
use crate::connection::Endpoints;
use crate::etcd::save_snapshot;

/// Claims the staging directory for this run (created 0700, locked until the cleanup step).
pub fn prepare_bundle(staging: &Path, out: &Path) -> Result<ActionResult, String> {
    crate::bundle::staging::claim_held(staging, out)?;
    Ok(ActionResult::Done {
        summary: format!("created {}", staging.display()),
    })
}

pub fn archive(
    base: &Path,
    entries: &[std::path::PathBuf],
    to: &Path,
    mode: u32,
) -> Result<ActionResult, String> {
    let bytes = write_archive(base, entries, to, mode).map_err(|e| format!("{e:#}"))?;
    Ok(ActionResult::Done {
        summary: format!("{} files, {bytes} bytes in {}", entries.len(), to.display()),
    })
}

pub async fn snapshot(
    index: usize,
    target: &Endpoints,
    endpoint: &str,
    to: &Path,
    expected_size: Option<u64>,
    events: &tokio::sync::mpsc::UnboundedSender<RunEvent>,
) -> Result<ActionResult, String> {
    let mut last_sent = 0u64;
    let mut on_progress = |progress: crate::etcd::Transferred| {
        // A progress event per megabyte is plenty for a gauge and cheap for the channel.
        if progress.bytes - last_sent >= 1 << 20 || Some(progress.bytes) == progress.total {
            last_sent = progress.bytes;
            let _ = events.send(RunEvent::Progress {
                index,
                done: progress.bytes,
                total: progress.total,
            });
        }
    };
    let digests = save_snapshot(target, endpoint, to, expected_size, &mut on_progress)
        .await
        .map_err(|e| e.to_string())?;
    let bytes = digests.bytes;
    let _ = events.send(RunEvent::Progress {
        index,
        done: bytes,
        total: Some(bytes),
    });
    Ok(ActionResult::Snapshot {
        bytes,
        hash: digests.trailing_hash(),
        sha256: digests.sha256,
    })
}

pub fn seal_bundle(
    staging: &Path,
    out: &Path,
    identity: &BundleIdentity,
    stats: Option<SnapshotStats>,
    known_sha256: &std::collections::BTreeMap<std::path::PathBuf, String>,
) -> Result<ActionResult, String> {
    let extras = SealExtras {
        snapshot: stats,
        known_sha256: known_sha256.clone(),
        ..SealExtras::default()
    };
    let manifest =
        seal_with(staging, out, identity.clone(), extras).map_err(|e| format!("{e:#}"))?;
    Ok(ActionResult::Done {
        summary: format!(
            "{} file{} sealed in {}",
            manifest.files.len(),
            if manifest.files.len() == 1 { "" } else { "s" },
            out.display()
        ),
    })
}

/// Removes the staging directory only if this run created it: never one an earlier run left
/// for the engineer to look at, nor one another run is writing.
pub fn discard_staging(staging: &Path) -> Result<ActionResult, String> {
    let summary = crate::bundle::staging::discard_held(staging)?;
    Ok(ActionResult::Done { summary })
}

pub fn read_snapshot_back(file: &Path) -> Result<ActionResult, String> {
    let stats = crate::etcd::read_stats(file).map_err(|e| e.to_string())?;
    Ok(ActionResult::SnapshotRead(SnapshotStats {
        revision: stats.revision,
        total_keys: stats.total_keys,
        total_size: stats.total_size,
        keys: None,
    }))
}
