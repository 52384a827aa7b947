//! The application data picker: workloads of every project with their volumes, mount paths
//! and claims; ticked volumes are copied.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, List, ListItem, ListState, Paragraph, Wrap};

use crate::tui::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let picker = &app.appdata;
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(4)]).areas(area);
    frame.render_widget(
        Paragraph::new(super::title_bar(
            "Application data backup and restore: pick a workload and its volumes".into(),
        )),
        title,
    );
    let [list, detail] =
        Layout::horizontal([Constraint::Percentage(60), Constraint::Min(30)]).areas(body);
    let workloads = match &picker.workloads {
        None => {
            frame.render_widget(
                Paragraph::new("Listing DeploymentConfigs and Deployments of every project ...")
                    .block(Block::bordered().title(" Workloads ")),
                body,
            );
            return;
        }
        Some(Err(error)) => {
            frame.render_widget(
                Paragraph::new(error.as_str())
                    .style(Style::new().fg(Color::Red))
                    .wrap(Wrap { trim: false })
                    .block(Block::bordered().title(" Workloads ")),
                body,
            );
            return;
        }
        Some(Ok(workloads)) => workloads,
    };
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut items = Vec::new();
    let mut selected_item = None;
    let rows = picker.rows();
    for (w, workload) in workloads.iter().enumerate() {
        items.push(ListItem::new(Line::from(vec![
            Span::styled(
                format!("{}/", workload.namespace),
                Style::new().fg(Color::DarkGray),
            ),
            Span::styled(workload.reference.to_string(), bold),
            Span::styled(
                format!("   pods: {}", workload.selector),
                Style::new().fg(Color::DarkGray),
            ),
        ])));
        for (v, volume) in workload.volumes.iter().enumerate() {
            if rows.get(picker.selected) == Some(&(w, v)) {
                selected_item = Some(items.len());
            }
            let ticked = picker.chosen.contains(&(w, volume.name.clone()));
            let (kind, kind_style) = match &volume.claim {
                Some(claim) => (format!("claim {claim}"), Style::new().fg(Color::Green)),
                None => (
                    format!("{} (not persistent)", volume.source),
                    Style::new().fg(Color::Yellow),
                ),
            };
            items.push(ListItem::new(Line::from(vec![
                Span::raw(if ticked { "  [x] " } else { "  [ ] " }),
                Span::raw(format!("{:<14} ", volume.name)),
                Span::styled(format!("{:<24} ", volume.mount_path), bold),
                Span::styled(kind, kind_style),
                Span::raw(if volume.read_only { "  read-only" } else { "" }),
            ])));
        }
    }
    let mut state = ListState::default().with_selected(selected_item);
    frame.render_stateful_widget(
        List::new(items)
            .block(Block::bordered().title(" Workloads and their volumes (mountPath) "))
            .highlight_style(Style::new().bg(Color::DarkGray)),
        list,
        &mut state,
    );
    let mut lines = Vec::new();
    if let Some((w, workload)) = picker.selected_workload() {
        let ticked: Vec<&str> = workload
            .volumes
            .iter()
            .filter(|v| picker.chosen.contains(&(w, v.name.clone())))
            .map(|v| v.mount_path.as_str())
            .collect();
        lines.push(Line::styled(
            format!("{} in project {}", workload.reference, workload.namespace),
            bold,
        ));
        lines.push(Line::raw(format!(
            "{} replica(s); pods found with {}",
            workload.replicas, workload.selector
        )));
        lines.push(Line::raw(""));
        if ticked.is_empty() {
            lines.push(Line::styled(
                "No volume ticked: Space ticks one.",
                Style::new().fg(Color::Yellow),
            ));
        } else {
            lines.push(Line::raw(format!("b  back up {}", ticked.join(", "))));
            lines.push(Line::raw(
                "   from a running, ready pod, through exec with tar (no rsync needed), into a \
                 sealed bundle with every file's SHA-256.",
            ));
            lines.push(Line::raw(""));
            lines.push(Line::raw(
                "R  restore the newest backup of this workload, then delete the pod so the \
                 application restarts on the restored data.",
            ));
        }
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            "This type of backup needs a running pod with sh and tar.",
            Style::new().fg(Color::DarkGray),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(" What will happen ")),
        detail,
    );
}
