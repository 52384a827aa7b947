//! The member table: raft progress by default, URLs on `u`.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::{Block, Cell, Row, Table};

use crate::health::{HealthReport, MemberHealth};
use crate::present::human_bytes;

pub fn draw(frame: &mut Frame, area: Rect, report: &HealthReport, show_urls: bool) {
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
        None => format!(
            " Members ({}) — u: {} ",
            rows.len(),
            if show_urls { "raft view" } else { "URLs" }
        ),
        Some(_) => format!(" Endpoints ({}): member list unavailable ", rows.len()),
    };
    frame.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(bold))
            .block(Block::bordered().title(title)),
        area,
    );
}

fn health_cell(healthy: bool) -> Cell<'static> {
    if healthy {
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
    cells.push(health_cell(m.healthy));
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
            cells.push(health_cell(status.is_some()));
            Row::new(cells)
        })
        .collect()
}
