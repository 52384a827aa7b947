//! The background work of the cluster backup browser; results come back as messages.

use std::path::PathBuf;
use std::time::Duration;

use tokio::sync::mpsc;

use super::msg::Msg;
use super::snapshot_browser::{BundleRow, ProjectRow};
use crate::gather::snapshot::ProjectDiff;

/// The live cluster may be slow or gone (that is why backups are browsed): its comparison
/// gets this long, then the projects are shown without it.
const LIVE_TIMEOUT: Duration = Duration::from_secs(20);

pub fn load_bundles(tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let result = crate::paths::backups_dir()
            .map(|dir| {
                crate::gather::backups::cluster_backups(&dir)
                    .into_iter()
                    .filter(|found| crate::stored::database_of(&found.path).is_ok())
                    .map(|found| BundleRow {
                        revision: found.manifest.snapshot.map(|s| s.revision),
                        created: found.manifest.created,
                        path: found.path,
                    })
                    .collect()
            })
            .map_err(|e| format!("{e:#}"));
        let _ = tx.send(Msg::SnapshotBundles(result));
    });
}

pub fn load_projects(bundle: PathBuf, tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let result = projects(bundle).await;
        let _ = tx.send(Msg::SnapshotProjects(result));
    });
}

async fn projects(bundle: PathBuf) -> Result<Vec<ProjectRow>, String> {
    // Reading the snapshot is file I/O of up to gigabytes: off the async threads.
    let snapshot = tokio::task::spawn_blocking(move || {
        let snapshot = crate::stored::SnapshotObjects::open(&bundle)?;
        let counts = snapshot.counts()?;
        Ok::<_, String>((snapshot, counts))
    })
    .await
    .map_err(|e| format!("reading the snapshot stopped: {e}"))?;
    let (snapshot, counts) = snapshot?;
    let live = tokio::time::timeout(
        LIVE_TIMEOUT,
        crate::gather::snapshot::diff_with_live(&snapshot),
    )
    .await;
    let diffs = match live {
        Ok(Ok(diffs)) => Some(diffs),
        Ok(Err(_)) | Err(_) => None,
    };
    Ok(counts
        .into_iter()
        .filter(|(namespace, _)| !crate::kube::is_system_namespace(namespace))
        .map(|(namespace, kinds)| ProjectRow {
            objects: kinds.values().sum(),
            kinds: kinds
                .iter()
                .map(|(kind, n)| format!("{kind} {n}"))
                .collect::<Vec<_>>()
                .join(", "),
            live: match &diffs {
                Some(diffs) => describe(diffs.get(&namespace)),
                None => "live cluster not reachable".into(),
            },
            namespace,
        })
        .collect())
}

/// A project's difference from the live cluster, in a few words.
pub fn describe(diff: Option<&ProjectDiff>) -> String {
    let Some(diff) = diff else {
        return "same".into();
    };
    if diff.project_gone {
        return "gone from the live cluster".into();
    }
    let parts: Vec<String> = [
        (diff.only_in_backup.len(), "only in backup"),
        (diff.only_live.len(), "only live"),
        (diff.changed.len(), "changed"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, what)| format!("{n} {what}"))
    .collect();
    if parts.is_empty() {
        "same".into()
    } else {
        parts.join(", ")
    }
}
