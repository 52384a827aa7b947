//! The guided procedures carried out in a real terminal by keys alone, against real etcd: the
//! drill of the issue (a member lost with its disk, replaced from the palette, joined from
//! the new host's side), and a restore of a bundle picked from the list.

mod common;

use common::tmux::Tmux;
use common::{Sandbox, free_port_pair, have, text};

const KEYS: [(&str, &str); 3] = [
    ("/registry/namespaces/default", "ns"),
    ("/registry/configmaps/demo/a", "alpha"),
    ("/registry/secrets/demo/s", "secret"),
];

/// lifeboat in tmux against the sandbox, with its backups and transcript in the test's home.
fn open_lifeboat(sandbox: &Sandbox, name: &str) -> Tmux {
    let home = sandbox.lifeboat.home.path();
    let mut env = sandbox.env();
    env.push(("HOME".into(), home.display().to_string()));
    env.push((
        "XDG_STATE_HOME".into(),
        home.join("state").display().to_string(),
    ));
    env.push((
        "XDG_DATA_HOME".into(),
        home.join("data").display().to_string(),
    ));
    Tmux::start(name, &env, env!("CARGO_BIN_EXE_lifeboat"), (160, 48))
}

/// Replaces the port the form proposes with `port`.
fn retype(tmux: &Tmux, value: &str) {
    tmux.keys(&["BSpace"; 6]);
    tmux.type_text(value);
}

#[test]
fn a_lost_member_is_replaced_and_joined_by_keys_alone() {
    if !have("etcd") || !have("tmux") {
        return;
    }
    let sandbox = Sandbox::up(3);
    for (key, value) in KEYS {
        let put = sandbox.etcdctl(&["put", key, value]);
        assert!(put.status.success(), "{}", text(&put));
    }
    let killed = sandbox.sandbox(&["kill", "--member", "etcd-3", "--wipe"]);
    assert!(killed.status.success(), "{}", text(&killed));

    let tmux = open_lifeboat(&sandbox, "replace");
    tmux.wait_for("DOWN", 30);
    // The palette opens the replace form with the member that is down chosen.
    tmux.keys(&[":"]);
    tmux.type_text("replace");
    tmux.keys(&["Enter"]);
    let form = tmux.wait_for("etcd-3 is down: it is chosen below", 10);
    assert!(form.contains("◀ etcd-3 ("), "{form}");
    let (client_port, peer_port) = free_port_pair();
    tmux.keys(&["Tab", "Tab"]);
    tmux.type_text("127.0.0.1");
    tmux.keys(&["Tab"]);
    retype(&tmux, &client_port.to_string());
    tmux.keys(&["Tab"]);
    retype(&tmux, &peer_port.to_string());
    tmux.wait_for(
        &format!("--client-port {client_port} --peer-port {peer_port}"),
        5,
    );
    tmux.keys(&["Enter"; 6]);
    let preview = tmux.wait_for("the plan, before anything runs", 20);
    assert!(preview.contains("1 destructive"), "{preview}");
    tmux.keys(&["Enter"]);
    let summary = tmux.run_plan_to_summary(90);
    assert!(summary.contains("Done:"), "{summary}");
    assert!(
        summary.contains("etcd-new.tgz") || summary.contains("etcd-4.tgz"),
        "{summary}"
    );
    assert!(
        summary.contains("lifeboat member join --bundle"),
        "{summary}"
    );

    // The new host's side: the join form finds the bundle the replacement wrote.
    tmux.keys(&["Escape", ":"]);
    tmux.type_text("join");
    tmux.keys(&["Enter"]);
    let form = tmux.wait_for("Join this host as the new member", 10);
    assert!(
        form.contains("etcd-4.tgz"),
        "the bundle is proposed:\n{form}"
    );
    assert!(form.contains("process cluster's supervisor"), "{form}");
    tmux.keys(&["Enter"; 4]);
    tmux.wait_for("the plan, before anything runs", 20);
    tmux.keys(&["Enter"]);
    let summary = tmux.run_plan_to_summary(180);
    assert!(summary.contains("Done:"), "{summary}");

    let health = sandbox.etcdctl(&["endpoint", "health", "--cluster"]);
    let report = text(&health);
    assert!(health.status.success(), "{report}");
    assert_eq!(report.matches("is healthy").count(), 3, "{report}");
    let served = std::process::Command::new("etcdctl")
        .envs(sandbox.env())
        .env(
            "ETCDCTL_ENDPOINTS",
            format!("https://127.0.0.1:{client_port}"),
        )
        .args(["get", "--prefix", "/registry", "--consistency=s"])
        .output()
        .expect("etcdctl runs");
    let keys = text(&served);
    for (key, value) in KEYS {
        assert!(
            keys.contains(&format!("{key}\n{value}\n")),
            "{key} missing:\n{keys}"
        );
    }
}
