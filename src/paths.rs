//! Where lifeboat keeps things, following the XDG layout through `directories`.

use std::path::PathBuf;

use color_eyre::eyre::{Result, eyre};
use directories::ProjectDirs;

fn project_dirs() -> Result<ProjectDirs> {
    ProjectDirs::from("", "", "lifeboat")
        .ok_or_else(|| eyre!("cannot find a home directory to keep lifeboat's files in; set HOME"))
}

/// Saved connection profiles.
pub fn config_dir() -> Result<PathBuf> {
    Ok(project_dirs()?.config_dir().to_path_buf())
}

/// lifeboat's data directory (`~/.local/share/lifeboat`): backups, replaced files, and the
/// rehearsal tools' own state beside them.
pub fn data_dir() -> Result<PathBuf> {
    Ok(project_dirs()?.data_dir().to_path_buf())
}

/// Where bundles made from the TUI go: cluster backups, project exports, application data.
pub fn backups_dir() -> Result<PathBuf> {
    // `backups_dir` of lifeboat's settings (config.toml, LIFEBOAT_BACKUPS_DIR) first.
    if let Some(dir) = &crate::config::current().backups_dir.value {
        return Ok(dir.clone());
    }
    Ok(project_dirs()?.data_dir().join("backups"))
}

/// Where a restore keeps the files it replaced (certificates and keys).
pub fn replaced_dir() -> Result<PathBuf> {
    Ok(project_dirs()?.data_dir().join("replaced"))
}

/// `PREFIX-YYYYmmdd-HHMMSS`: bundle names that sort by time.
pub fn stamped(prefix: &str) -> String {
    format!(
        "{prefix}-{}",
        jiff::Timestamp::now().strftime("%Y%m%d-%H%M%S")
    )
}

/// Transcripts of executed actions.
pub fn state_dir() -> Result<PathBuf> {
    let dirs = project_dirs()?;
    Ok(dirs
        .state_dir()
        .unwrap_or_else(|| dirs.data_local_dir())
        .to_path_buf())
}
