use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Gauge, List, ListItem, ListState, Paragraph, Wrap};

use crate::exec::OutputStream;
use crate::plan::Risk;
use crate::present::command_line;
use crate::run::{PlanOutcome, StepOutcome};
use crate::tui::app::{App, ProgressUnit, StepState, Wizard};

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let Some(wizard) = &app.wizard else {
        return;
    };
    let overview = if wizard.previewing {
        super::preview::overview_lines(
            &wizard.plan,
            crate::tui::guide::equivalent_command(app).as_deref(),
        )
    } else {
        Vec::new()
    };
    let inner = usize::from(area.width.saturating_sub(2).max(1));
    let overview_rows: usize = overview
        .iter()
        .map(|l| l.width().max(1).div_ceil(inner))
        .sum();
    let overview_height = if overview.is_empty() {
        0
    } else {
        // Words wrap before the last column: one spare row per wrapped line keeps the last
        // way back from being cut.
        let wrapped_lines = overview.iter().filter(|l| l.width() > inner).count();
        u16::try_from(overview_rows + wrapped_lines + 2)
            .unwrap_or(u16::MAX)
            .min(area.height / 3)
    };
    let [title, top, body, bar] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(overview_height),
        Constraint::Min(6),
        Constraint::Length(3),
    ])
    .areas(area);
    let heading = if wizard.previewing {
        format!("{} — the plan, before anything runs", wizard.plan.title)
    } else {
        wizard.plan.title.clone()
    };
    frame.render_widget(Paragraph::new(super::title_bar(heading)), title);
    if !overview.is_empty() {
        frame.render_widget(
            Paragraph::new(overview)
                .wrap(Wrap { trim: false })
                .block(Block::bordered().title(" Plan ")),
            top,
        );
    }
    if wizard.finished.is_some() && !wizard.show_steps {
        super::summary::draw(frame, body, app, wizard);
        draw_bar(frame, bar, wizard);
        return;
    }
    let [steps, detail] =
        Layout::horizontal([Constraint::Length(40), Constraint::Min(30)]).areas(body);
    draw_steps(frame, steps, wizard);
    draw_detail(frame, detail, wizard);
    draw_bar(frame, bar, wizard);
}

pub fn risk_style(risk: Risk) -> Style {
    match risk {
        Risk::ReadOnly => Style::new().fg(Color::Green),
        Risk::Reversible => Style::new().fg(Color::Yellow),
        Risk::Destructive => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

fn draw_steps(frame: &mut Frame, area: Rect, wizard: &Wizard) {
    let items: Vec<ListItem> = wizard
        .plan
        .steps
        .iter()
        .zip(&wizard.steps)
        .enumerate()
        .map(|(index, (step, state))| {
            let (mark, style) = match state {
                StepState::Pending => ("·", Style::new()),
                StepState::AwaitingConfirmation => (
                    "?",
                    Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
                ),
                StepState::Running => ("▶", Style::new().fg(Color::Cyan)),
                StepState::Done(StepOutcome::Succeeded { .. }) => {
                    ("✓", Style::new().fg(Color::Green))
                }
                StepState::Done(StepOutcome::Failed { .. }) => ("✗", Style::new().fg(Color::Red)),
                StepState::Done(StepOutcome::Skipped { .. }) => {
                    ("○", Style::new().fg(Color::DarkGray))
                }
                StepState::Done(StepOutcome::NotRun) => ("·", Style::new().fg(Color::DarkGray)),
            };
            ListItem::new(Line::from(vec![
                Span::styled(format!("{mark} {}. ", index + 1), style),
                Span::styled(step.title.clone(), style),
            ]))
        })
        .collect();
    let mut state = ListState::default().with_selected(Some(wizard.selected));
    frame.render_stateful_widget(
        List::new(items)
            .highlight_style(Style::new().add_modifier(Modifier::REVERSED))
            .block(Block::bordered().title(" Steps ")),
        area,
        &mut state,
    );
}

fn draw_detail(frame: &mut Frame, area: Rect, wizard: &Wizard) {
    let Some(step) = wizard.plan.steps.get(wizard.selected) else {
        return;
    };
    // Before a destructive step runs, the way back is part of what the engineer agrees to.
    let warn_way_back = step.risk == Risk::Destructive
        && !step.if_failed.is_empty()
        && !matches!(wizard.steps[wizard.selected], StepState::Done(_));
    let mut lines = vec![
        Line::from(vec![
            Span::raw("Risk: "),
            Span::styled(step.risk.label(), risk_style(step.risk)),
            Span::raw(format!("   Check: {}", step.check.describe())),
        ]),
        Line::raw(step.reason.clone()),
        Line::raw(""),
        Line::styled(
            format!("$ {}", command_line(&wizard.plan, &step.action)),
            Style::new().fg(Color::Cyan),
        ),
    ];
    match &wizard.steps[wizard.selected] {
        StepState::Done(StepOutcome::Succeeded { summary }) => {
            lines.push(Line::styled(
                format!("✓ {summary}"),
                Style::new().fg(Color::Green),
            ));
        }
        StepState::Done(StepOutcome::Failed { error, next }) => {
            lines.push(Line::styled(
                format!("✗ {error}"),
                Style::new().fg(Color::Red),
            ));
            lines.push(Line::styled(
                format!("What now: {next}"),
                Style::new().fg(Color::Yellow),
            ));
        }
        StepState::Done(StepOutcome::Skipped { reason }) => {
            lines.push(Line::raw(format!("○ {reason}")))
        }
        _ if warn_way_back => lines.push(Line::styled(
            format!("If it fails: {}", step.if_failed),
            Style::new().fg(Color::Yellow),
        )),
        _ => {}
    }
    // As tall as the wrapped text needs (long paths make long commands), leaving the output
    // pane at least a third of the space.
    let inner_width = usize::from(area.width.saturating_sub(2)).max(1);
    let wrapped: usize = lines
        .iter()
        .map(|line| line.width().div_ceil(inner_width).max(1))
        .sum();
    // One spare row: words wrap before the last column.
    let about_height = u16::try_from(wrapped + 3)
        .unwrap_or(u16::MAX)
        .clamp(10, (area.height * 2 / 3).max(10));
    let [about, output] =
        Layout::vertical([Constraint::Length(about_height), Constraint::Min(3)]).areas(area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(Block::bordered().title(format!(" Step {} ", wizard.selected + 1))),
        about,
    );
    let output = match wizard.progress.filter(|p| p.step == wizard.selected) {
        Some(progress) => {
            let [gauge, rest] =
                Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(output);
            let ratio = progress
                .total
                .filter(|t| *t > 0)
                .map_or(0.0, |t| (progress.done as f64 / t as f64).min(1.0));
            let label = match progress.unit {
                ProgressUnit::Bytes => crate::present::describe_progress(
                    progress.done,
                    progress.total,
                    progress.updated.duration_since(progress.started),
                ),
                ProgressUnit::RaftIndex => crate::present::describe_catch_up(
                    progress.done,
                    progress.total.unwrap_or(progress.done),
                ),
                ProgressUnit::Items => format!(
                    "{} of {}",
                    progress.done,
                    progress.total.unwrap_or(progress.done)
                ),
            };
            frame.render_widget(
                Gauge::default()
                    .ratio(ratio)
                    .label(label)
                    .gauge_style(Style::new().fg(Color::Cyan))
                    .block(Block::bordered().title(" Progress ")),
                gauge,
            );
            rest
        }
        None => output,
    };
    if super::results::applies(wizard) {
        return super::results::draw(frame, output, wizard);
    }
    let visible = usize::from(output.height.saturating_sub(2));
    let printed: Vec<Line> = wizard
        .output
        .iter()
        .filter(|(index, _, _)| *index == wizard.selected)
        .map(|(_, stream, line)| match stream {
            OutputStream::Stdout => Line::raw(line.clone()),
            OutputStream::Stderr => Line::styled(line.clone(), Style::new().fg(Color::Yellow)),
        })
        .collect();
    let start = printed.len().saturating_sub(visible);
    frame.render_widget(
        Paragraph::new(printed[start..].to_vec()).block(Block::bordered().title(" Output ")),
        output,
    );
}

fn draw_bar(frame: &mut Frame, area: Rect, wizard: &Wizard) {
    if wizard.previewing {
        let text = "Enter: run it, asking before every step · ↑↓ read each step · Esc: back to change the answers";
        frame.render_widget(
            Paragraph::new(text)
                .style(Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD))
                .block(Block::bordered()),
            area,
        );
        return;
    }
    let (text, style) = match (&wizard.pending, &wizard.finished) {
        (Some(request), _) => (
            format!(
                "Run step {} \"{}\" ({})?   y run · {}s skip · a abort",
                request.index + 1,
                request.step.title,
                request.step.risk.label(),
                // A destructive step is only ever run by its own key.
                if request.step.risk == Risk::Destructive {
                    ""
                } else {
                    "n run to the next destructive step · "
                }
            ),
            risk_style(request.step.risk).add_modifier(Modifier::BOLD),
        ),
        (None, Some(PlanOutcome::Completed)) => {
            ("All steps done.".to_string(), Style::new().fg(Color::Green))
        }
        (None, Some(PlanOutcome::DryRun)) => {
            ("Dry run: nothing was executed.".to_string(), Style::new())
        }
        (None, Some(PlanOutcome::Aborted { at })) => (
            format!("Stopped before step {}.", at + 1),
            Style::new().fg(Color::Yellow),
        ),
        (None, Some(PlanOutcome::Failed { at })) => (
            format!(
                "Stopped: step {} failed. Its panel says what to do now.",
                at + 1
            ),
            Style::new().fg(Color::Red),
        ),
        (None, None) => ("Working ...".to_string(), Style::new().fg(Color::Cyan)),
    };
    frame.render_widget(
        Paragraph::new(text).style(style).block(Block::bordered()),
        area,
    );
}
