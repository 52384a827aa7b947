//! How the wizard's state changes: a plan arrives, the runner reports and asks, the engineer
//! answers. Part of `update`, kept apart because the wizard is most of the UI's state.

use crossterm::event::{KeyCode, KeyEvent};

use super::app::{App, ProgressUnit, Screen, StepState, Wizard};
use super::guide;
use super::msg::Effect;
use crate::connection::Endpoints;
use crate::plan::{Plan, Risk};
use crate::run::{ConfirmRequest, Decision, RunEvent};

/// A plan from a form or the palette: shown whole, nothing running yet.
pub fn on_planned(app: &mut App, plan: Plan, etcd: Option<Endpoints>) {
    app.planning = false;
    let mut wizard = Wizard::preview(plan);
    wizard.etcd = etcd;
    app.wizard = Some(wizard);
    app.artifacts.clear();
    app.screen = Screen::Wizard;
    app.notice = None;
}

/// What the runner reports; when the plan ends, what it wrote is measured for the summary.
pub fn on_run(app: &mut App, event: RunEvent) -> Vec<Effect> {
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

/// The runner asks before a step. "Run to the next destructive step" answers here for every
/// step before it; a destructive step always waits for its own key.
pub fn on_confirm(app: &mut App, request: ConfirmRequest) -> Vec<Effect> {
    match app.wizard.as_mut() {
        Some(wizard) if wizard.run_to_destructive && request.step.risk != Risk::Destructive => {
            request.answer(Decision::Run);
        }
        Some(wizard) => {
            wizard.previewing = false;
            wizard.run_to_destructive = false;
            wizard.selected = request.index;
            if let Some(state) = wizard.steps.get_mut(request.index) {
                *state = StepState::AwaitingConfirmation;
            }
            wizard.pending = Some(request);
        }
        None => request.answer(Decision::Abort),
    }
    vec![]
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

pub fn on_wizard_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
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
