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
    let members = app.snapshot.as_ref().map_or(1, |s| match &s.members {
        Ok(members) => members.len(),
        Err(_) => s.endpoints.len(),
    });
    let table_height = u16::try_from(members).unwrap_or(9).min(9) + 3;
    let quorum_text = app.snapshot.as_ref().map(quorum_lines);
    let quorum_height = quorum_text.as_ref().map_or(1, Vec::len).min(8) as u16 + 2;
    let [header, quorum, table, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(quorum_height),
        Constraint::Length(table_height),
        Constraint::Min(5),
    ])
    .areas(area);
    draw_header(frame, header, app);
    match (&app.snapshot, quorum_text) {
        (Some(snapshot), Some(lines)) => {
            draw_quorum(frame, quorum, lines);
            draw_members(frame, table, snapshot);
        }
        _ => frame.render_widget(
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

/// The verdict first, then one line per problem: a down member with its error, the member list
/// itself, a raised alarm.
fn quorum_lines(snapshot: &ClusterSnapshot) -> Vec<Line<'static>> {
    let quorum = snapshot.quorum();
    let color = match quorum.tolerance_now {
        _ if !quorum.has_quorum() => Color::Red,
        Some(0) => Color::Yellow,
        _ => Color::Green,
    };
    let red = Style::new().fg(Color::Red);
    let verdict = match &snapshot.members {
        Ok(_) => quorum.verdict(),
        Err(_) => {
            let answered = snapshot
                .endpoints
                .iter()
                .filter(|r| r.result.is_ok())
                .count();
            format!(
                "QUORUM UNKNOWN, PROBABLY LOST: no member list; {answered} of {} endpoints answered",
                snapshot.endpoints.len()
            )
        }
    };
    let bold = Style::new().fg(color).add_modifier(Modifier::BOLD);
    let mut lines = vec![Line::styled(
        verdict,
        if snapshot.members.is_ok() {
            bold
        } else {
            red.add_modifier(Modifier::BOLD)
        },
    )];
    match &snapshot.members {
        Err(error) => {
            lines.push(Line::styled(
                format!("✗ member list unavailable: {error}"),
                red,
            ));
            for report in &snapshot.endpoints {
                if let Err(error) = &report.result {
                    lines.push(Line::styled(format!("✗ {error}"), red));
                }
            }
        }
        Ok(members) => {
            for member in members {
                if let Some(error) = snapshot.error_of(member) {
                    lines.push(Line::styled(
                        format!("✗ {} ({:x}): {error}", member.display_name(), member.id),
                        red,
                    ));
                }
            }
        }
    }
    for alarm in &snapshot.alarms {
        lines.push(Line::styled(
            format!("ALARM {} on member {:x}", alarm.alarm, alarm.member_id),
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
        ));
    }
    lines
}

fn draw_quorum(frame: &mut Frame, area: Rect, lines: Vec<Line<'static>>) {
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Quorum ")),
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
    let mut members: Vec<_> = snapshot
        .members
        .as_deref()
        .unwrap_or_default()
        .iter()
        .collect();
    // By name, as engineers think of hosts; etcd lists them by ID.
    members.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    let rows: Vec<Row> = members
        .into_iter()
        .map(|member| {
            let status = snapshot.status_of(member.id);
            let role = if member.is_learner {
                "learner"
            } else if status.is_none() {
                "-"
            } else if leader == Some(member.id) {
                "leader"
            } else {
                "follower"
            };
            // The reason a member is down is spelled out in the quorum panel.
            let (health, health_style) = match status {
                Some(_) => ("healthy", Style::new().fg(Color::Green)),
                None => (
                    "DOWN",
                    Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
                ),
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
    let rows = if snapshot.members.is_ok() {
        rows
    } else {
        endpoint_rows(snapshot)
    };
    let title = match snapshot.members {
        Ok(_) => format!(" Members ({}) ", rows.len()),
        Err(_) => format!(" Endpoints ({}): member list unavailable ", rows.len()),
    };
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .block(Block::bordered().title(title)),
        area,
    );
}

/// Without a member list, what each configured endpoint said is the best truth there is.
fn endpoint_rows(snapshot: &ClusterSnapshot) -> Vec<Row<'static>> {
    snapshot
        .endpoints
        .iter()
        .map(|report| match &report.result {
            Ok(status) => Row::new(vec![
                Cell::from(format!("{:x}", status.member_id)),
                Cell::from("?"),
                Cell::from(""),
                Cell::from(report.endpoint.clone()),
                Cell::from(if status.leader == status.member_id {
                    "leader"
                } else {
                    "follower"
                }),
                Cell::from(human_bytes(status.db_size)),
                Cell::from("answers").style(Style::new().fg(Color::Yellow)),
            ]),
            Err(_) => Row::new(vec![
                Cell::from("?"),
                Cell::from("?"),
                Cell::from(""),
                Cell::from(report.endpoint.clone()),
                Cell::from("-"),
                Cell::from("-"),
                Cell::from("DOWN").style(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD)),
            ]),
        })
        .collect()
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
