//! A refusal or error shown whole, with keys for the procedures that apply instead.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

use crate::tui::guide::Message;

pub fn draw(frame: &mut Frame, area: Rect, message: &Message) {
    let [area] = Layout::horizontal([Constraint::Max(100)])
        .flex(Flex::Center)
        .areas(area);
    let mut lines: Vec<Line> = message
        .text
        .lines()
        .map(|l| Line::raw(l.to_string()))
        .collect();
    lines.push(Line::raw(""));
    for (index, entry) in message.offers.iter().enumerate() {
        lines.push(Line::from(vec![
            Span::styled(
                format!(" {} ", index + 1),
                Style::new().fg(Color::Black).bg(Color::Cyan),
            ),
            Span::raw(format!(" open {}", entry.title())),
        ]));
    }
    lines.push(Line::styled("Esc: back", Style::new().fg(Color::DarkGray)));
    let inner = usize::from(area.width.saturating_sub(2).max(1));
    let rows: usize = lines.iter().map(|l| l.width().max(1).div_ceil(inner)).sum();
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX).min(area.height);
    let [area] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(format!(" {} ", message.title))
                .title_style(Style::new().add_modifier(Modifier::BOLD))
                .border_style(Style::new().fg(Color::Yellow)),
        ),
        area,
    );
}
