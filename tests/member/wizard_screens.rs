//! The member wizards as a person sees them, on ratatui's TestBackend.

use lifeboat::connection::{ConnectionSettings, Endpoints, Source};
use lifeboat::etcd::MemberInfo;
use lifeboat::facts::EtcdConf;
use lifeboat::plan::Plan;
use lifeboat::procedures::{
    Firewall, JoinManifest, JoinPath, JoinStart, MemberJoinFacts, MemberReplaceFacts, NewHost,
    plan_member_join, plan_member_replace,
};
use lifeboat::run::{ConfirmRequest, RunEvent, StepOutcome};
use lifeboat::tui::{App, Msg, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn member(i: u64) -> MemberInfo {
    MemberInfo {
        id: 0x1000 + i,
        name: format!("etcd-{i}"),
        peer_urls: vec![format!("https://10.0.0.{i}:2380")],
        client_urls: vec![format!("https://10.0.0.{i}:2379")],
        is_learner: false,
    }
}

fn connection() -> ConnectionSettings {
    ConnectionSettings {
        target: Endpoints {
            endpoints: vec!["https://10.0.0.1:2379".into()],
            cacert: Some("/etc/etcd/ca.crt".into()),
            cert: Some("/etc/etcd/peer.crt".into()),
            key: Some("/etc/etcd/peer.key".into()),
        },
        source: Source::EtcdConf("/etc/etcd/etcd.conf".into()),
    }
}

fn render(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(130, 40)).expect("test terminal");
    terminal
        .draw(|frame| view::draw(frame, app))
        .expect("draws");
    let buffer = terminal.backend().buffer();
    let width = usize::from(buffer.area.width);
    buffer
        .content
        .chunks(width)
        .map(|row| {
            row.iter()
                .map(|c| c.symbol())
                .collect::<String>()
                .trim_end()
                .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn wizard(plan: Plan) -> App {
    let at = jiff::Timestamp::from_second(1_790_000_000).expect("time");
    let mut app = App::new(Some(connection()), at);
    update(&mut app, Msg::PlanReady(plan));
    app
}

#[test]
fn replace_wizard_asks_before_removing_the_failed_member() {
    let plan = plan_member_replace(&MemberReplaceFacts {
        connection: connection(),
        members: (1..=3).map(member).collect(),
        healthy: vec![0x1001, 0x1002],
        db_size: 24 * 1000 * 1000,
        failed: member(3),
        failed_removed: false,
        new_name: "etcd-4".into(),
        new_host: NewHost::parse("10.0.0.14").expect("ip"),
        client_port: 2379,
        peer_port: 2380,
        out: "/root/join".into(),
        ca_dir: "/etc/etcd/ca".into(),
        template: EtcdConf::parse("ETCD_NAME=etcd-1\n"),
        template_path: "/etc/etcd/etcd.conf".into(),
        learner_threshold: 700_000_000,
        datadir_backup: None,
    })
    .expect("plans");
    let mut app = wizard(plan.clone());
    // Everything up to the packed bundle runs before the cluster is changed.
    for index in 0..6 {
        update(&mut app, Msg::Run(RunEvent::StepStarted { index }));
        update(
            &mut app,
            Msg::Run(RunEvent::StepFinished {
                index,
                outcome: StepOutcome::Succeeded {
                    summary: "done".into(),
                },
            }),
        );
    }
    let (request, _answer) = ConfirmRequest::new(6, plan.steps[6].clone());
    update(&mut app, Msg::Confirm(Box::new(request)));
    let frame = render(&app);
    assert!(
        frame.contains("Run step 7 \"Remove the failed member etcd-3\" (destructive)?"),
        "{frame}"
    );
    assert!(frame.contains("member remove 1003"), "{frame}");
    insta::assert_snapshot!(frame);
}

#[test]
fn join_wizard_shows_the_catch_up_gauge() {
    let plan = plan_member_join(&MemberJoinFacts {
        bundle: "/etc/etcd/etcd-4.tgz".into(),
        manifest: JoinManifest {
            format: 1,
            name: "etcd-4".into(),
            client_url: "https://10.0.0.14:2379".into(),
            peer_url: "https://10.0.0.14:2380".into(),
            cluster_client_urls: vec![
                "https://10.0.0.1:2379".into(),
                "https://10.0.0.2:2379".into(),
            ],
            path: JoinPath::Learner,
            conf_dir: "/etc/etcd".into(),
            replaces: vec!["etcd-3".into()],
            with_data: false,
        },
        conf: EtcdConf::parse("ETCD_NAME=etcd-4\nETCD_DATA_DIR=/var/lib/etcd\n"),
        etc_dir: "/etc/etcd".into(),
        data_dir_override: None,
        start: JoinStart::Systemd,
        firewall: Firewall::NotInstalled,
        stale_member_dir: false,
        etcd_user: true,
        wait_timeout_secs: 300,
    });
    let wait = plan
        .steps
        .iter()
        .position(|s| s.title.starts_with("Wait until"))
        .expect("wait step");
    let mut app = wizard(plan);
    update(&mut app, Msg::Run(RunEvent::StepStarted { index: wait }));
    update(
        &mut app,
        Msg::Run(RunEvent::CatchUp {
            index: wait,
            applied: 9_120,
            leader: 12_160,
        }),
    );
    let frame = render(&app);
    assert!(
        frame.contains("applied raft index 9120 of the leader's 12160 (75%)"),
        "{frame}"
    );
    insta::assert_snapshot!(frame);
}
