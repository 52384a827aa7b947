//! The plan before anything runs: how many steps of each risk, and the way back of every
//! destructive one, above the usual step list.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

use crate::plan::{Plan, Risk};

pub fn risk_counts(plan: &Plan) -> [(Risk, usize); 3] {
    let count = |risk| plan.steps.iter().filter(|s| s.risk == risk).count();
    [
        (Risk::ReadOnly, count(Risk::ReadOnly)),
        (Risk::Reversible, count(Risk::Reversible)),
        (Risk::Destructive, count(Risk::Destructive)),
    ]
}

pub fn overview_lines(plan: &Plan, command: Option<&str>) -> Vec<Line<'static>> {
    let mut counts = vec![Span::styled(
        format!("{} steps: ", plan.steps.len()),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    for (risk, n) in risk_counts(plan) {
        counts.push(Span::styled(
            format!("{n} {}  ", risk.label()),
            super::wizard::risk_style(risk),
        ));
    }
    counts.push(Span::raw("— nothing has run yet."));
    let mut lines = vec![Line::from(counts)];
    if let Some(command) = command {
        lines.push(Line::styled(
            format!("$ {command}"),
            Style::new().fg(Color::Cyan),
        ));
    }
    for (index, step) in plan.steps.iter().enumerate() {
        if step.risk == Risk::Destructive {
            let back = if step.if_failed.is_empty() {
                "no way back: a backup is the way back".to_string()
            } else {
                step.if_failed.clone()
            };
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{}. {}: ", index + 1, step.title),
                    Style::new().fg(Color::Red),
                ),
                Span::raw(format!("way back: {back}")),
            ]));
        }
    }
    lines
}
