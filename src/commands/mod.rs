//! What each command-line command does; `main` only parses and calls [`dispatch`].

pub mod appdata;
mod completions;
mod config;
mod maintenance;
pub mod member;
mod procedure;
mod project;

mod profile;
mod snapshot;
mod status;
mod ui;

use std::process::ExitCode;

use color_eyre::eyre::{Result, eyre};

use crate::cli::{BackupCommand, Cli, Command, ConnectionArgs, Placement, RestoreCommand};
use crate::connection::{ConnectionSettings, DiscoveryPaths, resolve};
use crate::plan::{Plan, Target};
use crate::procedures::Procedure;

pub async fn dispatch(cli: Cli) -> Result<ExitCode> {
    // Completions and the man page describe the flags, whatever the settings say.
    match cli.command {
        Some(Command::Completions { shell }) => return completions::completions(shell),
        Some(Command::Man) => return completions::man(),
        _ => config::install(cli.readonly)?,
    }
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
            let plan =
                crate::gather::cluster_backup::plan(connection.clone(), &args.request()).await?;
            procedure::run_plan(plan, connection, args.confirm).await
        }
        Some(Command::Restore { command }) => restore(command, &cli.connection).await,
        Some(Command::Appdata { command }) => appdata::dispatch(command).await,
        Some(Command::Project { command }) => project::dispatch(command, &cli.connection).await,
        Some(Command::Snapshot { command }) => snapshot::dispatch(command).await,
        Some(Command::Member { command }) => member::dispatch(command, &cli.connection).await,
        Some(Command::Maintenance { command }) => {
            maintenance::dispatch(command, &cli.connection).await
        }
        Some(Command::Verify { bundle }) => verify(&bundle),
        Some(Command::Profile { command }) => profile::dispatch(command, &cli.connection),
        Some(Command::Config { command }) => config::dispatch(command),
        Some(Command::Completions { .. } | Command::Man) => Ok(ExitCode::SUCCESS),
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
    crate::gather::defaults::plan_with(procedure, connection, target).await
}

/// `lifeboat restore cluster|quorum`: both change etcd on this host, on screen or headless.
async fn restore(command: RestoreCommand, args: &ConnectionArgs) -> Result<ExitCode> {
    let connection = require_connection(args)?;
    let (plan, confirm, headless) = match command {
        RestoreCommand::Cluster(args) => (
            crate::gather::cluster_restore::plan(connection.clone(), &args.request()).await?,
            args.confirm,
            args.headless,
        ),
        RestoreCommand::Quorum(args) => (
            crate::gather::quorum_restore::plan(connection.clone(), &args.request()).await?,
            args.confirm,
            args.headless,
        ),
    };
    procedure::run_on_screen_or_headless(plan, Some(connection), confirm, headless).await
}
