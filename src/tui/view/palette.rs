//! The command palette, over the bottom of the screen.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use crate::tui::palette::Palette;

pub fn draw(frame: &mut Frame, area: Rect, palette: &Palette) {
    let matches = palette.matches();
    let height = (matches.len() as u16 + 3).min(area.height);
    let [_, area] = Layout::vertical([Constraint::Min(0), Constraint::Length(height)]).areas(area);
    frame.render_widget(Clear, area);
    let mut lines = vec![Line::from(vec![
        Span::styled(
            ":",
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
        ),
        Span::raw(palette.query.clone()),
        Span::styled(" ", Style::new().add_modifier(Modifier::REVERSED)),
    ])];
    if matches.is_empty() {
        lines.push(Line::styled(
            "no procedure matches; Backspace to change",
            Style::new().fg(Color::Yellow),
        ));
    }
    for (index, entry) in matches.iter().enumerate() {
        let style = if index == palette.selected {
            Style::new().add_modifier(Modifier::REVERSED)
        } else {
            Style::new()
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<9}", entry.command()), style.fg(Color::Cyan)),
            Span::styled(format!(" {:<25}", entry.title()), style),
            Span::styled(
                entry.description().to_string(),
                Style::new().fg(Color::DarkGray),
            ),
        ]));
    }
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::bordered()
                .title(" Open a procedure — type to filter, Enter to open, Esc to close ")
                .border_style(Style::new().fg(Color::Cyan)),
        ),
        area,
    );
}
