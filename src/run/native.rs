//! Actions lifeboat performs itself rather than through a command: bundle directories,
//! archives, the streamed snapshot, sealing.

use std::path::Path;

use super::check::ActionResult;
use super::events::RunEvent;
use crate::bundle::{BundleIdentity, SealExtras, SnapshotStats, seal_with, write_archive};
use crate::connection::Endpoints;
use crate::etcd::save_snapshot;

pub fn prepare_bundle(staging: &Path, out: &Path) -> Result<ActionResult, String> {
    if out.exists() {
        return Err(format!(
            "{} already exists: lifeboat never writes over a bundle; choose another --out",
            out.display()
        ));
    }
    if staging.exists() {
        return Err(format!(
            "{} is left from an earlier run that did not finish; look inside, then remove it",
            staging.display()
        ));
    }
    std::fs::create_dir_all(staging).map_err(|e| format!("creating {}: {e}", staging.display()))?;
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

pub fn discard_staging(staging: &Path) -> Result<ActionResult, String> {
    if !staging.exists() {
        return Ok(ActionResult::Done {
            summary: "nothing unfinished left behind".into(),
        });
    }
    std::fs::remove_dir_all(staging).map_err(|e| format!("removing {}: {e}", staging.display()))?;
    Ok(ActionResult::Done {
        summary: format!("removed the unfinished {}", staging.display()),
    })
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
