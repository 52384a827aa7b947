use std::process::ExitCode;

use color_eyre::eyre::{Result, eyre};

use super::require_connection;
use crate::cli::{ConnectionArgs, ProfileCommand};
use crate::connection::Profiles;

pub fn dispatch(command: ProfileCommand, args: &ConnectionArgs) -> Result<ExitCode> {
    let path = Profiles::file_in(&crate::paths::config_dir()?);
    let mut profiles = Profiles::load(&path)?;
    match command {
        ProfileCommand::Save { name } => {
            let settings = require_connection(args)?;
            profiles.profiles.insert(name.clone(), settings.target);
            profiles.save(&path)?;
            println!("Saved profile {name} in {}", path.display());
        }
        ProfileCommand::List => {
            if profiles.profiles.is_empty() {
                println!("No saved profiles ({}).", path.display());
            }
            for (name, profile) in &profiles.profiles {
                println!("{name}\t{}", profile.endpoints.join(","));
            }
        }
        ProfileCommand::Remove { name } => {
            profiles
                .profiles
                .remove(&name)
                .ok_or_else(|| eyre!("no profile named {name:?} in {}", path.display()))?;
            profiles.save(&path)?;
            println!("Removed profile {name}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
