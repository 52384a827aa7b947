//! The only place the UI's state changes.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, ProgressUnit, REFRESH_STEPS, Screen, StepState, Wizard};
use super::msg::{Effect, Msg};
use crate::procedures::Procedure;
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
        Msg::PlanFailedToStart(error) => {
            app.notice = Some(format!("Cannot start the procedure: {error}"));
            vec![]
        }
        Msg::Run(event) => {
            if let Some(wizard) = app.wizard.as_mut() {
                on_run_event(wizard, event);
            }
            vec![]
        }
        Msg::Confirm(request) => match app.wizard.as_mut() {
            Some(wizard) => {
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
        Msg::SandboxReady(result) => {
            app.sandbox_starting = false;
            match result {
                Ok(connection) => {
                    app.connection = Some(connection);
                    app.screen = Screen::Dashboard;
                    app.notice = Some("Sandbox started: three real etcd members with TLS.".into());
                    vec![Effect::RefreshNow]
                }
                Err(error) => {
                    app.notice = Some(format!("The sandbox did not start: {error}"));
                    vec![]
                }
            }
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
            let unit = if crate::commands::counts_items(&wizard.plan, index) {
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
    if key.code == KeyCode::Char('?') {
        app.help_open = true;
        return vec![];
    }
    match app.screen {
        Screen::Welcome => match key.code {
            KeyCode::Char('s') | KeyCode::Enter if !app.sandbox_starting => {
                app.sandbox_starting = true;
                app.notice = Some(format!(
                    "Starting the sandbox in {} ...",
                    app.sandbox_dir.display()
                ));
                vec![Effect::StartSandbox]
            }
            KeyCode::Char('q') | KeyCode::Esc => quit(app),
            _ => vec![],
        },
        Screen::Dashboard => on_dashboard_key(app, key),
        Screen::Wizard => on_wizard_key(app, key),
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

fn on_dashboard_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let last = Procedure::ALL.len() - 1;
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
            Some(wizard) if wizard.is_running() => {
                app.screen = Screen::Wizard;
                vec![]
            }
            // The project procedures start with a choice: what to export, what to restore.
            _ if app.selected_procedure() == Procedure::ProjectExport => {
                app.project_picker = super::ProjectPicker::default();
                app.screen = Screen::ProjectPicker;
                vec![Effect::LoadProjects]
            }
            _ if app.selected_procedure() == Procedure::ProjectRestore => {
                app.backup_picker = super::BackupPicker::default();
                app.screen = Screen::BackupPicker;
                vec![Effect::LoadBackups]
            }
            _ => vec![Effect::StartPlan(app.selected_procedure())],
        },
        KeyCode::Char('r') => vec![Effect::RefreshNow],
        KeyCode::Char('a') => {
            app.screen = Screen::AppData;
            app.appdata = super::AppDataPicker::default();
            vec![Effect::LoadWorkloads]
        }
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
    let answer = match key.code {
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
