//! The background work of the guided procedures: finding bundles for a form, gathering and
//! planning a request, measuring what a procedure wrote. Results come back as messages.

use std::path::{Path, PathBuf};

use tokio::sync::mpsc;

use super::form::{BundleChoice, FormRequest, JoinForm, RealHost, RestoreForm};
use super::msg::Msg;
use crate::connection::{ConnectionSettings, Endpoints};
use crate::gather::backups::{FoundBundle, cluster_backups, join_bundles};
use crate::plan::Plan;

/// Lists the cluster backups with their manifests, then opens the restore form on them.
pub fn open_restore_form(mut spec: RestoreForm, tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let dir = spec.backups_dir.clone();
        let found = tokio::task::spawn_blocking(move || cluster_backups(&dir))
            .await
            .unwrap_or_default();
        spec.bundles = found.iter().map(bundle_choice).collect();
        let _ = tx.send(Msg::FormReady(Box::new(spec.form(&RealHost))));
    });
}

/// When, from which cluster, revision, keys and size: what tells one backup from another.
pub fn bundle_choice(found: &FoundBundle) -> BundleChoice {
    let m = &found.manifest;
    let name = found
        .path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let snapshot = m.snapshot.as_ref().map_or_else(
        || "data-dir copy".to_string(),
        |s| {
            format!(
                "rev {} · {} keys",
                s.revision,
                s.keys.unwrap_or(s.total_keys)
            )
        },
    );
    BundleChoice {
        path: found.path.clone(),
        summary: format!(
            "{name}  {} · cluster {} · {} · {} · from {}",
            m.created.get(..16).unwrap_or(&m.created).replace('T', " "),
            if m.identity.cluster_id.is_empty() {
                "?"
            } else {
                &m.identity.cluster_id
            },
            snapshot,
            crate::present::human_bytes_u64(found.size()),
            m.identity.host,
        ),
        snapshot: m.snapshot.is_some(),
    }
}

pub fn open_join_form(backups_dir: PathBuf, tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let bundles = tokio::task::spawn_blocking(move || join_bundles(&backups_dir))
            .await
            .unwrap_or_default();
        let spec = JoinForm {
            bundles,
            systemd: Path::new("/run/systemd/system").is_dir(),
            process_cluster: crate::facts::ProcessCluster::path_from_env(),
        };
        let _ = tx.send(Msg::FormReady(Box::new(spec.form(&RealHost))));
    });
}

/// Gathers the request's facts and plans it; a refusal comes back whole.
pub fn plan_request(
    request: FormRequest,
    connection: Option<ConnectionSettings>,
    tx: mpsc::UnboundedSender<Msg>,
) {
    tokio::spawn(async move {
        let msg = match plan(request, connection).await {
            Ok((plan, etcd)) => Msg::Planned { plan, etcd },
            Err(error) => Msg::Refused(format!("{error:#}")),
        };
        let _ = tx.send(msg);
    });
}

async fn plan(
    request: FormRequest,
    connection: Option<ConnectionSettings>,
) -> color_eyre::Result<(Plan, Option<Endpoints>)> {
    let needs_cluster = || {
        connection.clone().ok_or_else(|| {
            color_eyre::eyre::eyre!("no etcd cluster is configured: quit and pass --endpoints")
        })
    };
    Ok(match request {
        FormRequest::Backup(r) => {
            let connection = needs_cluster()?;
            let etcd = Some(connection.target.clone());
            (
                crate::gather::cluster_backup::plan(connection, &r).await?,
                etcd,
            )
        }
        FormRequest::Restore(r) => {
            let connection = needs_cluster()?;
            let etcd = Some(connection.target.clone());
            (
                crate::gather::cluster_restore::plan(connection, &r).await?,
                etcd,
            )
        }
        FormRequest::Replace(r) => {
            let connection = needs_cluster()?;
            let etcd = Some(connection.target.clone());
            (
                crate::gather::member::plan_replace(connection, &r).await?,
                etcd,
            )
        }
        FormRequest::Quorum(r) => {
            let connection = needs_cluster()?;
            let etcd = Some(connection.target.clone());
            (
                crate::gather::quorum_restore::plan(connection, &r).await?,
                etcd,
            )
        }
        FormRequest::Join(r) => {
            let facts = crate::gather::member::join_facts(&r)?;
            let etcd = Some(facts.connection().target);
            (crate::procedures::plan_member_join(&facts), etcd)
        }
    })
}

/// The promotion of a learner that caught up, planned for the engineer to read.
pub fn plan_promote(
    name: String,
    client_url: String,
    connection: Option<ConnectionSettings>,
    tx: mpsc::UnboundedSender<Msg>,
) {
    let msg = match connection {
        Some(connection) => Msg::Planned {
            etcd: Some(connection.target.clone()),
            plan: crate::procedures::plan_member_promote(&crate::procedures::MemberPromoteFacts {
                connection,
                name,
                client_url,
                wait_timeout_secs: crate::requests::DEFAULT_WAIT_SECS,
            }),
        },
        None => Msg::Refused("no etcd cluster is configured".into()),
    };
    let _ = tx.send(msg);
}

/// Sizes and digests of what a finished procedure wrote; a bundle directory is summed, and
/// its manifest (which holds every file's digest) hashed.
pub fn summarize(paths: Vec<PathBuf>, tx: mpsc::UnboundedSender<Msg>) {
    tokio::task::spawn_blocking(move || {
        let artifacts = paths.iter().filter_map(|p| measure(p)).collect();
        let _ = tx.send(Msg::Artifacts(artifacts));
    });
}

fn measure(path: &Path) -> Option<super::guide::Artifact> {
    let meta = path.symlink_metadata().ok()?;
    let (bytes, hashed) = if meta.is_dir() {
        let bytes = crate::gather::backups::read_manifest(path)
            .map(|m| m.files.iter().map(|f| f.size).sum())
            .unwrap_or(0);
        (bytes, path.join(crate::bundle::MANIFEST))
    } else {
        (meta.len(), path.to_path_buf())
    };
    Some(super::guide::Artifact {
        path: path.to_path_buf(),
        bytes,
        sha256: crate::bundle::sha256_file(&hashed).ok(),
    })
}
