//! A form: what lifeboat found, each question with its answer and error, the focused
//! question's help, and the command line the answers make, live.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::tui::app::App;
use crate::tui::form::{Field, Form, Input};

const LABEL_WIDTH: usize = 22;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let Some(form) = &app.form else {
        return;
    };
    let facts = form.spec.facts();
    let command = form
        .command_line()
        .unwrap_or_else(|| "(answer the questions above)".into());
    let command_rows = wrapped_rows(&command, area.width.saturating_sub(4)) + 2;
    let [title, facts_area, fields_area, command_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(facts.len() as u16 + 2),
        Constraint::Min(6),
        Constraint::Length(command_rows),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(super::title_bar(form.title.clone())), title);
    frame.render_widget(
        Paragraph::new(facts.into_iter().map(Line::raw).collect::<Vec<_>>())
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" What lifeboat found ")),
        facts_area,
    );
    frame.render_widget(
        Paragraph::new(field_lines(form))
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Questions ")),
        fields_area,
    );
    frame.render_widget(
        Paragraph::new(Line::styled(command, Style::new().fg(Color::Cyan)))
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" Equivalent command line ")),
        command_area,
    );
}

fn wrapped_rows(text: &str, width: u16) -> u16 {
    let width = usize::from(width.max(1));
    u16::try_from(text.chars().count().div_ceil(width).max(1)).unwrap_or(u16::MAX)
}

fn field_lines(form: &Form) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (index, field) in form.fields.iter().enumerate() {
        let focused = index == form.focus;
        lines.push(answer_line(field, focused));
        // An error shows once the engineer has reached the field, or tried to go on.
        let reached = form.tried || index <= form.focus;
        if let Some(error) = field.error.as_ref().filter(|_| reached) {
            lines.push(Line::styled(
                format!("{:LABEL_WIDTH$}  ✗ {error}", ""),
                Style::new().fg(Color::Red),
            ));
        }
        if focused {
            lines.push(Line::styled(
                format!("{:LABEL_WIDTH$}  {}", "", field.help),
                Style::new().fg(Color::DarkGray),
            ));
        }
    }
    lines
}

fn answer_line(field: &Field, focused: bool) -> Line<'static> {
    let label_style = if focused {
        Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD)
    } else {
        Style::new()
    };
    let marker = if focused { "▶" } else { " " };
    let mut spans = vec![Span::styled(
        format!("{marker}{:>width$}  ", field.label, width = LABEL_WIDTH - 1),
        label_style,
    )];
    let value_style = match (&field.error, focused) {
        (_, true) => Style::new().add_modifier(Modifier::REVERSED),
        (Some(_), false) => Style::new().fg(Color::Red),
        (None, false) => Style::new().fg(Color::Green),
    };
    match &field.input {
        Input::Text(area) => {
            let text = area.lines().concat();
            let (row, col) = area.cursor();
            let _ = row;
            if focused {
                // The cursor as a block, where tui-textarea has it.
                let (before, after) = split_at_char(&text, col);
                let mut rest = after.chars();
                let at = rest.next().map_or(" ".to_string(), String::from);
                spans.push(Span::raw(before));
                spans.push(Span::styled(at, value_style));
                spans.push(Span::raw(rest.collect::<String>()));
            } else {
                spans.push(Span::styled(text, value_style));
            }
        }
        Input::Choice { options, selected } => {
            let label = options
                .get(*selected)
                .map_or("(nothing to choose from)".to_string(), |c| c.label.clone());
            let count = if options.len() > 1 {
                format!("  ({} of {})", selected + 1, options.len())
            } else {
                String::new()
            };
            spans.push(Span::styled(format!("◀ {label} ▶"), value_style));
            spans.push(Span::styled(count, Style::new().fg(Color::DarkGray)));
        }
    }
    Line::from(spans)
}

fn split_at_char(text: &str, index: usize) -> (String, String) {
    let split = text
        .char_indices()
        .nth(index)
        .map_or(text.len(), |(byte, _)| byte);
    (text[..split].to_string(), text[split..].to_string())
}
