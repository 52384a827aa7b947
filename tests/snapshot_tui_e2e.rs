//! "Browse a cluster backup" in a real terminal by keys alone, against the sandbox: a
//! project deleted after the backup is picked from the backup's projects and comes back
//! through the export out of the snapshot and the project restore (dry run first).

mod common;

use std::collections::BTreeSet;

use common::tmux::Tmux;
use common::{Sandbox, have, path, text};

const KINDS: &str = "services,configmaps,secrets,serviceaccounts,persistentvolumeclaims,rolebindings,deployments,routes";

fn inventory(sandbox: &Sandbox, namespace: &str) -> BTreeSet<String> {
    sandbox
        .kubectl_ok(&["get", KINDS, "-n", namespace, "-o", "name"])
        .lines()
        .filter(|line| !line.contains("-token-") && !line.contains("-dockercfg-"))
        .map(String::from)
        .collect()
}

#[test]
fn a_deleted_project_comes_back_from_a_backup_by_keys_alone() {
    if !have("etcd") || !have("kubectl") || !have("tmux") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let home = sandbox.lifeboat.home.path();
    let backups = home.join("backups");
    let before = inventory(&sandbox, "shop");
    let backup = sandbox.lifeboat(&[
        "backup",
        "cluster",
        "--out",
        path(&backups.join("cluster-1")),
        "--yes",
    ]);
    assert!(backup.status.success(), "{}", text(&backup));
    sandbox.kubectl_ok(&["delete", "namespace", "shop"]);

    let mut env = sandbox.env();
    for (name, value) in [
        ("HOME", home.to_path_buf()),
        ("XDG_STATE_HOME", home.join("state")),
        ("XDG_DATA_HOME", home.join("data")),
        ("LIFEBOAT_BACKUPS_DIR", backups.clone()),
    ] {
        env.push((name.into(), value.display().to_string()));
    }
    let tmux = Tmux::start("browse", &env, env!("CARGO_BIN_EXE_lifeboat"), (160, 48));
    tmux.wait_for("Browse a cluster backup", 30);
    tmux.keys(&[":"]);
    tmux.type_text("browse");
    tmux.keys(&["Enter"]);
    tmux.wait_for("cluster-1", 10);
    tmux.keys(&["Enter"]);
    let projects = tmux.wait_for("gone from the live cluster", 60);
    let shop = projects
        .lines()
        .find(|l| l.contains("│shop "))
        .unwrap_or_else(|| panic!("{projects}"));
    assert!(shop.contains("gone from the live cluster"), "{projects}");
    let ci = projects
        .lines()
        .find(|l| l.contains("│ci "))
        .expect("ci listed");
    assert!(ci.contains("same"), "{projects}");
    // ci then shop: the second row.
    tmux.keys(&["Down", "Enter"]);
    tmux.wait_for("Read project shop out of the snapshot", 20);
    // The export is one read-only step, run on its own key.
    tmux.wait_for("?   y run", 20);
    tmux.keys(&["y"]);
    // Then the project restore of that export opens by itself, its server-side dry run
    // among the steps before anything is created, each asked for.
    let restore = tmux.wait_for("Check every object with a server-", 60);
    assert!(restore.contains("Project restore"), "{restore}");
    let summary = tmux.run_plan_to_summary(120);
    assert!(summary.contains("Done"), "{summary}");
    assert!(summary.contains("Recreate the"), "{summary}");
    assert_eq!(inventory(&sandbox, "shop"), before);
}
