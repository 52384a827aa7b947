//! What each command-line command does; `main` only parses and calls [`dispatch`].

pub mod appdata;
mod backup;
mod member;
mod procedure;
mod project;
pub use project::{default_export_dir, plan_export_of, plan_restore};
mod restore;

mod profile;
mod status;
mod ui;

use std::process::ExitCode;

use color_eyre::eyre::{Result, eyre};

use crate::cli::{BackupCommand, Cli, Command, ConnectionArgs, Placement, RestoreCommand};
use crate::connection::{ConnectionSettings, DiscoveryPaths, resolve};
use crate::facts::Tools;
use crate::plan::{Plan, Target};
use crate::procedures::{HealthCheckFacts, Procedure, plan_health_check};

pub async fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        None => ui::open(&cli.connection).await,
        Some(Command::Status { output }) => status::status(&cli.connection, output).await,
        Some(Command::Plan {
            procedure,
            placement,
        }) => {
            let connection = require_connection(&cli.connection)?;
            let plan = build_plan(procedure, connection, &placement).await?;
            // A runbook is for change review: a malformed plan is a bug to report, not to print.
            if let Err(defects) = plan.validate() {
                let list: Vec<String> = defects.iter().map(ToString::to_string).collect();
                return Err(eyre!(
                    "lifeboat made a malformed plan (please report this):\n  {}",
                    list.join("\n  ")
                ));
            }
            print!("{}", crate::present::render_runbook(&plan));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Run {
            procedure,
            placement,
            confirm,
        }) => procedure::run_headless(procedure, &cli.connection, &placement, confirm).await,
        Some(Command::Backup {
            command: BackupCommand::Cluster(args),
        }) => {
            let connection = require_connection(&cli.connection)?;
            let plan = backup::plan_backup(connection.clone(), &args).await?;
            procedure::run_plan(plan, connection, args.confirm).await
        }
        Some(Command::Restore {
            command: RestoreCommand::Cluster(args),
        }) => {
            let connection = require_connection(&cli.connection)?;
            let plan = restore::plan_restore(connection.clone(), &args).await?;
            procedure::run_on_screen_or_headless(
                plan,
                Some(connection),
                args.confirm,
                args.headless,
            )
            .await
        }
        Some(Command::Appdata { command }) => appdata::dispatch(command).await,
        Some(Command::Project { command }) => project::dispatch(command, &cli.connection).await,
        Some(Command::Member { command }) => member::dispatch(command, &cli.connection).await,
        Some(Command::Verify { bundle }) => verify(&bundle),
        Some(Command::Profile { command }) => profile::dispatch(command, &cli.connection),
    }
}

fn verify(bundle: &std::path::Path) -> Result<ExitCode> {
    let manifest = crate::bundle::verify(bundle)
        .map_err(|e| eyre!("{} FAILED verification: {e}", bundle.display()))?;
    println!(
        "{} is complete: {} files match their SHA-256{}.",
        bundle.display(),
        manifest.files.len(),
        manifest.snapshot.map_or(String::new(), |s| format!(
            ", snapshot at revision {} with {} keys and a valid hash",
            s.revision, s.total_keys
        ))
    );
    Ok(ExitCode::SUCCESS)
}

/// The connection from flags, environment, profile or host discovery.
pub fn resolve_connection(args: &ConnectionArgs) -> Result<Option<ConnectionSettings>> {
    resolve(
        &args.flags(),
        &|name| std::env::var(name).ok(),
        &DiscoveryPaths::system()?,
    )
}

pub fn require_connection(args: &ConnectionArgs) -> Result<ConnectionSettings> {
    resolve_connection(args)?.ok_or_else(|| {
        eyre!(
            "no etcd cluster is configured.\n  Pass --endpoints (with --cacert, --cert and --key for TLS), \
             set ETCDCTL_ENDPOINTS, use --profile NAME, or rehearse on a local cluster: `make demo`, or `lifeboat-sandbox up` and the variables of `lifeboat-sandbox env`."
        )
    })
}

/// Plans `procedure` for the given connection, with its commands placed as `placement` says.
pub async fn build_plan(
    procedure: Procedure,
    connection: ConnectionSettings,
    placement: &Placement,
) -> Result<Plan> {
    let target = match &placement.docker {
        Some(container) => Target::DockerExec {
            container: container.clone(),
        },
        None => Target::Local,
    };
    plan_with(procedure, connection, target).await
}

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
            let args = crate::cli::BackupClusterArgs {
                out: backup::default_out()?,
                method: crate::procedures::BackupMethod::Snapshot,
                data_dir: None,
                stop_etcd: false,
                master_dir: "/etc/origin/master".into(),
                etcd_config_dir: "/etc/etcd".into(),
                placement: Placement {
                    docker: match target {
                        Target::DockerExec { container } => Some(container),
                        Target::Local => None,
                    },
                },
                confirm: crate::cli::ConfirmArgs::default(),
            };
            backup::plan_backup(connection, &args).await?
        }
        Procedure::ClusterRestore => {
            let args = crate::cli::RestoreClusterArgs {
                bundle: restore::newest_bundle()?,
                data_dir: None,
                etcd_conf: None,
                master_dir: "/etc/origin/master".into(),
                disaster_recovery: false,
                headless: false,
                placement: Placement {
                    docker: match target {
                        Target::DockerExec { container } => Some(container),
                        Target::Local => None,
                    },
                },
                confirm: crate::cli::ConfirmArgs::default(),
            };
            restore::plan_restore(connection, &args).await?
        }
        Procedure::MemberReplace
        | Procedure::MemberJoin
        | Procedure::AppDataBackup
        | Procedure::AppDataRestore => {
            // Not offered by the menu or `lifeboat plan`: they take choices no default gives.
            return Err(eyre!(
                "{procedure} takes its choices as flags: see `lifeboat --help` for its command"
            ));
        }
        Procedure::ProjectExport => project::plan_export_everything().await?,
        Procedure::ProjectRestore => {
            let newest = crate::tui::find_exports(&crate::paths::backups_dir()?)
                .into_iter()
                .next()
                .ok_or_else(|| {
                    eyre!(
                        "no project export under {}; make one with `lifeboat project export`",
                        crate::paths::backups_dir()
                            .map(|d| d.display().to_string())
                            .unwrap_or_default()
                    )
                })?;
            plan_restore(&crate::cli::ProjectRestoreArgs {
                from: newest.path,
                rename: None,
                existing: crate::kube::ExistingPolicy::Skip,
                preview: true,
                yes: false,
                dry_run: false,
                headless: false,
            })
            .await?
        }
    })
}
