//! `lifeboat maintenance nospace` and `maintenance defrag`: the gather layer reads every
//! member's space and plans; the wizard (or the terminal) runs it.

use std::process::ExitCode;

use color_eyre::eyre::Result;

use super::procedure::run_on_screen_or_headless;
use super::require_connection;
use crate::cli::{ConnectionArgs, MaintenanceCommand};
use crate::gather::maintenance::{plan_defragmentation, plan_nospace};

pub async fn dispatch(
    command: MaintenanceCommand,
    connection: &ConnectionArgs,
) -> Result<ExitCode> {
    let connection = require_connection(connection)?;
    let (plan, args) = match command {
        MaintenanceCommand::Nospace(args) => (plan_nospace(connection.clone()).await?, args),
        MaintenanceCommand::Defrag(args) => (
            plan_defragmentation(connection.clone(), args.member).await?,
            args.common,
        ),
    };
    run_on_screen_or_headless(plan, Some(connection), args.confirm, args.headless).await
}
