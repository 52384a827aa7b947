use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use crate::tui::app::App;

pub fn draw(frame: &mut Frame, area: Rect, _app: &App) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let lines = vec![
        Line::from(Span::styled("No etcd cluster is configured.", bold)),
        Line::raw(""),
        Line::raw("lifeboat looked for --endpoints, the ETCDCTL_* variables, a saved profile,"),
        Line::raw("/etc/etcd/etcd.conf and /etc/origin/master/master-config.yaml, and found none."),
        Line::raw(""),
        Line::raw(
            "To rehearse on a local cluster (three real etcd members with TLS), quit and run",
        ),
        Line::from(vec![
            Span::raw("  "),
            Span::styled("make demo", Style::new().fg(Color::Cyan)),
            Span::raw(" in lifeboat's source tree, or "),
            Span::styled("lifeboat-sandbox up", Style::new().fg(Color::Cyan)),
            Span::raw(" and the variables of `lifeboat-sandbox env`."),
        ]),
        Line::raw(""),
        Line::raw("To reach a real cluster, quit and run for example:"),
        Line::raw("  lifeboat --endpoints https://10.0.0.1:2379 --cacert /etc/etcd/ca.crt \\"),
        Line::raw("           --cert /etc/etcd/peer.crt --key /etc/etcd/peer.key"),
    ];
    let block = Block::bordered().title(" lifeboat ");
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block),
        area,
    );
}
