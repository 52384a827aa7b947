use std::io::{Stdout, stdout};

use color_eyre::eyre::{Result, WrapErr};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

pub fn enter() -> Result<Tui> {
    enable_raw_mode().wrap_err("switching the terminal to raw mode (is this a terminal?)")?;
    execute!(stdout(), EnterAlternateScreen).wrap_err("entering the alternate screen")?;
    Terminal::new(CrosstermBackend::new(stdout())).wrap_err("opening the terminal")
}

/// Gives the terminal back as it was; safe to call twice.
pub fn leave() {
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
}

/// color-eyre's hooks, with the terminal restored before a panic report is printed so the
/// report is readable and the shell is usable afterwards.
pub fn install_panic_hook() -> Result<()> {
    let (panic_hook, eyre_hook) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .into_hooks();
    eyre_hook
        .install()
        .wrap_err("installing the error report hook")?;
    std::panic::set_hook(Box::new(move |info| {
        leave();
        eprintln!("{}", panic_hook.panic_report(info));
    }));
    Ok(())
}
