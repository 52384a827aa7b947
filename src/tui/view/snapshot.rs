//! The cluster backup browser: the backups that hold a snapshot, then one backup's projects
//! with their object counts and how each differs from the live cluster.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Paragraph, Row, Table, TableState, Wrap};

use crate::tui::app::App;
use crate::tui::snapshot_browser::BrowseStage;

fn note(frame: &mut Frame, area: Rect, title: &str, text: Line<'_>) {
    frame.render_widget(
        Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .block(Block::bordered().title(title.to_string())),
        area,
    );
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let browser = &app.snapshot_browser;
    let [title, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(5)]).areas(area);
    frame.render_widget(
        Paragraph::new(super::title_bar("Browse a cluster backup".into())),
        title,
    );
    if let Some(error) = &browser.error {
        let line = Line::styled(
            format!("Cannot read it: {error}"),
            Style::new().fg(Color::Red),
        );
        return note(frame, body, " Cluster backups ", line);
    }
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let table = match browser.stage {
        BrowseStage::Bundles => {
            let Some(bundles) = &browser.bundles else {
                return note(
                    frame,
                    body,
                    " Cluster backups ",
                    Line::raw("Looking for cluster backups ..."),
                );
            };
            if bundles.is_empty() {
                let text = "No cluster backup with an etcd snapshot in the backups directory: take one first (Cluster backup), or run `lifeboat snapshot ls FILE` on a .db file or a stopped member's data directory.";
                return note(frame, body, " Cluster backups ", Line::raw(text));
            }
            let rows = bundles.iter().map(|b| {
                Row::new(vec![
                    b.created
                        .chars()
                        .take(19)
                        .collect::<String>()
                        .replace('T', " "),
                    b.revision.map_or("?".into(), |r| r.to_string()),
                    b.path.display().to_string(),
                ])
            });
            Table::new(
                rows,
                [
                    Constraint::Length(20),
                    Constraint::Length(10),
                    Constraint::Min(20),
                ],
            )
            .header(Row::new(["TAKEN (UTC)", "REVISION", "FOLDER"]).style(bold))
            .block(Block::bordered().title(" Cluster backups: pick one to see its projects "))
        }
        BrowseStage::Projects => {
            let Some(projects) = &browser.projects else {
                let reading = "Reading the projects out of the snapshot, and comparing them with the live cluster ...";
                return note(frame, body, " Projects ", Line::raw(reading));
            };
            let rows = projects.iter().map(|p| {
                Row::new(vec![
                    p.namespace.clone(),
                    p.objects.to_string(),
                    p.live.clone(),
                    p.kinds.clone(),
                ])
            });
            let source = browser
                .bundle
                .as_ref()
                .map(|b| b.display().to_string())
                .unwrap_or_default();
            Table::new(
                rows,
                [
                    Constraint::Length(20),
                    Constraint::Length(8),
                    Constraint::Length(30),
                    Constraint::Min(20),
                ],
            )
            .header(
                Row::new(["PROJECT", "OBJECTS", "AGAINST THE LIVE CLUSTER", "KINDS"]).style(bold),
            )
            .block(Block::bordered().title(format!(
                " Projects in {source}: Enter brings one back (dry run first) "
            )))
        }
    };
    let table = table.row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::default().with_selected(Some(browser.cursor));
    frame.render_stateful_widget(table, body, &mut state);
}
