//! The only place the UI's state changes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Focus, ProgressUnit, REFRESH_STEPS, Screen, StepState, Wizard};
use super::guide;
use super::msg::{Effect, Msg};
use super::palette::{Palette, PaletteEvent};
use crate::plan::Risk;
use crate::run::{Decision, RunEvent};

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
            app.planning = false;
            let mut wizard = Wizard::preview(plan);
            wizard.etcd = etcd;
            app.wizard = Some(wizard);
            app.artifacts.clear();
            app.screen = Screen::Wizard;
            app.notice = None;
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
            let finished = matches!(event, RunEvent::PlanFinished { .. });
            if let Some(wizard) = app.wizard.as_mut() {
                wizard.previewing = false;
                on_run_event(wizard, event);
            }
            match app.request.as_ref().filter(|_| finished) {
                Some(request) => vec![Effect::Summarize(guide::artifact_paths(request))],
                None => vec![],
            }
        }
        Msg::Confirm(request) => match app.wizard.as_mut() {
            // "Run to the next destructive step": everything before it is answered here; a
            // destructive step always waits for its own key.
            Some(wizard) if wizard.run_to_destructive && request.step.risk != Risk::Destructive => {
                request.answer(Decision::Run);
                vec![]
            }
            Some(wizard) => {
                wizard.previewing = false;
                wizard.run_to_destructive = false;
                wizard.selected = request.index;
                if let Some(state) = wizard.steps.get_mut(request.index) {
                    *state = StepState::AwaitingConfirmation;
                }
                wizard.pending = Some(*request);
                vec![]
            }
            None => {
                request.answer(Decision::Abort);
                vec![]
            }
        },
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
        Msg::BackupsLoaded(result) => {
            match result {
                Ok(entries) => app.backup_picker.entries = Some(entries),
                Err(error) => app.backup_picker.error = Some(error),
            }
            vec![]
        }
    }
}

fn on_run_event(wizard: &mut Wizard, event: RunEvent) {
    match event {
        RunEvent::PlanStarted { .. } => {}
        RunEvent::StepStarted { index } => {
            // Events and questions come on separate channels; a question already on screen
            // keeps the selection on the step it asks about.
            if wizard.pending.is_none() {
                wizard.selected = index;
            }
            if let Some(state) = wizard.steps.get_mut(index) {
                *state = StepState::Running;
            }
        }
        RunEvent::Output {
            index,
            stream,
            line,
        } => wizard.output.push((index, stream, line)),
        RunEvent::Progress { index, done, total } => {
            let unit = if crate::present::counts_items(&wizard.plan, index) {
                ProgressUnit::Items
            } else {
                ProgressUnit::Bytes
            };
            set_progress(wizard, index, unit, done, total)
        }
        RunEvent::Object { index, outcome } => wizard.objects.push((index, outcome)),
        RunEvent::CatchUp {
            index,
            applied,
            leader,
        } => set_progress(
            wizard,
            index,
            ProgressUnit::RaftIndex,
            applied,
            Some(leader),
        ),
        RunEvent::StepFinished { index, outcome } => {
            if let Some(state) = wizard.steps.get_mut(index) {
                *state = StepState::Done(outcome);
            }
        }
        RunEvent::PlanFinished { outcome } => {
            wizard.pending = None;
            wizard.finished = Some(outcome);
        }
    }
}

fn set_progress(
    wizard: &mut Wizard,
    index: usize,
    unit: ProgressUnit,
    done: u64,
    total: Option<u64>,
) {
    let now = std::time::Instant::now();
    let started = match wizard.progress {
        Some(p) if p.step == index => p.started,
        _ => now,
    };
    wizard.progress = Some(super::app::Progress {
        step: index,
        unit,
        done,
        total,
        started,
        updated: now,
    });
}

fn on_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
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
        Screen::Wizard => on_wizard_key(app, key),
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

fn on_wizard_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(wizard) = app.wizard.as_mut() else {
        app.screen = Screen::Dashboard;
        return vec![];
    };
    if wizard.previewing {
        return on_preview_key(app, key);
    }
    if wizard.finished.is_some() && key.code == KeyCode::Char('l') {
        wizard.show_steps = !wizard.show_steps;
        return vec![];
    }
    if key.code == KeyCode::Char('n') {
        // A destructive step is only ever run by its own key.
        if !wizard.is_running()
            || wizard
                .pending
                .as_ref()
                .is_some_and(|r| r.step.risk == Risk::Destructive)
        {
            return vec![];
        }
        wizard.run_to_destructive = true;
        if wizard.pending.is_none() {
            return vec![];
        }
    }
    let answer = match key.code {
        KeyCode::Char('n') => Some(Decision::Run),
        KeyCode::Char('y') | KeyCode::Enter => Some(Decision::Run),
        KeyCode::Char('s') => Some(Decision::Skip),
        KeyCode::Char('a') => Some(Decision::Abort),
        _ => None,
    };
    if let (Some(decision), Some(request)) = (answer, wizard.pending.take()) {
        let index = request.index;
        request.answer(decision);
        if let Some(state) = wizard.steps.get_mut(index) {
            if *state == StepState::AwaitingConfirmation {
                *state = StepState::Pending;
            }
        }
        return vec![];
    }
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => wizard.selected = wizard.selected.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => {
            wizard.selected = (wizard.selected + 1).min(wizard.steps.len().saturating_sub(1));
        }
        // Leaving keeps a running plan alive: it waits at its next confirmation.
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('b') => app.screen = Screen::Dashboard,
        _ => {}
    }
    vec![]
}

/// The plan is on screen in full and nothing has run: Enter starts it, Esc goes back to the
/// form it was planned from.
fn on_preview_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Enter | KeyCode::Char('y') => {
            if let Some(wizard) = app.wizard.as_mut() {
                wizard.previewing = false;
            }
            vec![Effect::RunPlan]
        }
        KeyCode::Up | KeyCode::Char('k') | KeyCode::Down | KeyCode::Char('j') => {
            if let Some(wizard) = app.wizard.as_mut() {
                let last = wizard.steps.len().saturating_sub(1);
                wizard.selected = match key.code {
                    KeyCode::Up | KeyCode::Char('k') => wizard.selected.saturating_sub(1),
                    _ => (wizard.selected + 1).min(last),
                };
            }
            vec![]
        }
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('b') => {
            app.wizard = None;
            app.screen = if app.form.is_some() {
                Screen::Form
            } else {
                Screen::Dashboard
            };
            vec![]
        }
        _ => vec![],
    }
}

fn quit(app: &mut App) -> Vec<Effect> {
    // A plan waiting for an answer is told to stop, so nothing runs after the UI is gone.
    if let Some(request) = app.wizard.as_mut().and_then(|w| w.pending.take()) {
        request.answer(Decision::Abort);
    }
    app.quit = true;
    vec![Effect::Quit]
}
