//! `lifeboat completions SHELL` and the hidden `lifeboat man`: both made from the clap
//! definitions, so they cannot drift from the flags the binary really takes.
//!
//! The man page comes from a hidden subcommand rather than a separate generator binary: the
//! release build makes one binary for RHEL 7, and the page is written by running that very
//! binary (`make release`), so the page always describes the binary shipped beside it.

use std::io::Write;
use std::process::ExitCode;

use clap::CommandFactory;
use color_eyre::eyre::{Result, WrapErr};

use crate::cli::Cli;

pub fn completions(shell: clap_complete::Shell) -> Result<ExitCode> {
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "lifeboat", &mut out);
    write_stdout(&out)
}

pub fn man() -> Result<ExitCode> {
    let mut out = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut out)
        .wrap_err("cannot render the man page")?;
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(bytes)
        .and_then(|()| stdout.flush())
        .wrap_err("cannot write to standard output")?;
    Ok(ExitCode::SUCCESS)
}
