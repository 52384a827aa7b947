use std::process::ExitCode;

use clap::Parser;
use lifeboat::cli::Cli;

fn main() -> ExitCode {
    quiet_error_backtraces();
    if let Err(error) = lifeboat::tui::install_panic_hook() {
        eprintln!("lifeboat: {error:#}");
        return ExitCode::FAILURE;
    }
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("lifeboat: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(lifeboat::commands::dispatch(cli)) {
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

/// With `RUST_BACKTRACE` set, as it often is in an engineer's shell, color-eyre captures and
/// symbolizes a backtrace for every error, the expected ones of discovery included (an absent
/// etcd.conf): about 30 MiB and tens of milliseconds per command, measured by `make bench`.
/// Errors carry their context instead; `LIFEBOAT_DEBUG` (or `RUST_LIB_BACKTRACE`) brings the
/// backtraces back. Panics still get theirs from `RUST_BACKTRACE`.
fn quiet_error_backtraces() {
    let asked = std::env::var_os("LIFEBOAT_DEBUG").is_some()
        || std::env::var_os("RUST_LIB_BACKTRACE").is_some();
    if !asked {
        // SAFETY: called first thing in `main`, before the runtime or any other thread exists,
        // so nothing can read the environment concurrently.
        unsafe { std::env::set_var("RUST_LIB_BACKTRACE", "0") };
    }
}
