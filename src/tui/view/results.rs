//! The results table of a project restore: every object, what became of it and why.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Row, Table};

use crate::kube::{ObjectResult, Tally};
use crate::plan::Action;
use crate::tui::app::Wizard;

/// `true` when the selected step restores objects and some have been reported.
pub fn applies(wizard: &Wizard) -> bool {
    wizard
        .objects
        .iter()
        .any(|(step, _)| *step == wizard.selected)
        && wizard
            .plan
            .steps
            .get(wizard.selected)
            .is_some_and(|s| matches!(s.action, Action::RestoreObjects { .. }))
}

pub fn draw(frame: &mut Frame, area: Rect, wizard: &Wizard) {
    // A dry run and the real restore both report; each step shows its own results.
    let objects: Vec<_> = wizard
        .objects
        .iter()
        .filter(|(step, _)| *step == wizard.selected)
        .map(|(_, outcome)| outcome)
        .collect();
    let mut tally = Tally::default();
    for object in &objects {
        tally.add(&object.result);
    }
    let visible = usize::from(area.height.saturating_sub(3));
    let start = objects.len().saturating_sub(visible);
    let rows: Vec<Row> = objects[start..]
        .iter()
        .map(|o| {
            let style = match o.result {
                ObjectResult::Failed { .. } => Style::new().fg(Color::Red),
                ObjectResult::Expected { .. } => Style::new().fg(Color::DarkGray),
                ObjectResult::Exists { .. } => Style::new().fg(Color::Yellow),
                _ => Style::new().fg(Color::Green),
            };
            Row::new(vec![
                o.result.label().to_string(),
                o.kind.clone(),
                o.name.clone(),
                o.result.detail().to_string(),
            ])
            .style(style)
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(19),
            Constraint::Length(22),
            Constraint::Length(24),
            Constraint::Min(10),
        ],
    )
    .header(
        Row::new(["RESULT", "KIND", "NAME", "REASON"])
            .style(Style::new().add_modifier(Modifier::BOLD)),
    )
    .block(Block::bordered().title(format!(" Objects: {} ", tally.summary())));
    frame.render_widget(table, area);
}
