use std::process::ExitCode;

use clap::Parser;
use lifeboat::cli::Cli;

#[tokio::main]
async fn main() -> ExitCode {
    if let Err(error) = lifeboat::tui::install_panic_hook() {
        eprintln!("lifeboat: {error:#}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    match lifeboat::commands::dispatch(cli).await {
        Ok(code) => code,
        Err(error) => {
            // Expected failures read as one message that says what to do; the full chain with
            // locations is there for bug reports.
            if std::env::var_os("LIFEBOAT_DEBUG").is_some() {
                eprintln!("lifeboat: {error:?}");
            } else {
                eprintln!("lifeboat: {error:#}");
            }
            ExitCode::FAILURE
        }
    }
}
