use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};

const HELP: &str = include_str!("../../../assets/help.txt");

pub fn draw(frame: &mut Frame, area: Rect) {
    let [area] = Layout::horizontal([Constraint::Max(78)])
        .flex(Flex::Center)
        .areas(area);
    let [area] = Layout::vertical([Constraint::Max(34)])
        .flex(Flex::Center)
        .areas(area);
    frame.render_widget(Clear, area);
    let block = Block::bordered()
        .title(" Help — Esc to close ")
        .border_style(Style::new().fg(Color::Cyan));
    frame.render_widget(
        Paragraph::new(HELP).wrap(Wrap { trim: false }).block(block),
        area,
    );
}
