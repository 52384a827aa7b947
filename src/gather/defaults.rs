//! Every procedure with its default choices: what `lifeboat plan` prints and what the TUI
//! runs for a procedure that asks nothing.

use color_eyre::eyre::{Result, eyre};

use crate::connection::ConnectionSettings;
use crate::facts::Tools;
use crate::plan::{Plan, Target};
use crate::procedures::{HealthCheckFacts, Procedure, plan_health_check};
use crate::requests::{ClusterBackupRequest, ClusterRestoreRequest, ProjectRestoreRequest};

/// Gathers the facts a procedure's planner needs from this host, then plans with the
/// procedure's default choices (the TUI's and `lifeboat plan`'s).
pub async fn plan_with(
    procedure: Procedure,
    connection: ConnectionSettings,
    target: Target,
) -> Result<Plan> {
    Ok(match procedure {
        Procedure::HealthCheck => plan_health_check(&HealthCheckFacts {
            connection,
            etcdctl: Tools::discover().etcdctl,
            target,
        }),
        Procedure::ClusterBackup => {
            let mut request =
                ClusterBackupRequest::snapshot_into(super::cluster_backup::default_out()?);
            if let Target::DockerExec { container } = target {
                request.container = Some(container);
            }
            super::cluster_backup::plan(connection, &request).await?
        }
        Procedure::ClusterRestore => {
            let backups = crate::paths::backups_dir()?;
            let newest = super::backups::cluster_backups(&backups)
                .into_iter()
                .next()
                .ok_or_else(|| {
                    eyre!(
                        "no cluster backup in {}: take one first (Cluster backup), or run \
                         `lifeboat restore cluster --from BUNDLE`",
                        backups.display()
                    )
                })?;
            let mut request = ClusterRestoreRequest::from_bundle(newest.path);
            if let Target::DockerExec { container } = target {
                request.container = Some(container);
            }
            super::cluster_restore::plan(connection, &request).await?
        }
        Procedure::MemberReplace
        | Procedure::MemberJoin
        | Procedure::MemberPromote
        | Procedure::AppDataBackup
        | Procedure::AppDataRestore
        | Procedure::SnapshotExport => {
            // Not offered by the menu or `lifeboat plan`: they take choices no default gives.
            return Err(eyre!(
                "{procedure} takes its choices as flags: see `lifeboat --help` for its command"
            ));
        }
        Procedure::ProjectExport => super::project::plan_export_everything().await?,
        Procedure::SpaceRecovery => super::maintenance::plan_nospace(connection).await?,
        Procedure::Defrag => super::maintenance::plan_defragmentation(connection, None).await?,
        Procedure::QuorumRestore => {
            super::quorum_restore::plan(connection, &Default::default()).await?
        }
        Procedure::ProjectRestore => {
            let backups = crate::paths::backups_dir()?;
            let newest = super::backups::project_exports(&backups)
                .into_iter()
                .next()
                .ok_or_else(|| {
                    eyre!(
                        "no project export under {}; make one with `lifeboat project export`",
                        backups.display()
                    )
                })?;
            super::project::plan_restore(&ProjectRestoreRequest {
                from: newest.path,
                rename: None,
                existing: crate::kube::ExistingPolicy::Skip,
                preview: true,
                dry_run: false,
            })
            .await?
        }
    })
}
