//! The end of a procedure: what changed, where the result is, and what to do next.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::plan::Risk;
use crate::run::{PlanOutcome, StepOutcome};
use crate::tui::app::{App, StepState, Wizard};

pub fn draw(frame: &mut Frame, area: Rect, app: &App, wizard: &Wizard) {
    let mut lines = outcome_lines(wizard);
    lines.extend(changed_lines(wizard));
    if !app.artifacts.is_empty() {
        lines.push(heading("Where the result is"));
        for artifact in &app.artifacts {
            lines.push(Line::raw(format!(
                "  {}  ({})",
                artifact.path.display(),
                crate::present::human_bytes_u64(artifact.bytes)
            )));
            if let Some(sha) = &artifact.sha256 {
                let what = if artifact.path.is_dir() {
                    "manifest.json SHA-256"
                } else {
                    "SHA-256"
                };
                lines.push(Line::raw(format!("    {what} {sha}")));
            }
        }
    }
    if matches!(wizard.finished, Some(PlanOutcome::Completed)) {
        // What the form's request says comes next, else the checklist the plan hands over
        // with: a member replacement's request and plan say the same things twice otherwise.
        let mut next: Vec<String> = app
            .request
            .as_ref()
            .map(crate::tui::guide::next_steps)
            .unwrap_or_default();
        if next.is_empty() {
            next = wizard.plan.handover().to_vec();
        }
        if !next.is_empty() {
            lines.push(heading("What to do next"));
        }
        for step in next {
            lines.push(Line::styled(
                format!("  {step}"),
                Style::new().fg(Color::Cyan),
            ));
        }
    }
    if let Some(request) = &app.request {
        lines.push(heading("The same from a shell"));
        lines.push(Line::raw(format!("  {}", request.command_line())));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Summary ")),
        area,
    );
}

fn heading(text: &str) -> Line<'static> {
    Line::styled(
        format!("{text}:"),
        Style::new().add_modifier(Modifier::BOLD),
    )
}

fn outcome_lines(wizard: &Wizard) -> Vec<Line<'static>> {
    let done = |wanted: fn(&StepOutcome) -> bool| {
        wizard
            .steps
            .iter()
            .filter(|s| matches!(s, StepState::Done(o) if wanted(o)))
            .count()
    };
    let succeeded = done(|o| matches!(o, StepOutcome::Succeeded { .. }));
    let skipped = done(|o| matches!(o, StepOutcome::Skipped { .. }));
    let (text, color) = match wizard.finished {
        Some(PlanOutcome::Completed) => (
            format!("Done: {succeeded} steps ran, {skipped} skipped."),
            Color::Green,
        ),
        Some(PlanOutcome::Failed { at }) => (
            format!(
                "Stopped: step {} failed; {succeeded} steps ran before it.",
                at + 1
            ),
            Color::Red,
        ),
        Some(PlanOutcome::Aborted { at }) => (
            format!(
                "Stopped before step {} as you asked; {succeeded} steps ran.",
                at + 1
            ),
            Color::Yellow,
        ),
        Some(PlanOutcome::DryRun) => ("Dry run: nothing was executed.".into(), Color::Cyan),
        None => ("Running ...".into(), Color::Cyan),
    };
    let mut lines = vec![Line::styled(
        text,
        Style::new().fg(color).add_modifier(Modifier::BOLD),
    )];
    for state in &wizard.steps {
        if let StepState::Done(StepOutcome::Failed { error, next }) = state {
            lines.push(Line::styled(
                format!("  ✗ {error}"),
                Style::new().fg(Color::Red),
            ));
            lines.push(Line::styled(
                format!("  What now: {next}"),
                Style::new().fg(Color::Yellow),
            ));
        }
    }
    lines
}

/// Every step that changed a host and succeeded: what is different now.
fn changed_lines(wizard: &Wizard) -> Vec<Line<'static>> {
    let changed: Vec<Line> = wizard
        .plan
        .steps
        .iter()
        .zip(&wizard.steps)
        .filter(|(step, state)| {
            step.risk != Risk::ReadOnly
                && matches!(state, StepState::Done(StepOutcome::Succeeded { .. }))
        })
        .map(|(step, state)| {
            let summary = match state {
                StepState::Done(StepOutcome::Succeeded { summary }) => summary.clone(),
                _ => String::new(),
            };
            Line::raw(format!("  ✓ {}: {summary}", step.title))
        })
        .collect();
    if changed.is_empty() {
        return vec![Line::raw("Nothing on any host was changed.")];
    }
    let mut lines = vec![heading("What changed")];
    lines.extend(changed);
    lines
}
