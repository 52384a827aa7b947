use std::process::ExitCode;

use color_eyre::eyre::Result;

use super::resolve_connection;
use crate::cli::ConnectionArgs;

pub async fn open(args: &ConnectionArgs) -> Result<ExitCode> {
    let connection = resolve_connection(args)?;
    crate::tui::run(connection).await?;
    Ok(ExitCode::SUCCESS)
}
