//! Application data: finds the workload, its volumes and a running pod (what the procedure
//! finds by hand with `oc export | grep mountPath` and `oc get po --selector`), then plans.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, bail, eyre};

use crate::kube::pod_copy::probe;
use crate::kube::workload::{
    Workload, WorkloadRef, WorkloadVolume, client, fetch_workload, list_workloads, ready_pod,
};
use crate::plan::{Plan, RestartHow};
use crate::procedures::{
    APP_DATA_KIND, APP_DATA_RECORD, AppDataBackupFacts, AppDataRecord, AppDataRestoreFacts,
    plan_app_data_backup, plan_app_data_restore,
};
use crate::requests::{AppDataBackupRequest, AppDataPick, AppDataRestoreRequest, AppDataSelection};

/// "jenkins-data  /var/lib/jenkins  claim jenkins" — the procedure's `grep mountPath` line.
pub fn describe_volume(volume: &WorkloadVolume) -> String {
    format!(
        "{}  {}  {}{}",
        volume.name,
        volume.mount_path,
        match &volume.claim {
            Some(claim) => format!("claim {claim}"),
            None => format!("{} (not persistent)", volume.source),
        },
        if volume.read_only { "  read-only" } else { "" }
    )
}

/// The volumes asked for by name, or every persistent one.
pub fn choose_volumes(workload: &Workload, names: &[String]) -> Result<Vec<WorkloadVolume>> {
    let listing = || {
        workload
            .volumes
            .iter()
            .map(|v| format!("\n  {}", describe_volume(v)))
            .collect::<String>()
    };
    if names.is_empty() {
        let persistent: Vec<_> = workload
            .volumes
            .iter()
            .filter(|v| v.is_persistent())
            .cloned()
            .collect();
        if persistent.is_empty() {
            bail!(
                "{} mounts no volume backed by a PersistentVolumeClaim; name the ones to copy with --volume:{}",
                workload.reference,
                listing()
            );
        }
        return Ok(persistent);
    }
    names
        .iter()
        .map(|name| {
            workload
                .volumes
                .iter()
                .find(|v| &v.name == name)
                .cloned()
                .ok_or_else(|| {
                    eyre!(
                        "{} has no volume {name:?}; its volumes are:{}",
                        workload.reference,
                        listing()
                    )
                })
        })
        .collect()
}

async fn workload_and_pod(
    client: &kube::Client,
    namespace: &str,
    workload: &str,
) -> Result<(Workload, String)> {
    let reference = WorkloadRef::parse(workload).map_err(|e| eyre!(e))?;
    let workload = fetch_workload(client, namespace, &reference)
        .await
        .map_err(|e| eyre!(e))?;
    let pod = ready_pod(client, namespace, &workload.selector)
        .await
        .map_err(|e| eyre!(e))?
        .ok_or_else(|| {
            eyre!(
                "this type of backup needs a running pod: no pod of {} in project {namespace} \
                 (selector {}) is running and ready.\n  Start one with `oc scale --replicas=1 {} -n {namespace}` \
                 and wait until `oc get po -n {namespace} --selector={}` shows it Running.",
                workload.reference,
                workload.selector,
                workload.reference,
                workload.selector
            )
        })?;
    Ok((workload, pod))
}

pub async fn plan_backup(request: &AppDataBackupRequest) -> Result<Plan> {
    let selection = &request.selection;
    let out = std::path::absolute(&request.out).wrap_err("resolving --out")?;
    let client = client().await.map_err(|e| eyre!(e))?;
    let (workload, pod) =
        workload_and_pod(&client, &selection.namespace, &selection.workload).await?;
    let mut volumes = Vec::new();
    for volume in choose_volumes(&workload, &selection.volumes)? {
        // Checked now, so a pod without tar is said before anything is planned.
        let at = crate::procedures::pod_path(&workload.namespace, &pod, &volume);
        let size = probe(&client, &at, false).await.map_err(|e| eyre!(e))?;
        volumes.push((volume, size));
    }
    Ok(plan_app_data_backup(&AppDataBackupFacts {
        workload,
        pod,
        volumes,
        out,
        host: crate::gather::cluster_backup::host_name(),
    }))
}

/// The bundle's record of where its data came from.
pub fn read_record(bundle: &Path) -> Result<AppDataRecord> {
    let manifest: crate::bundle::Manifest = serde_json::from_str(
        &std::fs::read_to_string(bundle.join(crate::bundle::MANIFEST)).wrap_err_with(|| {
            format!(
                "{} is not a bundle (no readable manifest.json)",
                bundle.display()
            )
        })?,
    )
    .wrap_err_with(|| format!("reading {}/manifest.json", bundle.display()))?;
    if manifest.identity.kind != APP_DATA_KIND {
        bail!(
            "{} is a {} bundle, not application data; `lifeboat appdata restore` takes what `lifeboat appdata backup` made",
            bundle.display(),
            manifest.identity.kind
        );
    }
    let text = std::fs::read_to_string(bundle.join(APP_DATA_RECORD))
        .wrap_err_with(|| format!("reading {}/{APP_DATA_RECORD}", bundle.display()))?;
    serde_json::from_str(&text)
        .wrap_err_with(|| format!("reading {}/{APP_DATA_RECORD}", bundle.display()))
}

/// Bytes of the files listed in the manifest under `volumes/<name>/`.
fn volume_bytes(bundle: &Path, name: &str) -> u64 {
    let prefix = Path::new("volumes").join(name);
    std::fs::read_to_string(bundle.join(crate::bundle::MANIFEST))
        .ok()
        .and_then(|text| serde_json::from_str::<crate::bundle::Manifest>(&text).ok())
        .map_or(0, |m| {
            m.files
                .iter()
                .filter(|f| f.path.starts_with(&prefix) && f.link.is_none())
                .map(|f| f.size)
                .sum()
        })
}

pub async fn plan_restore(request: &AppDataRestoreRequest) -> Result<Plan> {
    let AppDataRestoreRequest {
        selection,
        restart,
        timeout_secs,
        ..
    } = request;
    let (restart, timeout_secs) = (*restart, *timeout_secs);
    let bundle: PathBuf = std::path::absolute(&request.bundle).wrap_err("resolving --from")?;
    let record = read_record(&bundle)?;
    let client = client().await.map_err(|e| eyre!(e))?;
    let (workload, pod) =
        workload_and_pod(&client, &selection.namespace, &selection.workload).await?;
    let wanted: Vec<&WorkloadVolume> = if selection.volumes.is_empty() {
        record.volumes.iter().collect()
    } else {
        selection
            .volumes
            .iter()
            .map(|name| {
                record
                    .volumes
                    .iter()
                    .find(|v| &v.name == name)
                    .ok_or_else(|| {
                        eyre!(
                            "the bundle holds no volume {name:?}; it holds {}",
                            names(&record.volumes)
                        )
                    })
            })
            .collect::<Result<_>>()?
    };
    let mut volumes = Vec::new();
    for saved in wanted {
        // The live mount path counts: the data goes where the pod mounts the volume now.
        let live = workload
            .volumes
            .iter()
            .find(|v| v.name == saved.name)
            .cloned()
            .ok_or_else(|| {
                eyre!(
                    "{} has no volume {:?} any more (the bundle's data came from {} in {}); its volumes are {}",
                    workload.reference,
                    saved.name,
                    saved.mount_path,
                    record.workload,
                    names(&workload.volumes)
                )
            })?;
        if !live.is_persistent() && restart != RestartHow::None {
            bail!(
                "{} at {} is a {} volume, gone with the pod: restarting would throw the restored data \
                 away. Restoring application data requires a persistent volume; pass --restart none \
                 to restore into the running pod only.",
                live.name,
                live.mount_path,
                live.source
            );
        }
        let at = crate::procedures::pod_path(&workload.namespace, &pod, &live);
        probe(&client, &at, false).await.map_err(|e| eyre!(e))?;
        let bytes = volume_bytes(&bundle, &live.name);
        volumes.push((live, bytes));
    }
    Ok(plan_app_data_restore(&AppDataRestoreFacts {
        bundle,
        workload,
        pod,
        volumes,
        restart,
        timeout_secs,
    }))
}

fn names(volumes: &[WorkloadVolume]) -> String {
    volumes
        .iter()
        .map(|v| v.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn bundle_prefix(namespace: &str, workload: &str) -> String {
    format!("appdata-{namespace}-{}-", workload.replace('/', "-"))
}

/// The newest sealed bundle the TUI made for this workload.
fn newest_bundle(namespace: &str, workload: &str) -> Result<PathBuf> {
    let dir = crate::paths::backups_dir()?;
    let prefix = bundle_prefix(namespace, workload);
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(&prefix) && !n.ends_with(".partial"))
                        && p.join(crate::bundle::MANIFEST).is_file()
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found.pop().ok_or_else(|| {
        eyre!(
            "no application data backup of {workload} in {} yet: back it up first (b)",
            dir.display()
        )
    })
}

/// Plans what the TUI's picker asked for: a backup into a new bundle under `backups/`, or a
/// restore of the newest one with the pod deleted to restart.
pub async fn plan_pick(request: &AppDataPick) -> Result<Plan> {
    let selection = AppDataSelection {
        namespace: request.namespace.clone(),
        workload: request.workload.clone(),
        volumes: request.volumes.clone(),
    };
    if request.restore {
        let bundle = newest_bundle(&request.namespace, &request.workload)?;
        plan_restore(&AppDataRestoreRequest {
            selection,
            bundle,
            restart: RestartHow::Delete,
            timeout_secs: 300,
        })
        .await
    } else {
        let stamp = jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S").to_string();
        let out = crate::paths::backups_dir()?.join(format!(
            "{}{stamp}",
            bundle_prefix(&request.namespace, &request.workload)
        ));
        plan_backup(&AppDataBackupRequest { selection, out }).await
    }
}

/// Every DeploymentConfig and Deployment of every project, for the picker.
pub async fn all_workloads() -> Result<Vec<Workload>, String> {
    use k8s_openapi::api::core::v1::Namespace;
    let client = client().await?;
    let namespaces = kube::Api::<Namespace>::all(client.clone())
        .list_metadata(&kube::api::ListParams::default())
        .await
        .map_err(|e| format!("listing projects: {e}"))?;
    let mut all = Vec::new();
    for namespace in namespaces
        .items
        .iter()
        .filter_map(|n| n.metadata.name.as_deref())
    {
        all.extend(list_workloads(&client, namespace).await?);
    }
    Ok(all)
}
