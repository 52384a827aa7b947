//! The project picker (filter, multi-select, object counts), the kind picker (each exclusion
//! with its reason) and the export picker of a restore.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Wrap};

use crate::kube::ProjectSummary;
use crate::kube::default_exclusion;
use crate::tui::app::App;
use crate::tui::{PickerStage, ProjectCatalog, ProjectPicker};

fn selected_style() -> Style {
    Style::new().add_modifier(Modifier::REVERSED)
}

fn waiting(frame: &mut Frame, area: Rect, title: &str, error: Option<&String>, what: &str) {
    let text = match error {
        Some(error) => Line::styled(
            format!("Cannot read the cluster: {error}"),
            Style::new().fg(Color::Red),
        ),
        None => Line::raw(format!("Asking the API server for {what} ...")),
    };
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(title.to_string())),
        area,
    );
}

pub fn draw_projects(frame: &mut Frame, area: Rect, app: &App) {
    let picker = &app.project_picker;
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(5)]).areas(area);
    frame.render_widget(
        Paragraph::new(super::title_bar("Project export".into())),
        title,
    );
    if picker.catalog.is_none() {
        return waiting(
            frame,
            body,
            " Projects ",
            picker.error.as_ref(),
            "its projects and kinds",
        );
    }
    match picker.stage {
        PickerStage::Projects => draw_project_list(frame, body, picker),
        PickerStage::Kinds => draw_kind_list(frame, body, picker),
    }
}

fn draw_project_list(frame: &mut Frame, area: Rect, picker: &ProjectPicker) {
    let [filter, list] = Layout::vertical([Constraint::Length(3), Constraint::Min(3)]).areas(area);
    let mut input = picker.filter.clone();
    input.set_block(Block::bordered().title(" Filter (type) "));
    frame.render_widget(&input, filter);
    let visible = picker.visible();
    // Only the rows that fit are built: thousands of projects cost one screenful per frame.
    let height = usize::from(list.height.saturating_sub(3)).max(1);
    let first = picker.cursor.saturating_sub(height - 1);
    let counting = picker.catalog.as_ref().map_or(0, |c| c.counting);
    let rows: Vec<Row> = visible
        .iter()
        .skip(first)
        .take(height)
        .map(|project| project_row(project, picker.chosen.contains(&project.name), counting))
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(3),
            Constraint::Length(18),
            Constraint::Length(24),
            Constraint::Length(7),
            Constraint::Min(20),
        ],
    )
    .header(
        Row::new(["", "PROJECT", "DISPLAY NAME", "OBJECTS", "KINDS"])
            .style(Style::new().add_modifier(Modifier::BOLD)),
    )
    .row_highlight_style(selected_style())
    .block(Block::bordered().title(format!(
        " Projects: {} shown, {} chosen · {} ",
        visible.len(),
        picker.chosen.len(),
        counting_state(picker)
    )));
    let mut state = TableState::default().with_selected(Some(picker.cursor - first));
    frame.render_stateful_widget(table, list, &mut state);
}

/// How far the counts are: they arrive kind by kind after the list.
fn counting_state(picker: &ProjectPicker) -> String {
    match picker.catalog.as_ref() {
        Some(c) if c.counting > 0 => format!("counting objects, {} kinds to go", c.counting),
        Some(ProjectCatalog {
            count_error: Some(error),
            ..
        }) => format!("some counts are missing: {error}"),
        _ => "all objects counted".to_string(),
    }
}

/// One project's row; its total is marked as partial while kinds are still being counted.
fn project_row(project: &ProjectSummary, chosen: bool, counting: usize) -> Row<'static> {
    let counts: Vec<String> = project
        .counts
        .iter()
        .map(|(kind, n)| format!("{n} {kind}"))
        .collect();
    let total = match counting {
        0 => project.total().to_string(),
        _ => format!("{}…", project.total()),
    };
    Row::new(vec![
        Cell::from(if chosen { "[x]" } else { "[ ]" }),
        Cell::from(project.name.clone()),
        Cell::from(project.display_name.clone()),
        Cell::from(total),
        Cell::from(counts.join(", ")),
    ])
    .style(if chosen {
        Style::new().fg(Color::Green)
    } else {
        Style::new()
    })
}

fn draw_kind_list(frame: &mut Frame, area: Rect, picker: &ProjectPicker) {
    let kinds = picker.kinds();
    let rows: Vec<Row> = kinds
        .iter()
        .map(|kind| {
            let excluded = picker.excluded.contains(&kind.key());
            let why = match (excluded, default_exclusion(kind)) {
                (true, Some(why)) => format!("left out: {why}"),
                (true, None) => "left out by you".to_string(),
                (false, Some(why)) => format!("taken, although {why}"),
                (false, None) => String::new(),
            };
            Row::new(vec![
                Cell::from(if excluded { "[ ]" } else { "[x]" }),
                Cell::from(kind.key()),
                Cell::from(why),
            ])
            .style(if excluded {
                Style::new().fg(Color::DarkGray)
            } else {
                Style::new()
            })
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(3),
            Constraint::Length(40),
            Constraint::Min(20),
        ],
    )
    .header(Row::new(["", "KIND", "WHY"]).style(Style::new().add_modifier(Modifier::BOLD)))
    .row_highlight_style(selected_style())
    .block(Block::bordered().title(format!(
        " Kinds for {}: {} of {} taken ",
        picker.chosen.iter().cloned().collect::<Vec<_>>().join(", "),
        kinds.len() - picker.excluded.len(),
        kinds.len()
    )));
    let mut state = TableState::default().with_selected(Some(picker.kind_cursor));
    frame.render_stateful_widget(table, area, &mut state);
}

pub fn draw_backups(frame: &mut Frame, area: Rect, app: &App) {
    let picker = &app.backup_picker;
    let [title, name, body] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(3),
        Constraint::Min(5),
    ])
    .areas(area);
    frame.render_widget(
        Paragraph::new(super::title_bar("Project restore".into())),
        title,
    );
    let mut input = picker.rename.clone();
    input.set_block(Block::bordered().title(if picker.editing_name {
        " Restore as (Enter when done) "
    } else {
        " Restore as (n to change) "
    }));
    if !picker.editing_name {
        input.set_cursor_style(Style::new());
    }
    frame.render_widget(&input, name);
    let Some(entries) = &picker.entries else {
        return waiting(frame, body, " Exports ", picker.error.as_ref(), "exports");
    };
    if entries.is_empty() {
        frame.render_widget(
            Paragraph::new("No project export in the backups directory yet: run Project export first, or `lifeboat project restore --from DIR`.")
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(" Exports ")),
            body,
        );
        return;
    }
    let rows: Vec<Row> = entries
        .iter()
        .map(|entry| {
            Row::new(vec![
                entry.namespace.clone(),
                entry
                    .created
                    .chars()
                    .take(19)
                    .collect::<String>()
                    .replace('T', " "),
                entry.objects.to_string(),
                if entry.secrets { "yes" } else { "no" }.to_string(),
                entry.path.display().to_string(),
            ])
        })
        .collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(16),
            Constraint::Length(20),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Min(20),
        ],
    )
    .header(
        Row::new(["PROJECT", "EXPORTED (UTC)", "OBJECTS", "SECRETS", "FOLDER"])
            .style(Style::new().add_modifier(Modifier::BOLD)),
    )
    .row_highlight_style(selected_style())
    .block(Block::bordered().title(Line::from(vec![
        Span::raw(" Exports "),
        Span::styled(
            if picker.preview {
                "· server dry run first: on (p) "
            } else {
                "· server dry run first: off (p) "
            },
            Style::new().fg(Color::Cyan),
        ),
    ])));
    let mut state = TableState::default().with_selected(Some(picker.cursor));
    frame.render_stateful_widget(table, body, &mut state);
}
