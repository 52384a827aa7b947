//! The small panels around the member table; each is a list of lines built from the report.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::facts::host::EtcdRuntime;
use crate::health::{HealthReport, SizeLevel, Verdict, decimal_mb};
use crate::kube::KubeSummary;
use crate::present::human_bytes;

fn red() -> Style {
    Style::new().fg(Color::Red)
}

/// Draws a panel; `wrap` for prose, off for tables whose last column may be cut.
pub fn draw_lines(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    lines: Vec<Line<'static>>,
    wrap: bool,
) {
    let mut paragraph = Paragraph::new(lines).block(Block::bordered().title(title.to_string()));
    if wrap {
        paragraph = paragraph.wrap(Wrap { trim: false });
    }
    frame.render_widget(paragraph, area);
}

/// The verdict first, then one line per problem, then the procedure's sizing advice.
pub fn quorum_lines(report: &HealthReport) -> Vec<Line<'static>> {
    let q = &report.quorum;
    let bold = Modifier::BOLD;
    let mut lines = match &report.verdict {
        Verdict::QuorumLost { .. } if report.member_list_error.is_some() => {
            let answered = report
                .snapshot
                .endpoints
                .iter()
                .filter(|r| r.result.is_ok())
                .count();
            vec![Line::styled(
                format!(
                    "QUORUM UNKNOWN, PROBABLY LOST: no member list; {answered} of {} endpoints answered",
                    report.snapshot.endpoints.len()
                ),
                red().add_modifier(bold),
            )]
        }
        verdict => {
            let color = match (verdict, q.tolerance_now) {
                (Verdict::QuorumLost { .. }, _) => Color::Red,
                (_, Some(0)) => Color::Yellow,
                _ => Color::Green,
            };
            vec![
                Line::styled(q.verdict(), Style::new().fg(color).add_modifier(bold)),
                Line::raw(format!(
                    "majority {} of {}; tolerates {} at full strength",
                    q.majority, q.voters, q.tolerance_at_full_strength
                )),
            ]
        }
    };
    if let Some(error) = &report.member_list_error {
        lines.push(Line::styled(
            format!("✗ member list unavailable: {error}"),
            red(),
        ));
        for r in &report.snapshot.endpoints {
            if let Err(error) = &r.result {
                lines.push(Line::styled(format!("✗ {error}"), red()));
            }
        }
    }
    for m in &report.members {
        if let Some(error) = &m.error {
            let name = if m.name.is_empty() {
                "(unstarted)"
            } else {
                &m.name
            };
            lines.push(Line::styled(
                format!("✗ {name} ({:x}): {error}", m.id),
                red(),
            ));
        }
    }
    if matches!(report.verdict, Verdict::QuorumLost { .. }) {
        lines.push(Line::styled(
            "  what to do: a member that answers keeps its data with :quorum (a new cluster from \
             the best survivor); with none, :dr restores every member from a backup",
            Style::new().fg(Color::Yellow),
        ));
    }
    if let Some(problem) = report.consistency.as_ref().and_then(|c| c.problem()) {
        lines.push(Line::styled(
            format!("✗ {problem}"),
            red().add_modifier(bold),
        ));
    }
    for alarm in &report.alarms {
        lines.push(Line::styled(
            format!("ALARM {} on member {:x}", alarm.alarm, alarm.member_id),
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(bold),
        ));
        lines.push(Line::styled(
            format!(
                "  what to do: {}",
                crate::health::alarm_advice(&alarm.alarm)
            ),
            Style::new().fg(Color::Yellow),
        ));
    }
    if q.voters > 0 && q.voters % 2 == 0 {
        lines.push(Line::styled(
            format!(
                "{} voters tolerate no more failures than {}: odd sizes are better (7 recommended)",
                q.voters,
                q.voters - 1
            ),
            Style::new().fg(Color::Yellow),
        ));
    }
    lines
}

pub fn size_lines(report: &HealthReport) -> Vec<Line<'static>> {
    let Some(size) = &report.size else {
        return vec![Line::raw("no member reported its size")];
    };
    let style = match size.level {
        SizeLevel::Fine => Style::new().fg(Color::Green),
        SizeLevel::AboveMemberAddThreshold | SizeLevel::NearQuota => Style::new().fg(Color::Yellow),
        SizeLevel::OverQuota => red().add_modifier(Modifier::BOLD),
    };
    let percent = size.db_size as f64 * 100.0 / size.quota.max(1) as f64;
    let mut lines = vec![
        Line::raw(format!(
            "largest DB {}, in use {}",
            human_bytes(size.db_size as i64),
            human_bytes(size.db_size_in_use as i64)
        )),
        Line::raw(format!(
            "{percent:.1}% of the {} backend quota",
            human_bytes(size.quota as i64)
        )),
        Line::styled(
            format!(
                "{} ({})",
                size.level.describe(),
                decimal_mb(size.member_add_threshold)
            ),
            style,
        ),
    ];
    lines.extend(size.advice.iter().map(|a| Line::raw(format!("→ {a}"))));
    lines
}

/// Most urgent first: unreadable, then by days left.
pub fn certificate_lines(report: &HealthReport) -> Vec<Line<'static>> {
    let mut certs: Vec<_> = report.certificates.iter().collect();
    certs.sort_by_key(|c| c.result.as_ref().map_or(i64::MIN, |i| i.days_left));
    if certs.is_empty() {
        return vec![Line::raw(
            "no certificates found in the etcd or master configuration",
        )];
    }
    certs
        .into_iter()
        .map(|cert| {
            let file = cert
                .path
                .file_name()
                .map_or(String::new(), |f| f.to_string_lossy().into_owned());
            let parent = cert
                .path
                .parent()
                .and_then(|p| p.file_name())
                .map_or(String::new(), |p| p.to_string_lossy().into_owned());
            match &cert.result {
                Ok(info) => {
                    let text = format!(
                        "{:>5}d  {:<24} {:<22} {}",
                        info.days_left,
                        info.subject,
                        format!("{parent}/{file}"),
                        info.sans.join(" ")
                    );
                    if info.needs_attention() {
                        Line::styled(text, red().add_modifier(Modifier::BOLD))
                    } else {
                        Line::raw(text)
                    }
                }
                Err(error) => {
                    Line::styled(format!("    ?   {}: {error}", cert.path.display()), red())
                }
            }
        })
        .collect()
}

pub fn host_lines(report: &HealthReport) -> Vec<Line<'static>> {
    let mut lines: Vec<Line> = report
        .host
        .runtimes
        .iter()
        .map(|runtime| match runtime {
            EtcdRuntime::Systemd { unit, state } => {
                let text = format!("systemd {unit}: {state}");
                if state == "active" {
                    Line::raw(text)
                } else {
                    Line::styled(text, red())
                }
            }
            EtcdRuntime::Container { name, status, .. } => {
                Line::raw(format!("container {name}: {status}"))
            }
            EtcdRuntime::Process { name, pid, running } => {
                let text = match (pid, running) {
                    (Some(pid), true) => format!("process {name} (pid {pid}): running"),
                    _ => format!("process {name}: STOPPED"),
                };
                if *running {
                    Line::raw(text)
                } else {
                    Line::styled(text, red())
                }
            }
        })
        .collect();
    if lines.is_empty() {
        lines.push(Line::raw(
            "no etcd unit, container or etcd process on this host",
        ));
    }
    for dir in &report.host.data_dirs {
        lines.push(match dir {
            Ok(space) => {
                let text = format!(
                    "{}: {} free",
                    space.path.display(),
                    human_bytes(space.free_bytes as i64)
                );
                // Below 10 % free, a compaction or a snapshot restore may not fit.
                if space.free_bytes * 10 < space.total_bytes {
                    Line::styled(text, red())
                } else {
                    Line::raw(text)
                }
            }
            Err(error) => Line::styled(error.clone(), red()),
        });
    }
    lines
}

pub fn kube_line(report: &HealthReport) -> Line<'static> {
    let text = format!(" Kubernetes: {}", report.kubernetes.describe());
    match &report.kubernetes {
        KubeSummary::NotConfigured { .. } => Line::styled(text, Style::new().fg(Color::DarkGray)),
        KubeSummary::Unreachable { .. } => Line::styled(text, red()),
        KubeSummary::Reachable { ready: false, .. } => Line::styled(text, red()),
        KubeSummary::Reachable { .. } => Line::raw(text),
    }
}
