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
    sandbox.lifeboat_in_tmux(name, env!("CARGO_BIN_EXE_lifeboat"))
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
    // From the peer port: four answers more, then Enter on the last plans.
    tmux.keys(&["Enter"; 5]);
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

/// A containerized etcd as OpenShift's etcd_container runs it: the container is up, etcd in it
/// is stopped before a data-dir copy (a running etcd holds its database lock).
fn stopped_etcd_in_a_container(name: &str) -> (common::Container, String) {
    let image = lifeboat_sandbox::ensure_etcd_image().expect("the etcd image builds");
    let docker = |args: &[&str]| {
        let output = std::process::Command::new("docker")
            .args(args)
            .output()
            .expect("docker runs");
        assert!(
            output.status.success(),
            "docker {args:?}: {}",
            text(&output)
        );
    };
    docker(&[
        "run",
        "-d",
        "--name",
        name,
        "--network",
        "host",
        &image,
        "sleep",
        "900",
    ]);
    let container = common::Container(name.to_string());
    let (client_port, peer_port) = free_port_pair();
    let client = format!("http://127.0.0.1:{client_port}");
    let peer = format!("http://127.0.0.1:{peer_port}");
    let start = format!(
        "echo $$ > /tmp/etcd.pid; exec etcd --name etcd0 --data-dir /var/lib/etcd \
         --listen-client-urls {client} --advertise-client-urls {client} --listen-peer-urls {peer} \
         --initial-advertise-peer-urls {peer} --initial-cluster etcd0={peer}"
    );
    docker(&["exec", "-d", name, "sh", "-c", &start]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    for (key, value) in KEYS {
        while !common::plain_etcdctl(&client)
            .args(["put", key, value])
            .output()
            .expect("etcdctl runs")
            .status
            .success()
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the container's etcd did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }
    let stop = "kill $(cat /tmp/etcd.pid); while kill -0 $(cat /tmp/etcd.pid) 2>/dev/null; do sleep 0.2; done";
    docker(&["exec", name, "sh", "-c", stop]);
    (container, client)
}

#[test]
fn a_backup_goes_through_docker_exec_into_a_directory_typed_in_the_form() {
    if !have("docker") || !have("etcd") || !have("tmux") {
        return;
    }
    let name = format!("lifeboat-e2e-etcd-{}", std::process::id());
    let (_container, client) = stopped_etcd_in_a_container(&name);
    let home = common::Lifeboat::new();
    let bundle = home.home.path().join("typed").join("etcd-backup");
    let env = vec![
        ("ETCDCTL_ENDPOINTS".to_string(), client),
        ("HOME".into(), home.home.path().display().to_string()),
        (
            "XDG_STATE_HOME".into(),
            home.home.path().join("state").display().to_string(),
        ),
        (
            "XDG_DATA_HOME".into(),
            home.home.path().join("data").display().to_string(),
        ),
    ];
    let tmux = Tmux::start("backup", &env, env!("CARGO_BIN_EXE_lifeboat"), (160, 48));
    tmux.wait_for(&name, 30);
    tmux.keys(&[":"]);
    tmux.type_text("backup");
    tmux.keys(&["Enter"]);
    tmux.wait_for("Cluster backup", 10);
    tmux.keys(&["C-u"]);
    tmux.type_text(&bundle.display().to_string());
    tmux.wait_for(&format!("--out {}", bundle.display()), 5);
    tmux.keys(&["Tab", "Right", "Tab"]);
    // The container is chosen from the list the Docker Engine gave.
    for _ in 0..10 {
        if tmux.screen().contains(&format!("--docker {name}")) {
            break;
        }
        tmux.keys(&["Right"]);
    }
    let form = tmux.wait_for(&format!("--method datadir --docker {name}"), 5);
    assert!(form.contains(&format!("docker exec {name}")), "{form}");
    tmux.keys(&["Enter"; 3]);
    tmux.wait_for("the plan, before anything runs", 20);
    tmux.keys(&["Enter"]);
    let summary = tmux.run_plan_to_summary(120);
    assert!(summary.contains("Done:"), "{summary}");
    // Measured and hashed after the plan ends, in the background.
    tmux.wait_for("manifest.json SHA-256", 10);
    let verified = home.run(&["verify", common::path(&bundle)]);
    assert!(verified.status.success(), "{}", text(&verified));
    assert!(bundle.join("etcd-datadir/member/snap/db").is_file());
}

#[test]
fn a_single_member_is_restored_from_a_bundle_picked_from_the_list_not_the_newest() {
    if !have("etcd") || !have("tmux") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let backups = sandbox.lifeboat.home.path().join("data/lifeboat/backups");
    let put = |key: &str| {
        let output = sandbox.etcdctl(&["put", key, "v"]);
        assert!(output.status.success(), "{}", text(&output));
    };
    let backup = |name: &str| {
        let out = backups.join(name);
        let made = sandbox.lifeboat(&["backup", "cluster", "--out", common::path(&out), "--yes"]);
        assert!(made.status.success(), "{}", text(&made));
    };
    put("/registry/older");
    backup("cluster-1-older");
    put("/registry/newer");
    backup("cluster-2-newer");

    let tmux = open_lifeboat(&sandbox, "restore");
    tmux.wait_for("etcd-1", 30);
    tmux.keys(&[":"]);
    tmux.type_text("restore");
    tmux.keys(&["Enter"]);
    let form = tmux.wait_for("Cluster restore", 10);
    assert!(
        form.contains("cluster-2-newer"),
        "the newest is proposed first:\n{form}"
    );
    tmux.keys(&["Right"]);
    tmux.wait_for("--from ", 5);
    let form = tmux.wait_for("cluster-1-older", 5);
    assert!(form.contains("(2 of 2)"), "{form}");
    tmux.keys(&["Enter"; 6]);
    let preview = tmux.wait_for("the plan, before anything runs", 30);
    assert!(preview.contains("destructive"), "{preview}");
    tmux.keys(&["Enter"]);
    let summary = tmux.run_plan_to_summary(180);
    assert!(summary.contains("Done:"), "{summary}");

    let keys = text(&sandbox.etcdctl(&["get", "--prefix", "/registry", "--keys-only"]));
    assert!(keys.contains("/registry/older"), "{keys}");
    assert!(
        !keys.contains("/registry/newer"),
        "the older bundle was restored:\n{keys}"
    );
}
