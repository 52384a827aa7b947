//! `lifeboat-sandbox`: the rehearsal cluster's own command, apart from the product.

use std::process::ExitCode;

use clap::Parser;
use lifeboat_sandbox::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("lifeboat-sandbox: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(lifeboat_sandbox::cli::dispatch(cli.command)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("lifeboat-sandbox: {error:#}");
            ExitCode::FAILURE
        }
    }
}
