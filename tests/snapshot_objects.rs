//! Issue 21 end to end on the sandbox, whose emulated API server stores its objects in etcd
//! as OpenShift 3 does: a cluster backup; the project deleted; the project read back out of
//! the backup's etcd snapshot and restored through the API, without rolling back the
//! cluster. Also: `snapshot ls` counts what kubectl showed at backup time, and `snapshot
//! diff` shows a change made since.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{Sandbox, have, path, text};
use serde_json::Value;

/// The kinds a project restore must bring back.
const KINDS: &str = "services,configmaps,secrets,serviceaccounts,persistentvolumeclaims,rolebindings,deployments,deploymentconfigs,routes";

/// `kind/name` of every object of `KINDS`, token and dockercfg secrets aside (each project
/// gets new ones with random names).
fn inventory(sandbox: &Sandbox, namespace: &str) -> BTreeSet<String> {
    sandbox
        .kubectl_ok(&["get", KINDS, "-n", namespace, "-o", "name"])
        .lines()
        .filter(|line| !line.contains("-token-") && !line.contains("-dockercfg-"))
        .map(String::from)
        .collect()
}

/// Objects per project and kind, as `kubectl get -A` lists them.
fn kubectl_counts(sandbox: &Sandbox) -> BTreeMap<String, BTreeMap<String, u64>> {
    let listed: Value = serde_json::from_str(&sandbox.kubectl_ok(&[
        "get",
        "configmaps,secrets,serviceaccounts,services,deployments,persistentvolumeclaims,rolebindings,routes,pods",
        "-A",
        "-o",
        "json",
    ]))
    .expect("kubectl JSON");
    let mut counts: BTreeMap<String, BTreeMap<String, u64>> = BTreeMap::new();
    for item in listed["items"].as_array().expect("items") {
        let namespace = item["metadata"]["namespace"]
            .as_str()
            .unwrap_or("")
            .to_string();
        let kind = item["kind"].as_str().unwrap_or("").to_string();
        *counts
            .entry(namespace)
            .or_default()
            .entry(kind)
            .or_default() += 1;
    }
    counts
}

/// `snapshot ls`'s table: project -> kind -> count.
fn listed_counts(output: &str) -> BTreeMap<String, BTreeMap<String, u64>> {
    let mut counts = BTreeMap::new();
    for line in output
        .lines()
        .skip_while(|l| !l.starts_with("project "))
        .skip(1)
    {
        let mut words = line.split_whitespace();
        let (Some(project), Some(_total)) = (words.next(), words.next()) else {
            continue;
        };
        let rest: Vec<&str> = words.collect();
        let kinds = rest
            .join(" ")
            .split(", ")
            .filter_map(|pair| {
                let (kind, n) = pair.rsplit_once(' ')?;
                Some((kind.to_string(), n.parse().ok()?))
            })
            .collect();
        counts.insert(project.to_string(), kinds);
    }
    counts
}

#[test]
fn a_deleted_project_comes_back_from_the_cluster_backup_s_snapshot() {
    if !have("etcd") || !have("etcdctl") || !have("kubectl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let root = tempfile::tempdir().expect("dir");
    let before = inventory(&sandbox, "shop");
    assert!(before.len() > 8, "{before:?}");
    let config_before = sandbox.kubectl_ok(&[
        "get",
        "configmap",
        "shop-config",
        "-n",
        "shop",
        "-o",
        "jsonpath={.data}",
    ]);
    let at_backup = kubectl_counts(&sandbox);

    let bundle = root.path().join("backup");
    let backup = sandbox.lifeboat(&["backup", "cluster", "--out", path(&bundle), "--yes"]);
    assert!(backup.status.success(), "{}", text(&backup));

    // Every project with the counts kubectl showed when the backup was taken.
    let ls = sandbox.lifeboat(&["snapshot", "ls", path(&bundle)]);
    assert!(ls.status.success(), "{}", text(&ls));
    let listed = listed_counts(&String::from_utf8_lossy(&ls.stdout));
    for (project, kinds) in &at_backup {
        for (kind, count) in kinds {
            assert_eq!(
                listed.get(project).and_then(|k| k.get(kind)),
                Some(count),
                "{project} {kind}: snapshot ls says {:?}",
                listed.get(project)
            );
        }
    }

    // A change made after the backup shows in the diff; an unchanged object does not.
    sandbox.kubectl_ok(&[
        "patch",
        "configmap",
        "shop-config",
        "-n",
        "shop",
        "--type",
        "merge",
        "-p",
        r#"{"data":{"after":"backup"}}"#,
    ]);
    let diff = sandbox.lifeboat(&["snapshot", "diff", path(&bundle)]);
    let report = String::from_utf8_lossy(&diff.stdout).into_owned();
    assert_eq!(diff.status.code(), Some(1), "{}", text(&diff));
    let changed = report
        .lines()
        .skip_while(|l| !l.starts_with("shop:"))
        .find(|l| l.trim_start().starts_with("changed:"))
        .unwrap_or_else(|| panic!("no change listed for shop:\n{report}"));
    assert!(changed.contains("ConfigMap/shop-config"), "{report}");
    assert!(!changed.contains("ConfigMap/nginx-conf"), "{report}");

    sandbox.kubectl_ok(&["delete", "namespace", "shop"]);
    assert!(inventory(&sandbox, "shop").is_empty());
    let exports = root.path().join("exports");
    let exported = sandbox.lifeboat(&[
        "snapshot",
        "export",
        path(&bundle),
        "--namespace",
        "shop",
        "--out",
        path(&exports),
        "--yes",
    ]);
    assert!(exported.status.success(), "{}", text(&exported));
    let restored = sandbox.lifeboat(&[
        "project",
        "restore",
        "--from",
        path(&exports.join("shop")),
        "--yes",
    ]);
    assert!(restored.status.success(), "{}", text(&restored));
    assert_eq!(inventory(&sandbox, "shop"), before);
    // As it was at the backup, not as it was changed after.
    assert_eq!(
        sandbox.kubectl_ok(&[
            "get",
            "configmap",
            "shop-config",
            "-n",
            "shop",
            "-o",
            "jsonpath={.data}"
        ]),
        config_before
    );
}
