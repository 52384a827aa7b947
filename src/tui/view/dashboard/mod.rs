//! The dashboard: what an on-call engineer reads first. Quorum and size on top, the members,
//! certificates and host below, then the procedures.

mod members;
mod panels;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

use super::format::age;
use crate::tui::app::{App, Focus};
use crate::tui::entry::Entry;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let Some(report) = &app.health else {
        let [header, body] =
            Layout::vertical([Constraint::Length(1), Constraint::Min(3)]).areas(area);
        draw_header(frame, header, app);
        frame.render_widget(
            Paragraph::new("Asking the cluster ...").block(Block::bordered().title(" Quorum ")),
            body,
        );
        return;
    };
    let quorum = panels::quorum_lines(report);
    let size = panels::size_lines(report);
    let certificates = panels::certificate_lines(report);
    let host = panels::host_lines(report);
    // Wrapped panels need a row for every wrap, or their last lines vanish.
    let rows_in = |lines: &[Line], percent: u16| {
        let inner = usize::from((area.width * percent / 100).saturating_sub(2).max(1));
        lines
            .iter()
            .map(|l| l.width().max(1).div_ceil(inner))
            .sum::<usize>()
    };
    let top_height = rows_in(&quorum, 55).max(rows_in(&size, 45)).min(10) as u16 + 2;
    let middle_height = certificates.len().max(rows_in(&host, 40)).clamp(2, 10) as u16 + 2;
    let rows = report.members.len().max(if report.members.is_empty() {
        report.snapshot.endpoints.len()
    } else {
        0
    });
    let table_height = rows.min(9) as u16 + 3;
    let [header, top, table, middle, kube, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(top_height),
        Constraint::Length(table_height),
        Constraint::Length(middle_height),
        Constraint::Length(1),
        Constraint::Min(4),
    ])
    .areas(area);
    draw_header(frame, header, app);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(top);
    panels::draw_lines(frame, left, " Quorum ", quorum, true);
    panels::draw_lines(frame, right, " Size ", size, true);
    let selected = (app.focus == Focus::Members).then_some(app.member_selected);
    members::draw(frame, table, report, app.show_urls, selected);
    let [certs, host] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Percentage(40)]).areas(middle);
    panels::draw_lines(
        frame,
        certs,
        " Certificates ",
        panels::certificate_lines(report),
        false,
    );
    panels::draw_lines(frame, host, " Host ", panels::host_lines(report), true);
    frame.render_widget(Paragraph::new(panels::kube_line(report)), kube);
    draw_procedures(frame, bottom, app);
    if app.member_detail {
        if let Some(member) = crate::tui::members::selected_member(app) {
            members::draw_detail(frame, area, report, member);
        }
    }
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App) {
    let source = app
        .connection
        .as_ref()
        .map_or("not configured".to_string(), |c| c.source.to_string());
    let updated = app
        .health
        .as_ref()
        .map_or("never".to_string(), |h| age(h.snapshot.taken_at, app.now));
    let line = super::title_bar(format!(
        "etcd via {source}  │  refresh every {}s  │  updated {updated}",
        app.refresh_every.as_secs()
    ));
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_procedures(frame: &mut Frame, area: Rect, app: &App) {
    let [menu, about] =
        Layout::horizontal([Constraint::Length(30), Constraint::Min(20)]).areas(area);
    let items: Vec<ListItem> = Entry::ALL
        .iter()
        .map(|p| ListItem::new(p.title()))
        .collect();
    let focused = app.focus == Focus::Menu && !app.member_detail;
    let mut state = ListState::default().with_selected(focused.then_some(app.menu_selected));
    frame.render_stateful_widget(
        List::new(items)
            .highlight_symbol("▶ ")
            .highlight_style(Style::new().add_modifier(Modifier::REVERSED))
            .block(Block::bordered().title(" Procedures ")),
        menu,
        &mut state,
    );
    let procedure = app.selected_entry();
    let mut text = vec![Line::raw(procedure.description()), Line::raw("")];
    if app.wizard.as_ref().is_some_and(|w| w.is_running()) {
        text.push(Line::styled(
            "A procedure is in progress: Enter returns to it.",
            Style::new().fg(Color::Yellow),
        ));
    } else {
        text.push(Line::raw(
            "Enter shows every step with its exact command, and asks before each one.",
        ));
    }
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(format!(" {} ", procedure.title()))),
        about,
    );
}
