use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, List, ListItem, ListState, Paragraph, Row, Table, Wrap};

use super::format::{age, human_bytes};
use crate::etcd::ClusterSnapshot;
use crate::procedures::Procedure;
use crate::tui::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let members = app
        .snapshot
        .as_ref()
        .and_then(|s| s.members.as_ref().ok())
        .map_or(1, Vec::len);
    let table_height = u16::try_from(members).unwrap_or(9).min(9) + 3;
    let [header, quorum, table, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Length(table_height),
        Constraint::Min(5),
    ])
    .areas(area);
    draw_header(frame, header, app);
    match &app.snapshot {
        Some(snapshot) => {
            draw_quorum(frame, quorum, snapshot);
            draw_members(frame, table, snapshot);
        }
        None => frame.render_widget(
            Paragraph::new("Asking the cluster ...").block(Block::bordered().title(" Quorum ")),
            quorum,
        ),
    }
    draw_procedures(frame, bottom, app);
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App) {
    let source = app
        .connection
        .as_ref()
        .map_or("not configured".to_string(), |c| c.source.to_string());
    let updated = app
        .snapshot
        .as_ref()
        .map_or("never".to_string(), |s| age(s.taken_at, app.now));
    let line = Line::from(vec![
        Span::styled(
            " lifeboat ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(
            " etcd via {source}  │  refresh every {}s  │  updated {updated}",
            app.refresh_every.as_secs()
        )),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_quorum(frame: &mut Frame, area: Rect, snapshot: &ClusterSnapshot) {
    let quorum = snapshot.quorum();
    let color = match quorum.tolerance_now {
        _ if !quorum.has_quorum() => Color::Red,
        Some(0) => Color::Yellow,
        _ => Color::Green,
    };
    let mut spans = vec![Span::styled(
        quorum.verdict(),
        Style::new().fg(color).add_modifier(Modifier::BOLD),
    )];
    if let Err(error) = &snapshot.members {
        spans.push(Span::styled(
            format!("  — member list unavailable: {error}"),
            Style::new().fg(Color::Red),
        ));
    }
    for alarm in &snapshot.alarms {
        spans.push(Span::styled(
            format!("  ALARM {} on {:x}", alarm.alarm, alarm.member_id),
            Style::new().fg(Color::White).bg(Color::Red),
        ));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans))
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(" Quorum ")),
        area,
    );
}

fn draw_members(frame: &mut Frame, area: Rect, snapshot: &ClusterSnapshot) {
    let leader = snapshot.leader();
    let header = Row::new([
        "ID",
        "NAME",
        "PEER URLS",
        "CLIENT URLS",
        "ROLE",
        "DB SIZE",
        "HEALTH",
    ])
    .style(Style::new().add_modifier(Modifier::BOLD));
    let rows: Vec<Row> = snapshot
        .members
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|member| {
            let status = snapshot.status_of(member.id);
            let role = if member.is_learner {
                "learner"
            } else if leader == Some(member.id) {
                "leader"
            } else {
                "follower"
            };
            let (health, health_style) = match (status, snapshot.error_of(member)) {
                (Some(_), _) => ("healthy".to_string(), Style::new().fg(Color::Green)),
                (None, Some(error)) => (format!("DOWN: {error}"), Style::new().fg(Color::Red)),
                (None, None) => ("DOWN".to_string(), Style::new().fg(Color::Red)),
            };
            Row::new(vec![
                Cell::from(format!("{:x}", member.id)),
                Cell::from(member.display_name().to_string()),
                Cell::from(member.peer_urls.join(",")),
                Cell::from(member.client_urls.join(",")),
                Cell::from(role),
                Cell::from(status.map_or("-".to_string(), |s| human_bytes(s.db_size))),
                Cell::from(health).style(health_style),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(16),
        Constraint::Length(12),
        Constraint::Length(24),
        Constraint::Length(24),
        Constraint::Length(8),
        Constraint::Length(10),
        Constraint::Min(10),
    ];
    let title = format!(" Members ({}) ", rows.len());
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(Block::bordered().title(title)),
        area,
    );
}

fn draw_procedures(frame: &mut Frame, area: Rect, app: &App) {
    let [menu, about] =
        Layout::horizontal([Constraint::Length(30), Constraint::Min(20)]).areas(area);
    let items: Vec<ListItem> = Procedure::ALL
        .iter()
        .map(|p| ListItem::new(p.title()))
        .collect();
    let mut state = ListState::default().with_selected(Some(app.menu_selected));
    frame.render_stateful_widget(
        List::new(items)
            .highlight_symbol("▶ ")
            .highlight_style(Style::new().add_modifier(Modifier::REVERSED))
            .block(Block::bordered().title(" Procedures ")),
        menu,
        &mut state,
    );
    let procedure = app.selected_procedure();
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
