//! What each command-line command does; `main` only parses and calls [`dispatch`].

mod procedure;

pub use procedure::command_line;
mod profile;
mod sandbox;
mod status;
mod ui;

use std::process::ExitCode;

use color_eyre::eyre::{Result, eyre};

use crate::cli::{Cli, Command, ConnectionArgs, Placement};
use crate::connection::{ConnectionSettings, DiscoveryPaths, resolve};
use crate::facts::Tools;
use crate::plan::{Plan, Target};
use crate::procedures::{HealthCheckFacts, Procedure, plan_health_check};

pub async fn dispatch(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        None => ui::open(&cli.connection).await,
        Some(Command::Demo { members }) => ui::demo(members).await,
        Some(Command::Status { output }) => status::status(&cli.connection, output).await,
        Some(Command::Plan {
            procedure,
            placement,
        }) => {
            let plan = build_plan(procedure, &cli.connection, &placement)?;
            print!("{}", crate::plan::render_runbook(&plan));
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Run {
            procedure,
            placement,
            confirm,
        }) => procedure::run_headless(procedure, &cli.connection, &placement, confirm).await,
        Some(Command::Sandbox { command }) => sandbox::dispatch(command).await,
        Some(Command::Profile { command }) => profile::dispatch(command, &cli.connection),
    }
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
             set ETCDCTL_ENDPOINTS, use --profile NAME, or start a local sandbox with `lifeboat sandbox up`."
        )
    })
}

pub fn build_plan(
    procedure: Procedure,
    args: &ConnectionArgs,
    placement: &Placement,
) -> Result<Plan> {
    let connection = require_connection(args)?;
    let target = match &placement.docker {
        Some(container) => Target::DockerExec {
            container: container.clone(),
        },
        None => Target::Local,
    };
    Ok(plan_with(procedure, connection, target))
}

/// Gathers the facts a procedure's planner needs from this host, then plans.
pub fn plan_with(procedure: Procedure, connection: ConnectionSettings, target: Target) -> Plan {
    match procedure {
        Procedure::HealthCheck => plan_health_check(&HealthCheckFacts {
            connection,
            etcdctl: Tools::discover().etcdctl,
            target,
        }),
    }
}
