//! Loading the settings at start, and `lifeboat config show`.

use std::process::ExitCode;

use color_eyre::eyre::{Result, WrapErr};

use crate::cli::ConfigCommand;
use crate::config::{self, Flags, Settings};

/// Reads the file, the environment and the flags once, before any command reads a setting.
pub fn install(readonly_flag: bool) -> Result<()> {
    let settings = config::load(
        Flags {
            readonly: readonly_flag,
        },
        &|name| std::env::var(name).ok(),
    )
    .wrap_err("lifeboat's settings are not valid")?;
    config::install(settings)?;
    Ok(())
}

pub fn dispatch(command: ConfigCommand) -> Result<ExitCode> {
    match command {
        ConfigCommand::Show => {
            print!("{}", show(config::current()));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The effective value of every setting and where it came from.
pub fn show(settings: &Settings) -> String {
    let backups = match &settings.backups_dir.value {
        Some(dir) => dir.display().to_string(),
        None => crate::paths::backups_dir()
            .map_or_else(|e| format!("(none: {e})"), |d| d.display().to_string()),
    };
    let rows = [
        ("backups_dir", backups, &settings.backups_dir.origin),
        (
            "refresh_interval",
            format!("{}s", settings.refresh_interval.value.as_secs()),
            &settings.refresh_interval.origin,
        ),
        (
            "learner_threshold",
            crate::requests::format_size(settings.learner_threshold.value),
            &settings.learner_threshold.origin,
        ),
        (
            "docker_container",
            settings
                .docker_container
                .value
                .clone()
                .unwrap_or_else(|| "(none)".into()),
            &settings.docker_container.origin,
        ),
        (
            "readonly",
            settings.readonly.value.to_string(),
            &settings.readonly.origin,
        ),
    ];
    let mut out = match (&settings.file, config::default_file()) {
        (Some(file), _) => format!("config file: {} (read)\n\n", file.display()),
        (None, Some(file)) => format!("config file: {} (not present)\n\n", file.display()),
        (None, None) => "config file: none (no home directory)\n\n".to_string(),
    };
    let width = rows.iter().map(|(_, v, _)| v.len()).max().unwrap_or(0);
    out.push_str(&format!("{:<18} {:<width$}  FROM\n", "SETTING", "VALUE"));
    for (name, value, origin) in rows {
        out.push_str(&format!("{name:<18} {value:<width$}  {origin}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn show_names_the_origin_of_every_value() {
        let settings = crate::config::Settings {
            readonly: crate::config::Setting {
                value: true,
                origin: crate::config::Origin::Environment("LIFEBOAT_READONLY"),
            },
            ..Default::default()
        };
        let shown = super::show(&settings);
        let readonly = shown
            .lines()
            .find(|l| l.starts_with("readonly"))
            .expect("a readonly row");
        assert!(readonly.contains("true"), "{readonly}");
        assert!(
            readonly.ends_with("environment LIFEBOAT_READONLY"),
            "{readonly}"
        );
        let threshold = shown
            .lines()
            .find(|l| l.starts_with("learner_threshold"))
            .expect("a learner_threshold row");
        assert!(
            threshold.contains("700MB") && threshold.ends_with("default"),
            "{threshold}"
        );
    }
}
