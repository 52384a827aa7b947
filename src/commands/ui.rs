use std::process::ExitCode;

use color_eyre::eyre::Result;

use super::resolve_connection;
use crate::cli::ConnectionArgs;
use crate::sandbox::{self, SandboxState, is_running};

pub async fn open(args: &ConnectionArgs) -> Result<ExitCode> {
    let connection = resolve_connection(args)?;
    crate::tui::run(connection, crate::paths::default_sandbox_dir()?).await?;
    Ok(ExitCode::SUCCESS)
}

/// The README's first command ends here: the default sandbox, started if it is not running,
/// and the dashboard on it.
pub async fn demo(members: usize) -> Result<ExitCode> {
    let dir = crate::paths::default_sandbox_dir()?;
    let running = SandboxState::load_if_present(&dir)?
        .is_some_and(|state| state.members.iter().any(|m| m.pid.is_some_and(is_running)));
    let state = if running {
        SandboxState::load_if_present(&dir)?
            .ok_or_else(|| sandbox::SandboxError::NotFound(dir.display().to_string()))?
    } else {
        eprintln!(
            "Starting a {members}-member etcd sandbox in {} ...",
            dir.display()
        );
        sandbox::up(&dir, members).await?
    };
    crate::tui::run(Some(state.connection(&dir)), dir).await?;
    Ok(ExitCode::SUCCESS)
}
