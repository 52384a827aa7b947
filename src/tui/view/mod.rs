//! Drawing: pure functions of the [`App`] state.

mod appdata;
mod dashboard;
mod form;
mod format;
mod help;
mod message;
mod palette;
mod pickers;
mod preview;
mod results;
mod snapshot;
mod summary;
mod welcome;
mod wizard;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, Screen};

pub fn draw(frame: &mut Frame, app: &App) {
    let [body, notice, footer] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    match app.screen {
        Screen::Welcome => welcome::draw(frame, body, app),
        Screen::Dashboard => dashboard::draw(frame, body, app),
        Screen::Wizard => wizard::draw(frame, body, app),
        Screen::AppData => appdata::draw(frame, body, app),
        Screen::ProjectPicker => pickers::draw_projects(frame, body, app),
        Screen::BackupPicker => pickers::draw_backups(frame, body, app),
        Screen::SnapshotBrowser => snapshot::draw(frame, body, app),
        Screen::Form => form::draw(frame, body, app),
    }
    if let Some(text) = &app.notice {
        frame.render_widget(
            Paragraph::new(text.as_str()).style(Style::new().fg(Color::Yellow)),
            notice,
        );
    }
    draw_footer(frame, footer, app);
    if let Some(palette) = &app.palette {
        palette::draw(frame, body, palette);
    }
    if let Some(message) = &app.message {
        message::draw(frame, body, message);
    }
    if app.help_open {
        help::draw(frame, frame.area());
    }
}

/// The top line of every screen: the lifeboat badge, then what the screen shows.
pub(crate) fn title_bar(text: String) -> Line<'static> {
    title_bar_in(text, crate::config::current().readonly.value)
}

/// The title bar, with a READ-ONLY badge beside lifeboat's when read-only mode is on, so that
/// nobody wonders on any screen why a step will be refused.
fn title_bar_in(text: String, readonly: bool) -> Line<'static> {
    let mut spans = vec![Span::styled(
        " lifeboat ",
        Style::new()
            .fg(Color::Black)
            .bg(Color::Cyan)
            .add_modifier(Modifier::BOLD),
    )];
    if readonly {
        spans.push(Span::styled(
            " READ-ONLY ",
            Style::new()
                .fg(Color::Black)
                .bg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
    }
    spans.push(Span::raw(format!(" {text}")));
    Line::from(spans)
}

/// Every key that works on the current screen, always visible.
/// The keys of what is on screen: a table, one row per state.
fn footer_keys(app: &App) -> &'static [(&'static str, &'static str)] {
    if app.help_open {
        &[("Esc", "close help")]
    } else if app.message.is_some() {
        &[("1-9", "open what is offered"), ("Esc", "back")]
    } else if app.palette.is_some() {
        &[
            ("type", "filter"),
            ("↑↓", "select"),
            ("Enter", "open"),
            ("Esc", "close"),
        ]
    } else if app.member_detail {
        &[("r", "replace (when down)"), ("Esc", "back to the table")]
    } else {
        match app.screen {
            Screen::Welcome => &[("?", "help"), ("q", "quit")],
            Screen::Form => &[
                ("Tab/S-Tab", "next/previous"),
                ("←→", "choose"),
                ("C-u", "clear"),
                ("Enter", "next, then plan"),
                ("Esc", "back"),
            ],
            Screen::Dashboard if app.focus == crate::tui::app::Focus::Members => &[
                ("↑↓", "select member"),
                ("Enter", "details and actions"),
                ("Tab", "to procedures"),
                (":", "palette"),
                ("?", "help"),
                ("q", "quit"),
            ],
            Screen::Dashboard => &[
                ("↑↓", "select"),
                ("Enter", "open procedure"),
                (":", "palette"),
                ("Tab", "members"),
                ("a", "app data"),
                ("r", "refresh"),
                ("u", "URLs"),
                ("+/-", "rate"),
                ("?", "help"),
                ("q", "quit"),
            ],
            Screen::AppData => &[
                ("↑↓", "select"),
                ("Space", "tick volume"),
                ("b", "back up"),
                ("R", "restore newest"),
                ("r", "reload"),
                ("Esc", "back"),
            ],
            Screen::ProjectPicker if app.project_picker.stage == crate::tui::PickerStage::Kinds => {
                &[
                    ("↑↓", "select"),
                    ("Space", "take/leave kind"),
                    ("Enter", "export"),
                    ("Esc", "back to projects"),
                ]
            }
            Screen::ProjectPicker => &[
                ("type", "filter"),
                ("↑↓", "select"),
                ("Space", "choose"),
                ("Enter", "kinds"),
                ("Esc", "clear filter / back"),
            ],
            Screen::BackupPicker if app.backup_picker.editing_name => {
                &[("type", "new project name"), ("Enter", "done")]
            }
            Screen::SnapshotBrowser => &[("↑↓", "select"), ("Enter", "open"), ("Esc", "back")],
            Screen::BackupPicker => &[
                ("↑↓", "select"),
                ("n", "restore as"),
                ("p", "dry run first"),
                ("Enter", "restore"),
                ("Esc", "back"),
            ],
            Screen::Wizard if app.wizard.as_ref().is_some_and(|w| w.previewing) => &[
                ("Enter", "run"),
                ("↑↓", "read step"),
                ("Esc", "back to the form"),
                ("?", "help"),
            ],
            Screen::Wizard if app.wizard.as_ref().is_some_and(|w| w.finished.is_some()) => &[
                ("l", "summary / steps"),
                ("↑↓", "view step"),
                ("Esc", "dashboard"),
                (":", "palette"),
            ],
            Screen::Wizard
                if app.wizard.as_ref().is_some_and(|w| {
                    w.pending
                        .as_ref()
                        .is_some_and(|r| r.step.risk == crate::plan::Risk::Destructive)
                }) =>
            {
                &[
                    ("y", "run this destructive step"),
                    ("s", "skip"),
                    ("a", "abort"),
                    ("↑↓", "view step"),
                    ("Esc", "back"),
                    ("?", "help"),
                ]
            }
            Screen::Wizard => {
                if app.wizard.as_ref().is_some_and(|w| w.pending.is_some()) {
                    &[
                        ("y", "run step"),
                        ("n", "run to next destructive"),
                        ("s", "skip"),
                        ("a", "abort"),
                        ("↑↓", "view step"),
                        ("Esc", "back"),
                        ("?", "help"),
                    ]
                } else {
                    &[
                        ("↑↓", "view step"),
                        ("Esc", "back to dashboard"),
                        ("?", "help"),
                        ("q", "back"),
                    ]
                }
            }
        }
    }
}

fn draw_footer(frame: &mut Frame, area: Rect, app: &App) {
    let keys = footer_keys(app);
    let key_style = Style::new()
        .fg(Color::Black)
        .bg(Color::Cyan)
        .add_modifier(Modifier::BOLD);
    let spans: Vec<Span> = keys
        .iter()
        .flat_map(|(key, what)| {
            [
                Span::styled(format!(" {key} "), key_style),
                Span::raw(format!(" {what}  ")),
            ]
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

#[cfg(test)]
mod readonly_title_tests {
    fn text(line: &ratatui::text::Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn the_title_bar_says_read_only_when_it_is() {
        let on = super::title_bar_in("Dashboard".into(), true);
        assert_eq!(text(&on), " lifeboat  READ-ONLY  Dashboard");
        let off = super::title_bar_in("Dashboard".into(), false);
        assert_eq!(text(&off), " lifeboat  Dashboard");
    }
}
