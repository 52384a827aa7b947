//! The only place the UI's state changes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Focus, REFRESH_STEPS, Screen, StepState, Wizard};
use super::guide;
use super::msg::{Effect, Msg};
use super::palette::{Palette, PaletteEvent};
use crate::run::Decision;

pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(app, key),
        Msg::Tick(now) => {
            app.now = now;
            vec![]
        }
        Msg::Health(report) => {
            app.health = Some(*report);
            vec![]
        }
        Msg::PlanReady(plan) => {
            app.wizard = Some(Wizard::new(plan));
            app.screen = Screen::Wizard;
            app.notice = None;
            vec![]
        }
        Msg::PlanFailedToStart(error) | Msg::Refused(error) => {
            app.planning = false;
            guide::refuse(app, error);
            vec![]
        }
        Msg::Planned { plan, etcd } => {
            super::wizard_update::on_planned(app, plan, etcd);
            vec![]
        }
        Msg::FormReady(form) => {
            guide::show_form(app, *form);
            vec![]
        }
        Msg::Artifacts(artifacts) => {
            app.artifacts = artifacts;
            vec![]
        }
        Msg::Run(event) => {
            let next = super::snapshot_browser::after_export(app, &event);
            let mut effects = super::wizard_update::on_run(app, event);
            effects.extend(next);
            effects
        }
        Msg::Confirm(request) => super::wizard_update::on_confirm(app, *request),
        Msg::Workloads(result) => {
            app.appdata.loaded(result);
            vec![]
        }
        Msg::ProjectsLoaded(result) => {
            match result {
                Ok(catalog) => app.project_picker.loaded(catalog),
                Err(error) => app.project_picker.error = Some(error),
            }
            vec![]
        }
        Msg::SnapshotBundles(result) => {
            match result {
                Ok(rows) => app.snapshot_browser.bundles = Some(rows),
                Err(error) => app.snapshot_browser.error = Some(error),
            }
            vec![]
        }
        Msg::SnapshotProjects(result) => {
            match result {
                Ok(rows) => app.snapshot_browser.projects = Some(rows),
                Err(error) => app.snapshot_browser.error = Some(error),
            }
            vec![]
        }
        Msg::ProjectCounts { load, counts } => {
            app.project_picker.counted(load, counts);
            vec![]
        }
        Msg::BackupsLoaded(result) => {
            match result {
                Ok(entries) => app.backup_picker.entries = Some(entries),
                Err(error) => app.backup_picker.error = Some(error),
            }
            vec![]
        }
    }
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let ctrl_c = key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c');
    if app.quit_asked && !app.quit {
        app.quit_asked = false;
        if ctrl_c || matches!(key.code, KeyCode::Char('q') | KeyCode::Char('y')) {
            return stop_and_quit(app);
        }
        app.notice = None;
        return vec![];
    }
    if ctrl_c {
        return quit(app);
    }
    if app.help_open {
        if matches!(
            key.code,
            KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q')
        ) {
            app.help_open = false;
        }
        return vec![];
    }
    if app.message.is_some() {
        return guide::on_message_key(app, key);
    }
    if let Some(palette) = app.palette.as_mut() {
        return match palette.on_key(key) {
            PaletteEvent::Typing => vec![],
            PaletteEvent::Close => {
                app.palette = None;
                vec![]
            }
            PaletteEvent::Open(entry) => guide::open_entry(app, entry),
        };
    }
    // Typing into a form must reach the form, '?' and ':' included.
    if app.screen == Screen::Form {
        return guide::on_form_key(app, key);
    }
    if key.code == KeyCode::Char('?') {
        app.help_open = true;
        return vec![];
    }
    if key.code == KeyCode::Char(':') && !typing_into_picker(app) {
        app.palette = Some(Palette::default());
        return vec![];
    }
    match app.screen {
        Screen::Welcome => match key.code {
            KeyCode::Char('q') | KeyCode::Esc => quit(app),
            _ => vec![],
        },
        Screen::Dashboard => on_dashboard_key(app, key),
        Screen::Wizard => super::wizard_update::on_wizard_key(app, key),
        Screen::Form => guide::on_form_key(app, key),
        Screen::AppData => match super::appdata::on_key(&mut app.appdata, key) {
            Some(effects) => effects,
            None => {
                app.screen = Screen::Dashboard;
                vec![]
            }
        },
        Screen::ProjectPicker => app.project_picker.on_key(key).unwrap_or_else(|| {
            app.screen = Screen::Dashboard;
            vec![]
        }),
        Screen::SnapshotBrowser => app.snapshot_browser.on_key(key).unwrap_or_else(|| {
            app.screen = Screen::Dashboard;
            vec![]
        }),
        Screen::BackupPicker => app.backup_picker.on_key(key).unwrap_or_else(|| {
            app.screen = Screen::Dashboard;
            vec![]
        }),
    }
}

/// The project picker's filter takes every printable key, ':' included.
fn typing_into_picker(app: &App) -> bool {
    app.screen == Screen::ProjectPicker
        || (app.screen == Screen::BackupPicker && app.backup_picker.editing_name)
}

fn on_dashboard_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if app.member_detail {
        return super::members::on_detail_key(app, key);
    }
    if key.code == KeyCode::Tab || key.code == KeyCode::BackTab {
        app.focus = match app.focus {
            Focus::Menu if app.health.as_ref().is_some_and(|h| !h.members.is_empty()) => {
                Focus::Members
            }
            _ => Focus::Menu,
        };
        return vec![];
    }
    if app.focus == Focus::Members {
        if let Some(effects) = super::members::on_table_key(app, key) {
            return effects;
        }
    }
    let last = super::entry::Entry::ALL.len() - 1;
    match key.code {
        KeyCode::Char('q') | KeyCode::Esc => quit(app),
        KeyCode::Up | KeyCode::Char('k') => {
            app.menu_selected = app.menu_selected.saturating_sub(1);
            vec![]
        }
        KeyCode::Down | KeyCode::Char('j') => {
            app.menu_selected = (app.menu_selected + 1).min(last);
            vec![]
        }
        KeyCode::Enter => match &app.wizard {
            // One procedure at a time: a running one is brought back, not started twice.
            Some(wizard) if wizard.is_running() && !wizard.previewing => {
                app.screen = Screen::Wizard;
                vec![]
            }
            _ => guide::open_entry(app, app.selected_entry()),
        },
        KeyCode::Char('r') => vec![Effect::RefreshNow],
        KeyCode::Char('a') => guide::open_entry(app, super::entry::Entry::AppData),
        KeyCode::Char('u') => {
            app.show_urls = !app.show_urls;
            vec![]
        }
        KeyCode::Char('+') | KeyCode::Char('-') => {
            let current = REFRESH_STEPS
                .iter()
                .position(|d| *d >= app.refresh_every)
                .unwrap_or(1);
            let next = if key.code == KeyCode::Char('+') {
                current.saturating_sub(1)
            } else {
                (current + 1).min(REFRESH_STEPS.len() - 1)
            };
            app.refresh_every = REFRESH_STEPS[next];
            vec![Effect::SetRefreshInterval(app.refresh_every)]
        }
        _ => vec![],
    }
}

/// Quits, asking first while a step runs: stopping then means waiting for that step to end
/// and for the always-run steps (cleanup, restarting etcd) before the screen goes away.
fn quit(app: &mut App) -> Vec<Effect> {
    let step_running = app
        .wizard
        .as_ref()
        .is_some_and(|w| w.is_running() && w.steps.contains(&StepState::Running));
    if step_running && !app.quit {
        app.quit_asked = true;
        app.notice = Some(
            "A step is running. Stop after it, run the always-run steps (cleanup, restarting \
             what was stopped) and quit? q or y: stop; any other key: keep going."
                .into(),
        );
        return vec![];
    }
    stop_and_quit(app)
}

fn stop_and_quit(app: &mut App) -> Vec<Effect> {
    // A plan waiting for an answer is told to stop; the runner then runs its always-run steps
    // without asking, and the event loop waits for them before leaving.
    if let Some(request) = app.wizard.as_mut().and_then(|w| w.pending.take()) {
        request.answer(Decision::Abort);
    }
    app.quit = true;
    vec![Effect::Quit]
}
