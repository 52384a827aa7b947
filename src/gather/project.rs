//! Project export and restore: what the cluster and the export say, then the plan.

use std::collections::BTreeMap;
use std::path::PathBuf;

use color_eyre::eyre::{Result, WrapErr, bail, eyre};

use crate::kube::{KindRef, choose_kinds, default_exclusion, discover_namespaced_kinds};
use crate::plan::Plan;
use crate::procedures::{
    ProjectExportFacts, ProjectRestoreFacts, plan_project_export, plan_project_restore,
};
use crate::requests::{ProjectExportRequest, ProjectRestoreRequest};

/// The kinds to export and those left out with the reason, from the server's discovery.
pub fn split_kinds(
    discovered: &[KindRef],
    wanted: Option<&[String]>,
) -> Result<(Vec<KindRef>, BTreeMap<String, String>)> {
    let kinds = choose_kinds(discovered, wanted).map_err(|e| eyre!(e))?;
    let excluded = discovered
        .iter()
        .filter(|k| !kinds.contains(k))
        .map(|k| {
            (
                k.key(),
                default_exclusion(k)
                    .unwrap_or("not among --kinds")
                    .to_string(),
            )
        })
        .collect();
    Ok((kinds, excluded))
}

/// Every namespace the server lists.
async fn namespace_names(client: &kube::Client) -> Result<Vec<String>> {
    let namespaces = crate::kube::list_objects(
        client,
        None,
        &KindRef::new("", "v1", "Namespace", "namespaces"),
    )
    .await
    .map_err(|e| eyre!(e))?;
    Ok(namespaces
        .iter()
        .filter_map(|n| n["metadata"]["name"].as_str().map(String::from))
        .collect())
}

/// The TUI's and `lifeboat plan project-export`'s default: every project that is not the
/// cluster's own, every kind but the regenerated ones, into a new folder of the backups dir.
pub async fn plan_export_everything() -> Result<Plan> {
    let (client, _) = crate::kube::connect().await.map_err(|e| eyre!(e))?;
    let projects: Vec<String> = namespace_names(&client)
        .await?
        .into_iter()
        .filter(|n| !crate::kube::is_system_namespace(n))
        .collect();
    plan_export(&ProjectExportRequest {
        projects,
        out: default_export_dir()?,
        kinds: None,
        secrets: true,
    })
    .await
}

/// The plan for the choices of the TUI's pickers.
pub async fn plan_export_of(
    projects: Vec<String>,
    kinds: Vec<KindRef>,
    excluded: BTreeMap<String, String>,
) -> Result<Plan> {
    let (_, server) = crate::kube::connect().await.map_err(|e| eyre!(e))?;
    Ok(plan_project_export(&ProjectExportFacts {
        projects,
        kinds,
        excluded,
        secrets: true,
        out: default_export_dir()?,
        server,
    }))
}

pub async fn plan_export(args: &ProjectExportRequest) -> Result<Plan> {
    let out = std::path::absolute(&args.out).wrap_err("resolving --out")?;
    let (client, server) = crate::kube::connect().await.map_err(|e| eyre!(e))?;
    let discovered = discover_namespaced_kinds(&client)
        .await
        .map_err(|e| eyre!(e))?;
    let (kinds, excluded) = split_kinds(&discovered, args.kinds.as_deref())?;
    let existing = namespace_names(&client).await?;
    for project in &args.projects {
        if !existing.contains(project) {
            bail!(
                "project {project} does not exist on {server}; there are: {}",
                existing.join(", ")
            );
        }
        if out.join(project).exists() {
            bail!(
                "{} already exists: lifeboat never writes over an export; choose another --out",
                out.join(project).display()
            );
        }
    }
    Ok(plan_project_export(&ProjectExportFacts {
        projects: args.projects.clone(),
        kinds,
        excluded,
        secrets: args.secrets,
        out,
        server,
    }))
}

/// Reads the export's manifest and asks the target cluster what it serves.
pub async fn plan_restore(args: &ProjectRestoreRequest) -> Result<Plan> {
    let from = std::path::absolute(&args.from).wrap_err("resolving --from")?;
    let (manifest, objects) = crate::kube::load_export(&from)
        .map_err(|e| eyre!("{e}\n  --from takes one project's folder of an export, DIR/PROJECT"))?;
    let contents = manifest.project.ok_or_else(|| {
        eyre!(
            "{} is a {} bundle, not a project export",
            from.display(),
            manifest.identity.kind
        )
    })?;
    let target = args.rename.clone().unwrap_or(contents.namespace.clone());
    let namespace = crate::kube::read_objects(&from.join("namespace.yaml")).unwrap_or_default();
    let annotations = namespace
        .first()
        .and_then(|ns| ns["metadata"]["annotations"].as_object())
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default();
    let (client, _) = crate::kube::connect().await.map_err(|e| eyre!(e))?;
    Ok(plan_project_restore(&ProjectRestoreFacts {
        from,
        source: contents.namespace,
        target,
        annotations,
        openshift: crate::kube::serves_projects(&client).await,
        existing: args.existing,
        preview: args.preview,
        dry_run: args.dry_run,
        objects: objects.len() as u64,
    }))
}

/// Where the TUI puts exports: the data dir's `backups/projects-<time>`.
pub fn default_export_dir() -> Result<PathBuf> {
    Ok(crate::paths::backups_dir()?.join(crate::paths::stamped("projects")))
}
