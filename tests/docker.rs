//! The docker exec executor against a real Docker daemon: an etcd image made locally with
//! `docker import`, a container on the host network, and the health check's etcdctl step run
//! inside it against a real TLS sandbox.

mod common;

use std::process::Command;

use common::{Sandbox, have, path, text};

#[test]
fn health_check_runs_etcdctl_inside_a_container_through_docker_exec() {
    if !have("docker") || !have("etcd") {
        return;
    }
    let image =
        lifeboat_sandbox::ensure_etcd_image().expect("the etcd image builds from local binaries");
    let sandbox = Sandbox::up(3);
    let name = format!("lifeboat-test-exec-{}", std::process::id());
    // The sandbox's certificates are mounted at the same path, as /etc/etcd is on a real
    // container-based install.
    let volume = format!("{0}:{0}:ro", path(&sandbox.dir));
    let run = Command::new("docker")
        .args([
            "run",
            "-d",
            "--name",
            &name,
            "--network",
            "host",
            "-v",
            &volume,
            &image,
            "sleep",
            "600",
        ])
        .output()
        .expect("docker runs");
    assert!(run.status.success(), "{}", text(&run));
    let _container = common::Container(name.clone());

    // The image really has etcdctl and a shell.
    let inside = Command::new("docker")
        .args(["exec", &name, "sh", "-c", "etcdctl version"])
        .output()
        .expect("docker exec runs");
    assert!(
        text(&inside).contains("etcdctl version: 3."),
        "{}",
        text(&inside)
    );

    // The dashboard's host panel lists it, read from the Engine's socket.
    let status = sandbox.lifeboat(&["status", "--output", "json"]);
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    assert!(
        json["host"]["runtimes"].as_array().is_some_and(|all| all
            .iter()
            .any(|r| r["kind"] == "container" && r["name"] == name.as_str())),
        "{json:#}"
    );

    let output = sandbox.lifeboat(&["run", "health-check", "--docker", &name, "--yes"]);
    let report = text(&output);
    assert!(output.status.success(), "{report}");
    assert!(
        report.contains("$ docker exec -e ETCDCTL_API=3 -e ETCDCTL_ENDPOINTS=https://127.0.0.1:"),
        "{report}"
    );
    assert!(
        report.contains(&format!(" {name} etcdctl endpoint health --cluster")),
        "{report}"
    );
    assert_eq!(
        report
            .matches("is healthy: successfully committed proposal")
            .count(),
        3,
        "{report}"
    );

    // And a failure inside the container is a failed step, not a silent pass.
    let stop = Command::new("docker")
        .args(["stop", "-t", "0", &name])
        .output()
        .expect("docker stop");
    assert!(stop.status.success());
    let output = sandbox.lifeboat(&["run", "health-check", "--docker", &name, "--yes"]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains("Cross-check with etcdctl failed"),
        "{report}"
    );
}
