//! Hand-made cluster states and a TestBackend renderer for the TUI's screen tests.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lifeboat::connection::{ConnectionSettings, Endpoints, Source};
use lifeboat::etcd::{Alarm, ClusterSnapshot, EndpointReport, EndpointStatus, MemberInfo};
use lifeboat::facts::certs::{CertFile, CertInfo};
use lifeboat::facts::host::{DiskSpace, EtcdRuntime, HostFacts};
use lifeboat::health::{DEFAULT_QUOTA, MEMBER_ADD_THRESHOLD, assemble};
use lifeboat::kube::KubeSummary;
use lifeboat::tui::{App, Msg, update, view};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

pub fn at(seconds: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_second(1_790_000_000 + seconds).expect("valid time")
}

pub fn connection() -> ConnectionSettings {
    ConnectionSettings {
        target: Endpoints {
            endpoints: (1..=3)
                .map(|i| format!("https://10.0.0.{i}:2379"))
                .collect(),
            cacert: Some("/etc/etcd/ca.crt".into()),
            cert: Some("/etc/etcd/peer.crt".into()),
            key: Some("/etc/etcd/peer.key".into()),
        },
        source: Source::EtcdConf("/etc/etcd/etcd.conf".into()),
    }
}

pub fn member(i: u64) -> MemberInfo {
    MemberInfo {
        id: 0x1000 + i,
        name: format!("etcd-{i}"),
        peer_urls: vec![format!("https://10.0.0.{i}:2380")],
        client_urls: vec![format!("https://10.0.0.{i}:2379")],
        is_learner: false,
    }
}

pub fn status(i: u64) -> EndpointReport {
    EndpointReport {
        endpoint: format!("https://10.0.0.{i}:2379"),
        result: Ok(EndpointStatus {
            member_id: 0x1000 + i,
            cluster_id: 0xc1,
            version: "3.4.23".into(),
            db_size: 24 * 1024 * 1024 + i as i64 * 4096,
            db_size_in_use: 20 * 1024 * 1024,
            leader: 0x1001,
            raft_term: 4,
            raft_index: 1200,
            raft_applied_index: 1200,
            revision: 900,
            is_learner: false,
            errors: vec![],
        }),
    }
}

pub fn down(i: u64) -> EndpointReport {
    EndpointReport {
        endpoint: format!("https://10.0.0.{i}:2379"),
        result: Err(format!("https://10.0.0.{i}:2379: no answer within 3s")),
    }
}

pub fn snapshot(reports: Vec<EndpointReport>, alarms: Vec<Alarm>) -> ClusterSnapshot {
    ClusterSnapshot {
        members: Ok((1..=3).map(member).collect()),
        endpoints: reports,
        alarms,
        taken_at: at(0),
    }
}

pub fn app_with(snapshot: Option<ClusterSnapshot>) -> App {
    let mut app = App::new(Some(connection()), at(3));
    if let Some(snapshot) = snapshot {
        let certificates = vec![
            cert("ca.crt", "CN=etcd-signer@1590000000", 1800),
            cert("peer.crt", "CN=master-0", 12),
            cert("server.crt", "CN=master-0", 300),
        ];
        let kube = KubeSummary::NotConfigured {
            reason: "no kubeconfig (KUBECONFIG is unset and ~/.kube/config does not exist)".into(),
        };
        let report = assemble(
            snapshot,
            None,
            certificates,
            host("active"),
            kube,
            DEFAULT_QUOTA,
            MEMBER_ADD_THRESHOLD,
        );
        update(&mut app, Msg::Health(Box::new(report)));
    }
    app
}

pub fn cert(name: &str, subject: &str, days_left: i64) -> CertFile {
    let path = PathBuf::from(format!("/etc/etcd/{name}"));
    CertFile {
        path: path.clone(),
        result: Ok(CertInfo {
            path,
            subject: subject.into(),
            issuer: "CN=etcd-signer@1590000000".into(),
            sans: vec!["IP:10.0.0.1".into(), "DNS:master-0".into()],
            not_after: at(days_left * 86_400),
            days_left,
        }),
    }
}

pub fn host(etcd_state: &str) -> HostFacts {
    HostFacts {
        runtimes: vec![EtcdRuntime::Systemd {
            unit: "etcd".into(),
            state: etcd_state.into(),
        }],
        data_dirs: vec![Ok(DiskSpace {
            path: "/var/lib/etcd".into(),
            free_bytes: 40 * 1024 * 1024 * 1024,
            total_bytes: 100 * 1024 * 1024 * 1024,
        })],
    }
}

pub fn render(app: &App) -> String {
    let mut terminal = Terminal::new(TestBackend::new(130, 40)).expect("test terminal");
    terminal
        .draw(|frame| view::draw(frame, app))
        .expect("draws");
    terminal.backend().to_string()
}

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}
