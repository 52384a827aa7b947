//! The member table: raft progress by default, URLs on `u`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Flex, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};

use crate::health::{HealthReport, MemberHealth};
use crate::present::human_bytes;

pub fn draw(
    frame: &mut Frame,
    area: Rect,
    report: &HealthReport,
    show_urls: bool,
    selected: Option<usize>,
) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let (header, widths): (Vec<&str>, Vec<Constraint>) = if show_urls {
        (
            vec!["ID", "NAME", "ROLE", "PEER URLS", "CLIENT URLS", "HEALTH"],
            vec![
                Constraint::Length(16),
                Constraint::Length(12),
                Constraint::Length(8),
                Constraint::Fill(1),
                Constraint::Fill(1),
                Constraint::Length(8),
            ],
        )
    } else {
        (
            vec![
                "ID", "NAME", "ROLE", "VERSION", "DB SIZE", "IN USE", "TERM", "INDEX", "APPLIED",
                "LAG", "HEALTH",
            ],
            vec![
                Constraint::Length(16),
                Constraint::Length(12),
                Constraint::Length(8),
                Constraint::Length(8),
                Constraint::Length(10),
                Constraint::Length(10),
                Constraint::Length(6),
                Constraint::Length(9),
                Constraint::Length(9),
                Constraint::Length(6),
                Constraint::Min(8),
            ],
        )
    };
    let rows: Vec<Row> = if report.members.is_empty() {
        endpoint_rows(report, show_urls)
    } else {
        report
            .members
            .iter()
            .map(|m| member_row(m, show_urls))
            .collect()
    };
    let title = match &report.member_list_error {
        None if selected.is_some() => {
            format!(" Members ({}) — Enter: details and actions ", rows.len())
        }
        None => format!(
            " Members ({}) — Tab: select · u: {} ",
            rows.len(),
            if show_urls { "raft view" } else { "URLs" }
        ),
        Some(_) => format!(" Endpoints ({}): member list unavailable ", rows.len()),
    };
    let mut block = Block::bordered().title(title);
    if selected.is_some() {
        block = block.border_style(Style::new().fg(Color::Cyan));
    }
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(bold))
            .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED))
            .highlight_symbol("▶")
            .block(block),
        area,
        &mut state,
    );
}

/// A member's details over the dashboard: URLs, raft progress, its last error, the
/// certificates that name its host, and the actions that fit it.
pub fn draw_detail(frame: &mut Frame, area: Rect, report: &HealthReport, m: &MemberHealth) {
    let mut lines = detail_lines(report, m);
    lines.extend(action_lines(m));
    let [area] = Layout::horizontal([Constraint::Max(90)])
        .flex(Flex::Center)
        .areas(area);
    let height = (lines.len() as u16 + 2).min(area.height);
    let [area] = Layout::vertical([Constraint::Length(height)])
        .flex(Flex::Center)
        .areas(area);
    let name = if m.name.is_empty() {
        "(unstarted)"
    } else {
        &m.name
    };
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::bordered()
                .title(format!(" {name} "))
                .border_style(Style::new().fg(Color::Cyan)),
        ),
        area,
    );
}

/// URLs, status and raft progress, the last error, and the certificates naming its host.
fn detail_lines(report: &HealthReport, m: &MemberHealth) -> Vec<Line<'static>> {
    let mut lines = vec![
        Line::raw(format!("ID          {:x}", m.id)),
        Line::raw(format!("Peer URLs   {}", m.peer_urls.join(", "))),
        Line::raw(format!("Client URLs {}", m.client_urls.join(", "))),
    ];
    match &m.status {
        Some(s) => {
            lines.push(Line::raw(format!(
                "Version {} · DB {} ({} in use)",
                s.version,
                human_bytes(s.db_size),
                human_bytes(s.db_size_in_use)
            )));
            lines.push(Line::raw(format!(
                "Raft term {} · index {} · applied {} · {} behind the leader",
                s.raft_term,
                s.raft_index,
                s.raft_applied_index,
                m.lag.map_or("?".to_string(), |l| l.to_string())
            )));
        }
        None => lines.push(Line::raw("No status: the member did not answer.")),
    }
    if let Some(error) = &m.error {
        lines.push(Line::styled(
            format!("Last error: {error}"),
            Style::new().fg(Color::Red),
        ));
    }
    let host = m
        .client_urls
        .iter()
        .chain(&m.peer_urls)
        .filter_map(|u| {
            u.split("//")
                .nth(1)?
                .rsplit_once(':')
                .map(|(h, _)| h.to_string())
        })
        .next();
    for cert in report
        .certificates
        .iter()
        .filter_map(|c| c.result.as_ref().ok())
    {
        if host
            .as_ref()
            .is_some_and(|h| cert.sans.iter().any(|s| s == h))
        {
            lines.push(Line::raw(format!(
                "Certificate {} · {} · {} days left",
                cert.path.display(),
                cert.subject,
                cert.days_left
            )));
        }
    }
    lines
}

/// The keys of the actions that fit the member.
fn action_lines(m: &MemberHealth) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw("")];
    let actions = crate::tui::members::actions_for(m);
    if actions.is_empty() {
        lines.push(Line::styled(
            "Healthy: nothing to do. Esc returns to the table.",
            Style::new().fg(Color::Green),
        ));
    }
    for action in actions {
        lines.push(Line::from(vec![
            Span::styled(
                format!(" {} ", action.key()),
                Style::new().fg(Color::Black).bg(Color::Cyan),
            ),
            Span::raw(format!(" {}", action.label())),
        ]));
    }
    lines
}

fn health_cell(healthy: bool, diverged: bool) -> Cell<'static> {
    if diverged {
        // Answering, but with other data than the majority: as serious as down.
        Cell::from("DIFFERS").style(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD))
    } else if healthy {
        Cell::from("healthy").style(Style::new().fg(Color::Green))
    } else {
        // The reason is spelled out in the quorum panel.
        Cell::from("DOWN").style(Style::new().fg(Color::Red).add_modifier(Modifier::BOLD))
    }
}

fn member_row(m: &MemberHealth, show_urls: bool) -> Row<'static> {
    let role = if m.is_learner {
        "learner"
    } else if !m.healthy {
        "-"
    } else if m.is_leader {
        "leader"
    } else {
        "follower"
    };
    let name = if m.name.is_empty() {
        "(unstarted)".to_string()
    } else {
        m.name.clone()
    };
    let mut cells = vec![
        Cell::from(format!("{:x}", m.id)),
        Cell::from(name),
        Cell::from(role),
    ];
    if show_urls {
        cells.push(Cell::from(m.peer_urls.join(",")));
        cells.push(Cell::from(m.client_urls.join(",")));
    } else {
        let s = m.status.as_ref();
        let text =
            |f: &dyn Fn(&crate::etcd::EndpointStatus) -> String| s.map_or("-".to_string(), f);
        cells.push(Cell::from(text(&|s| s.version.clone())));
        cells.push(Cell::from(text(&|s| human_bytes(s.db_size))));
        cells.push(Cell::from(text(&|s| human_bytes(s.db_size_in_use))));
        cells.push(Cell::from(text(&|s| s.raft_term.to_string())));
        cells.push(Cell::from(text(&|s| s.raft_index.to_string())));
        cells.push(Cell::from(text(&|s| s.raft_applied_index.to_string())));
        let lag_style = match m.lag {
            Some(lag) if lag > 1000 => Style::new().fg(Color::Red),
            Some(lag) if lag > 0 => Style::new().fg(Color::Yellow),
            _ => Style::new(),
        };
        cells.push(Cell::from(m.lag.map_or("-".to_string(), |l| l.to_string())).style(lag_style));
    }
    cells.push(health_cell(m.healthy, m.diverged));
    Row::new(cells)
}

/// Without a member list, what each configured endpoint said is the best truth there is.
fn endpoint_rows(report: &HealthReport, show_urls: bool) -> Vec<Row<'static>> {
    report
        .snapshot
        .endpoints
        .iter()
        .map(|r| {
            let status = r.result.as_ref().ok();
            let mut cells = vec![
                Cell::from(status.map_or("?".to_string(), |s| format!("{:x}", s.member_id))),
                Cell::from("?"),
                Cell::from("-"),
            ];
            if show_urls {
                cells.push(Cell::from(""));
                cells.push(Cell::from(r.endpoint.clone()));
            } else {
                cells.push(Cell::from(
                    status.map_or("-".to_string(), |s| s.version.clone()),
                ));
                cells.push(Cell::from(
                    status.map_or("-".to_string(), |s| human_bytes(s.db_size)),
                ));
                for _ in 0..5 {
                    cells.push(Cell::from("-"));
                }
            }
            cells.push(health_cell(status.is_some(), false));
            Row::new(cells)
        })
        .collect()
}
