//! lifeboat against real etcd: a 3-member TLS sandbox, the health check headless, and the
//! faults an engineer meets (a dead member, wrong certificates, a running sandbox, no etcd).

mod common;

use common::{Sandbox, have, path, text};

#[test]
fn sandbox_serves_plain_etcdctl_over_tls_and_health_check_passes() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(3);

    let env = sandbox.env();
    let endpoints = env
        .iter()
        .find(|(k, _)| k == "ETCDCTL_ENDPOINTS")
        .map(|(_, v)| v.clone());
    let endpoints = endpoints.expect("ETCDCTL_ENDPOINTS exported");
    assert_eq!(
        endpoints.matches("https://127.0.0.1:").count(),
        3,
        "{endpoints}"
    );

    let health = sandbox.etcdctl(&["endpoint", "health", "--cluster"]);
    let report = text(&health);
    assert!(health.status.success(), "{report}");
    assert_eq!(report.matches("is healthy").count(), 3, "{report}");

    let members = sandbox.etcdctl(&["member", "list"]);
    for name in ["etcd-1", "etcd-2", "etcd-3"] {
        assert!(text(&members).contains(name), "{}", text(&members));
    }

    let run = sandbox.lifeboat(&["run", "health-check", "--yes"]);
    let report = text(&run);
    assert!(run.status.success(), "{report}");
    assert!(report.contains("3 members, all started"), "{report}");
    assert!(
        report.contains("3 endpoints healthy, one leader"),
        "{report}"
    );
    assert!(report.contains("All steps done."), "{report}");

    let transcript =
        std::fs::read_to_string(sandbox.lifeboat.transcript()).expect("transcript written");
    let records: Vec<serde_json::Value> = transcript
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect();
    assert_eq!(records.len(), 4, "{transcript}");
    assert!(
        records.iter().all(|r| r["outcome"] == "succeeded"),
        "{transcript}"
    );
    assert_eq!(records[3]["exit_code"], 0);
}

#[test]
fn a_killed_member_fails_the_health_check_at_the_status_step() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(3);
    let kill = sandbox.sandbox(&["kill", "--member", "etcd-3"]);
    assert!(kill.status.success(), "{}", text(&kill));

    let run = sandbox.lifeboat(&["run", "health-check", "--yes"]);
    let report = text(&run);
    assert_eq!(run.status.code(), Some(1), "{report}");
    assert!(report.contains("✓ 3 members, all started"), "{report}");
    assert!(
        report.contains("Ask every member for its status failed: unreachable"),
        "{report}"
    );
    assert!(report.contains("What now:"), "{report}");
    assert!(
        !report.contains("Check for alarms ["),
        "no step after the failure runs:\n{report}"
    );

    // The drill's other half: the member comes back and the cluster is whole again.
    let start = sandbox.sandbox(&["start", "--member", "etcd-3"]);
    assert!(start.status.success(), "{}", text(&start));
    let run = sandbox.lifeboat(&["run", "health-check", "--yes"]);
    assert!(run.status.success(), "{}", text(&run));
}

#[test]
fn dry_run_and_plan_show_commands_without_running_them() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let dry = sandbox.lifeboat(&["run", "health-check", "--dry-run"]);
    let report = text(&dry);
    assert!(dry.status.success(), "{report}");
    assert!(report.contains("would run:"), "{report}");
    assert!(report.contains("endpoint health --cluster"), "{report}");
    assert!(
        !sandbox.lifeboat.transcript().exists(),
        "a dry run executes nothing, so records nothing"
    );

    let plan = sandbox.lifeboat(&["plan", "health-check"]);
    let runbook = String::from_utf8_lossy(&plan.stdout);
    assert!(plan.status.success(), "{}", text(&plan));
    assert!(runbook.starts_with("# etcd health check\n"), "{runbook}");
    assert!(
        runbook.contains("## 4. Cross-check with etcdctl"),
        "{runbook}"
    );
    assert!(
        runbook.contains("ETCDCTL_API=3 ETCDCTL_ENDPOINTS=https://127.0.0.1:"),
        "{runbook}"
    );
}

#[test]
fn confirmation_is_required_without_a_terminal() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let run = sandbox.lifeboat(&["run", "health-check"]);
    let report = text(&run);
    assert!(!run.status.success());
    assert!(
        report.contains("Pass --yes to run every step, or --dry-run"),
        "{report}"
    );
    assert!(
        !report.contains("Location:"),
        "expected errors carry no traceback:\n{report}"
    );
}

#[test]
fn faults_give_one_clear_message_each() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);

    // A sandbox directory that already holds a running sandbox.
    let again = sandbox.sandbox(&["up", "--members", "1"]);
    assert!(!again.status.success());
    assert!(text(&again).contains("already running"), "{}", text(&again));
    assert!(text(&again).contains("sandbox down"), "{}", text(&again));

    // Certificates that the servers do not trust: a CA of another sandbox.
    let other = Sandbox::up(1);
    let other_ca = other.dir.join("ca/ca.crt");
    let mut wrong = sandbox.lifeboat.command();
    wrong.envs(sandbox.env()).env("ETCDCTL_CACERT", &other_ca);
    let output = wrong
        .args(["run", "health-check", "--yes"])
        .output()
        .expect("runs");
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains("TLS handshake failed") || report.contains("certificate"),
        "{report}"
    );

    // An endpoint where nothing listens.
    let output = sandbox.lifeboat.run(&[
        "--endpoints",
        "http://127.0.0.1:1",
        "run",
        "health-check",
        "--yes",
    ]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("check the endpoint address"), "{report}");

    // A missing file.
    let output = sandbox.lifeboat.run(&[
        "--endpoints",
        "https://127.0.0.1:1",
        "--cacert",
        "/nonexistent/ca.crt",
        "run",
        "health-check",
        "--yes",
    ]);
    assert!(
        text(&output).contains("cannot read CA certificate /nonexistent/ca.crt"),
        "{}",
        text(&output)
    );
}

#[test]
fn sandbox_up_without_etcd_says_how_to_install_it() {
    let lifeboat = common::Lifeboat::new();
    let dir = lifeboat.home.path().join("sb");
    let output = lifeboat
        .sandbox_command()
        .env("PATH", "/nonexistent")
        .args(["up", "--dir", path(&dir)])
        .output()
        .expect("runs");
    assert!(!output.status.success());
    assert!(
        text(&output).contains("apt-get install etcd-server"),
        "{}",
        text(&output)
    );
}

#[test]
fn nothing_configured_says_what_to_configure() {
    let lifeboat = common::Lifeboat::new();
    let output = lifeboat.run(&["run", "health-check", "--yes"]);
    assert!(!output.status.success());
    assert!(
        text(&output).contains("no etcd cluster is configured"),
        "{}",
        text(&output)
    );
}

#[test]
fn profiles_remember_a_connection() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let save = sandbox.lifeboat(&["profile", "save", "rehearsal"]);
    assert!(save.status.success(), "{}", text(&save));
    // Without the variables, the profile alone reaches the cluster.
    let run = sandbox
        .lifeboat
        .run(&["--profile", "rehearsal", "run", "health-check", "--yes"]);
    assert!(run.status.success(), "{}", text(&run));
    assert!(text(&run).contains("1 member, started"), "{}", text(&run));
}

#[test]
fn a_port_taken_while_the_sandbox_was_down_is_explained() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let down = sandbox.sandbox(&["down"]);
    assert!(down.status.success(), "{}", text(&down));
    let env = sandbox.env();
    let endpoint = &env
        .iter()
        .find(|(k, _)| k == "ETCDCTL_ENDPOINTS")
        .expect("endpoints")
        .1;
    let port = endpoint.rsplit(':').next().expect("a port");
    // Another program takes the member's client port before the sandbox comes back.
    let _squatter =
        std::net::TcpListener::bind(format!("127.0.0.1:{port}")).expect("port is free while down");
    let again = sandbox.sandbox(&["up"]);
    let report = text(&again);
    assert!(!again.status.success(), "{report}");
    assert!(report.contains("did not become healthy"), "{report}");
    assert!(report.contains("address already in use"), "{report}");
    assert!(
        report.contains("Another program took one of its ports"),
        "{report}"
    );
}

#[test]
fn an_endpoint_that_accepts_but_never_answers_is_reported_not_waited_on() {
    if !have("etcd") {
        return;
    }
    // A listener that accepts connections and never says a word: a hung member.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("binds");
    let port = silent.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in silent.incoming().flatten() {
            held.push(stream);
        }
    });
    let sandbox = Sandbox::up(1);
    let env = sandbox.env();
    let live = &env
        .iter()
        .find(|(k, _)| k == "ETCDCTL_ENDPOINTS")
        .expect("endpoints")
        .1;
    let endpoints = format!("{live},https://127.0.0.1:{port}");
    let output = sandbox
        .lifeboat
        .command()
        .envs(env.iter().cloned())
        .env("ETCDCTL_ENDPOINTS", &endpoints)
        .args(["run", "health-check", "--yes"])
        .output()
        .expect("runs");
    let report = text(&output);
    // The live member answers the member list; the hung endpoint is not a member, so the
    // status step asks the members only, and the plan completes.
    assert!(report.contains("✓ 1 member, started"), "{report}");
    assert!(output.status.success(), "{report}");

    // With only the hung endpoint, every call gives up after its timeout with a clear reason.
    let output = sandbox.lifeboat.run(&[
        "--endpoints",
        &format!("http://127.0.0.1:{port}"),
        "run",
        "health-check",
        "--yes",
    ]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("no answer within 3s"), "{report}");
}

/// `lifeboat status --output json` against the sandbox, parsed.
fn status_json(sandbox: &Sandbox) -> (Option<i32>, serde_json::Value) {
    let output = sandbox.lifeboat(&["status", "--output", "json"]);
    let json =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&output)));
    (output.status.code(), json)
}

#[test]
fn status_reports_health_degradation_and_lost_quorum_with_exit_codes() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(3);
    let (code, json) = status_json(&sandbox);
    assert_eq!(code, Some(0), "{json:#}");
    assert_eq!(json["verdict"], "healthy");
    let members = json["members"].as_array().expect("members");
    assert_eq!(members.len(), 3, "{json:#}");
    assert_eq!(
        members.iter().filter(|m| m["is_leader"] == true).count(),
        1,
        "{json:#}"
    );
    assert!(
        members
            .iter()
            .all(|m| m["status"]["db_size"].as_i64().is_some_and(|s| s > 0)),
        "{json:#}"
    );
    assert_eq!(json["quorum"]["tolerance_now"], 1);
    assert_eq!(json["size"]["level"], "fine");
    let certificates = json["certificates"].as_array().expect("certificates");
    assert!(
        certificates
            .iter()
            .any(|c| c["subject"] == "CN=etcd-1" && c["days_left"].as_i64() > Some(300)),
        "{json:#}"
    );
    // `sandbox env` exports the emulated API server's kubeconfig, so the summary reaches it.
    assert_eq!(json["kubernetes"]["state"], "reachable", "{json:#}");
    assert!(
        json["kubernetes"]["projects"].as_u64() > Some(2),
        "{json:#}"
    );

    let kill = sandbox.sandbox(&["kill", "--member", "etcd-3"]);
    assert!(kill.status.success(), "{}", text(&kill));
    let (code, json) = status_json(&sandbox);
    assert_eq!(code, Some(1), "{json:#}");
    assert_eq!(json["verdict"], "degraded");
    assert_eq!(json["quorum"]["tolerance_now"], 0);
    let down: Vec<_> = json["members"]
        .as_array()
        .expect("members")
        .iter()
        .filter(|m| m["healthy"] == false)
        .map(|m| m["name"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(down, ["etcd-3"], "{json:#}");

    let table = sandbox.lifeboat(&["status"]);
    assert_eq!(table.status.code(), Some(1));
    assert!(
        text(&table).contains("ONE MORE FAILURE LOSES QUORUM"),
        "{}",
        text(&table)
    );

    let kill = sandbox.sandbox(&["kill", "--member", "etcd-2"]);
    assert!(kill.status.success(), "{}", text(&kill));
    let (code, json) = status_json(&sandbox);
    assert_eq!(code, Some(2), "{json:#}");
    assert_eq!(json["verdict"], "quorum-lost");
}

#[test]
fn an_unreachable_kubernetes_api_is_one_line_not_a_failure() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let kubeconfig = sandbox.dir.join("unreachable-kubeconfig");
    std::fs::write(
        &kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n\
         contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n",
    )
    .expect("writes");
    let output = sandbox
        .lifeboat
        .command()
        .envs(sandbox.env())
        .env("KUBECONFIG", &kubeconfig)
        .args(["status", "--output", "json"])
        .output()
        .expect("runs");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).expect("json");
    assert_eq!(
        output.status.code(),
        Some(0),
        "etcd is healthy whatever Kubernetes says: {json:#}"
    );
    assert_eq!(json["kubernetes"]["state"], "unreachable", "{json:#}");
    assert!(
        json["kubernetes"]["error"]
            .as_str()
            .is_some_and(|e| e.contains("127.0.0.1:1")),
        "{json:#}"
    );
}
