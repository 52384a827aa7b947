//! Project export and restore (issues 9 and 10) against the emulated API server of a real
//! sandbox, checked with kubectl.

mod common;

use std::collections::BTreeSet;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use common::{Sandbox, have, path, text};
use serde_json::Value;

/// The procedure's five files, and the namespace.
const FILES: [&str; 5] = [
    "project.yaml",
    "rolebindings.yaml",
    "serviceaccount.yaml",
    "secret.yaml",
    "pvc.yaml",
];

fn objects(file: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(file).expect("export file");
    let list: Value = serde_yaml_ng::from_str(&text).expect("YAML");
    list["items"].as_array().cloned().unwrap_or_default()
}

fn export(sandbox: &Sandbox, out: &Path, args: &[&str]) {
    let mut all = vec!["project", "export"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--out", path(out), "--yes"]);
    let output = sandbox.lifeboat(&all);
    assert!(output.status.success(), "export failed:\n{}", text(&output));
}

/// `kind/name` of every object of the kinds a restore must bring back.
fn inventory(sandbox: &Sandbox, namespace: &str) -> BTreeSet<String> {
    let listed = sandbox.kubectl_ok(&[
        "get",
        "services,configmaps,secrets,serviceaccounts,persistentvolumeclaims,rolebindings,deployments,deploymentconfigs,routes",
        "-n",
        namespace,
        "-o",
        "name",
    ]);
    listed
        .lines()
        // Token secrets are made anew by each project; their names are random.
        .filter(|line| !line.contains("-token-") && !line.contains("-dockercfg-"))
        .map(String::from)
        .collect()
}

fn restore(sandbox: &Sandbox, from: &Path, extra: &[&str]) -> std::process::Output {
    let mut all = vec!["project", "restore", "--from", path(from)];
    all.extend_from_slice(extra);
    sandbox.lifeboat(&all)
}

#[test]
fn export_writes_the_procedure_s_files_clean_and_kubectl_accepts_each() {
    if !have("etcd") || !have("kubectl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let root = tempfile::tempdir().expect("dir");
    let out = root.path().join("exports");
    export(&sandbox, &out, &["ci", "shop"]);
    for project in ["ci", "shop"] {
        let dir = out.join(project);
        let verified = sandbox.lifeboat(&["verify", path(&dir)]);
        assert!(verified.status.success(), "{}", text(&verified));
        for file in FILES.iter().chain(&["namespace.yaml"]) {
            for object in objects(&dir.join(file)) {
                let metadata = &object["metadata"];
                for field in [
                    "uid",
                    "resourceVersion",
                    "creationTimestamp",
                    "selfLink",
                    "managedFields",
                    "generation",
                ] {
                    assert!(
                        metadata.get(field).is_none(),
                        "{project}/{file}: {field} in {object}"
                    );
                }
                assert!(
                    object.get("status").is_none(),
                    "{project}/{file}: status in {object}"
                );
                if object["kind"] == "Service" {
                    assert!(object["spec"].get("clusterIP").is_none(), "{object}");
                }
                if object["kind"] == "PersistentVolumeClaim" {
                    assert!(object["spec"].get("volumeName").is_none(), "{object}");
                }
                assert_ne!(object["type"], "kubernetes.io/service-account-token");
            }
        }
        let mode = std::fs::metadata(dir.join("secret.yaml"))
            .expect("secret.yaml")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{project}/secret.yaml");
        let manifest: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("manifest.json")).expect("manifest"),
        )
        .expect("JSON");
        assert_eq!(manifest["project"]["namespace"], project);
        assert!(
            manifest["project"]["removed"]["status"]
                .as_u64()
                .unwrap_or(0)
                > 0
        );
        assert!(manifest["project"]["excluded_kinds"]["events"].is_string());
    }
    let ci = out.join("ci");
    let kinds: Vec<String> = objects(&ci.join("project.yaml"))
        .iter()
        .map(|o| o["kind"].as_str().unwrap_or("").to_string())
        .collect();
    for kind in ["DeploymentConfig", "Service", "Route", "ImageStream"] {
        assert!(
            kinds.iter().any(|k| k == kind),
            "ci/project.yaml lacks {kind}: {kinds:?}"
        );
    }
    assert!(
        !kinds
            .iter()
            .any(|k| k == "Pod" || k == "ReplicationController"),
        "{kinds:?}"
    );
    let accounts = objects(&ci.join("serviceaccount.yaml"));
    assert_eq!(accounts.len(), 1, "only the custom account: {accounts:?}");
    assert!(
        accounts[0].get("secrets").is_none(),
        "token references left: {accounts:?}"
    );

    // Into an empty project, the server accepts every object of every file. kubectl's own
    // schema check is off because the emulated server publishes no OpenAPI documents; the
    // server still validates and admits each object in the dry run.
    sandbox.kubectl_ok(&["delete", "namespace", "shop"]);
    sandbox.kubectl_ok(&["create", "namespace", "shop"]);
    for file in FILES {
        let file = out.join("shop").join(file);
        assert!(!objects(&file).is_empty(), "{} is empty", file.display());
        let created = sandbox.kubectl_ok(&[
            "create",
            "--dry-run=server",
            "--validate=false",
            "-f",
            path(&file),
        ]);
        assert!(created.contains("(server dry run)"), "{created}");
    }
}

#[test]
fn no_secrets_leaves_secret_yaml_out_and_says_so() {
    if !have("etcd") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let root = tempfile::tempdir().expect("dir");
    let out = root.path().join("exports");
    let output = sandbox.lifeboat(&[
        "project",
        "export",
        "shop",
        "--out",
        path(&out),
        "--no-secrets",
        "--yes",
    ]);
    assert!(output.status.success(), "{}", text(&output));
    assert!(text(&output).contains("--no-secrets"), "{}", text(&output));
    assert!(!out.join("shop/secret.yaml").exists());
    let manifest = std::fs::read_to_string(out.join("shop/manifest.json")).expect("manifest");
    assert!(
        manifest.contains("\"secrets_included\": false"),
        "{manifest}"
    );
}

#[test]
fn restore_brings_a_deleted_project_back_and_copies_it_under_a_new_name() {
    if !have("etcd") || !have("kubectl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let root = tempfile::tempdir().expect("dir");
    let out = root.path().join("exports");
    export(&sandbox, &out, &["shop", "ci"]);
    for project in ["shop", "ci"] {
        let before = inventory(&sandbox, project);
        assert!(before.len() > 5, "{before:?}");
        sandbox.kubectl_ok(&["delete", "namespace", project]);
        let output = restore(&sandbox, &out.join(project), &["--yes"]);
        assert!(
            output.status.success(),
            "restore failed:\n{}",
            text(&output)
        );
        assert_eq!(
            inventory(&sandbox, project),
            before,
            "{project} after restore"
        );
    }

    let before = inventory(&sandbox, "shop");
    let output = restore(&sandbox, &out.join("shop"), &["--as", "shop-copy", "--yes"]);
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(inventory(&sandbox, "shop-copy"), before);
    let binding = sandbox.kubectl_ok(&[
        "get",
        "rolebinding",
        "shop-app-config-reader",
        "-n",
        "shop-copy",
        "-o",
        "jsonpath={.subjects[0].namespace}",
    ]);
    assert_eq!(binding, "shop-copy");

    let again = restore(
        &sandbox,
        &out.join("shop"),
        &["--as", "shop-copy", "--existing", "skip", "--yes"],
    );
    let said = text(&again);
    assert!(again.status.success(), "{said}");
    assert!(
        said.contains("already exists") && !said.contains("FAILED"),
        "{said}"
    );

    let updated = restore(
        &sandbox,
        &out.join("shop"),
        &["--as", "shop-copy", "--existing", "update", "--yes"],
    );
    assert!(updated.status.success(), "{}", text(&updated));
    assert!(text(&updated).contains("updated"), "{}", text(&updated));
}

/// Rewrites the manifest's size and SHA-256 for `file`, as if the export had been written so.
fn reseal(dir: &Path, file: &str) {
    use sha2::Digest;
    let bytes = std::fs::read(dir.join(file)).expect("file");
    let mut manifest: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("manifest.json")).expect("manifest"),
    )
    .expect("JSON");
    for entry in manifest["files"].as_array_mut().expect("files") {
        if entry["path"] == file {
            entry["size"] = bytes.len().into();
            entry["sha256"] = format!("{:x}", sha2::Sha256::digest(&bytes)).into();
        }
    }
    std::fs::write(
        dir.join("manifest.json"),
        serde_json::to_vec_pretty(&manifest).expect("JSON"),
    )
    .expect("written");
}

#[test]
fn a_damaged_export_is_refused_and_an_invalid_object_fails_alone() {
    if !have("etcd") || !have("kubectl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let root = tempfile::tempdir().expect("dir");
    let out = root.path().join("exports");
    export(&sandbox, &out, &["shop"]);
    let dir = out.join("shop");
    let project = std::fs::read_to_string(dir.join("project.yaml")).expect("project.yaml");
    std::fs::write(
        dir.join("project.yaml"),
        project.replace("name: shop-config", "name: Shop_Config"),
    )
    .expect("written");

    let refused = restore(&sandbox, &dir, &["--as", "shop-broken", "--yes"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("project.yaml"),
        "{}",
        text(&refused)
    );
    assert!(
        !sandbox
            .kubectl_ok(&["get", "namespaces", "-o", "name"])
            .contains("shop-broken")
    );

    reseal(&dir, "project.yaml");
    let partial = restore(&sandbox, &dir, &["--as", "shop-broken", "--yes"]);
    let said = text(&partial);
    assert_eq!(partial.status.code(), Some(1), "{said}");
    assert!(
        said.contains("ConfigMap Shop_Config") && said.contains("Invalid value"),
        "{said}"
    );
    assert!(said.contains("1 FAILED"), "{said}");
    let restored = inventory(&sandbox, "shop-broken");
    assert!(
        restored.contains("configmap/nginx-conf")
            && restored.contains("route.route.openshift.io/web"),
        "{restored:?}"
    );
}

#[test]
fn a_dry_run_checks_everything_on_the_server_and_creates_nothing() {
    if !have("etcd") || !have("kubectl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let root = tempfile::tempdir().expect("dir");
    let out = root.path().join("exports");
    export(&sandbox, &out, &["shop"]);
    let checked = restore(
        &sandbox,
        &out.join("shop"),
        &["--as", "shop-preview", "--dry-run"],
    );
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(
        text(&checked).contains("project shop-preview"),
        "{}",
        text(&checked)
    );
    assert!(
        !sandbox
            .kubectl_ok(&["get", "namespaces", "-o", "name"])
            .contains("shop-preview")
    );
    // Into the existing project, every object is checked by the server and already exists.
    let existing = restore(&sandbox, &out.join("shop"), &["--dry-run"]);
    assert!(existing.status.success(), "{}", text(&existing));
    assert!(
        text(&existing).contains("already exists"),
        "{}",
        text(&existing)
    );
}

/// The picker's two halves against a seeded sandbox: the namespaces at once, then each
/// kind's counts, read a page at a time across page boundaries (1,200 objects, 500 a page),
/// equal to what kubectl lists.
#[test]
fn a_seeded_cluster_lists_its_projects_then_counts_each_kind_as_kubectl_does() {
    if !have("etcd") || !have("kubectl") {
        return;
    }
    let sandbox = Sandbox::up_with(1, &["--seed-projects", "40", "--seed-objects", "2400"]);
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let client = runtime
        .block_on(lifeboat_sandbox::kube_api::client(&sandbox.dir))
        .expect("a client for the sandbox");
    let projects = runtime
        .block_on(lifeboat::kube::list_namespaces(&client))
        .expect("namespaces listed");
    let names: Vec<&str> = projects.iter().map(|p| p.name.as_str()).collect();
    assert!(
        names.contains(&"bench-0000") && names.contains(&"bench-0039") && names.contains(&"shop"),
        "{names:?}"
    );
    assert!(projects.iter().all(|p| p.counts.is_empty()));
    for (kind, plural) in [("ConfigMap", "configmaps"), ("Service", "services")] {
        let kind_ref = lifeboat::kube::KindRef::new("", "v1", kind, plural);
        let counted = runtime
            .block_on(lifeboat::kube::count_kind(&client, &kind_ref))
            .expect("counted");
        let mut by_kubectl = std::collections::BTreeMap::<String, u64>::new();
        for line in sandbox
            .kubectl_ok(&["get", plural, "-A", "--no-headers", "--chunk-size", "100"])
            .lines()
        {
            let namespace = line.split_whitespace().next().unwrap_or("");
            *by_kubectl.entry(namespace.to_string()).or_default() += 1;
        }
        for project in ["bench-0000", "bench-0039"] {
            assert_eq!(
                counted.per_namespace.get(project),
                by_kubectl.get(project),
                "{kind} in {project}"
            );
        }
        assert_eq!(
            counted.per_namespace.values().sum::<u64>(),
            by_kubectl.values().sum::<u64>(),
            "{kind} in all"
        );
    }
    // Six config maps in every ten objects: 60 objects a project, 36 config maps.
    let config_maps = sandbox.kubectl_ok(&["get", "configmaps", "-n", "bench-0007", "-o", "name"]);
    assert_eq!(config_maps.lines().count(), 36, "{config_maps}");

    // The real binary in a terminal: the picker lists the projects, the counts arrive, the
    // filter narrows to one project whose row shows its counts.
    if !have("tmux") {
        return;
    }
    let home = sandbox.lifeboat.home.path();
    let mut env = sandbox.env();
    env.push(("HOME".into(), home.display().to_string()));
    env.push((
        "XDG_STATE_HOME".into(),
        home.join("state").display().to_string(),
    ));
    let tmux = common::tmux::Tmux::start("picker", &env, env!("CARGO_BIN_EXE_lifeboat"), (160, 40));
    tmux.wait_for("Members (", 30);
    tmux.keys(&[":"]);
    tmux.type_text("export");
    tmux.keys(&["Enter"]);
    tmux.wait_for("bench-0000", 20);
    tmux.wait_for("all objects counted", 60);
    tmux.type_text("bench-0039");
    let screen = tmux.wait_for("Projects: 1 shown", 10);
    assert!(
        screen.contains("36 ConfigMap") && screen.contains("12 Secret, 12 Service"),
        "{screen}"
    );
}

mod screens {
    //! The pickers and the results table as TestBackend frames (insta snapshots).

    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use lifeboat::kube::{KindRef, ObjectOutcome, ObjectResult, ProjectSummary};
    use lifeboat::procedures::{ProjectRestoreFacts, plan_project_restore};
    use lifeboat::run::RunEvent;
    use lifeboat::tui::{App, BackupEntry, Msg, ProjectCatalog, Screen, update, view};
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    fn render(app: &App) -> String {
        let mut terminal = Terminal::new(TestBackend::new(130, 30)).expect("test terminal");
        terminal
            .draw(|frame| view::draw(frame, app))
            .expect("draws");
        terminal.backend().to_string()
    }

    fn key(app: &mut App, code: KeyCode) {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn app_at_menu(entry: &str) -> App {
        let mut app = App::new(
            None,
            jiff::Timestamp::from_second(1_790_000_000).expect("time"),
        );
        app.screen = Screen::Dashboard;
        app.menu_selected = lifeboat::tui::Entry::ALL
            .iter()
            .position(|p| p.title() == entry)
            .expect("in the menu");
        key(&mut app, KeyCode::Enter);
        app
    }

    fn catalog() -> ProjectCatalog {
        let project = |name: &str, display: &str, counts: &[(&str, u64)]| ProjectSummary {
            name: name.into(),
            display_name: display.into(),
            counts: counts.iter().map(|(k, n)| (k.to_string(), *n)).collect(),
        };
        ProjectCatalog {
            projects: vec![
                project(
                    "ci",
                    "Continuous integration",
                    &[("DeploymentConfig", 1), ("Service", 2), ("Route", 1)],
                ),
                project(
                    "shop",
                    "Shop",
                    &[("Deployment", 2), ("ConfigMap", 2), ("Secret", 2)],
                ),
                project("shop-staging", "", &[("Deployment", 1)]),
            ],
            kinds: vec![
                KindRef::new("", "v1", "ConfigMap", "configmaps"),
                KindRef::new("", "v1", "Endpoints", "endpoints"),
                KindRef::new("", "v1", "Event", "events"),
                KindRef::new("apps", "v1", "Deployment", "deployments"),
                KindRef::new("example.com", "v1", "Widget", "widgets"),
            ],
            ..ProjectCatalog::default()
        }
    }

    #[test]
    fn the_project_picker_filters_as_you_type_and_chooses_several() {
        let mut app = app_at_menu("Project export");
        assert_eq!(app.screen, Screen::ProjectPicker);
        update(&mut app, Msg::ProjectsLoaded(Ok(catalog())));
        key(&mut app, KeyCode::Char(' '));
        for c in "shop".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        key(&mut app, KeyCode::Char(' '));
        let frame = render(&app);
        assert!(
            frame.contains("[x] shop") && !frame.contains("Continuous"),
            "{frame}"
        );
        insta::assert_snapshot!(frame);
    }

    #[test]
    fn the_project_list_shows_before_its_counts_which_fill_in_kind_by_kind() {
        use lifeboat::kube::KindCounts;
        let mut app = app_at_menu("Project export");
        // 2,000 projects, listed without counts; two kinds still to count.
        let projects: Vec<ProjectSummary> = (0..2000)
            .map(|i| ProjectSummary {
                name: format!("bench-{i:04}"),
                ..ProjectSummary::default()
            })
            .collect();
        let load = 7;
        update(
            &mut app,
            Msg::ProjectsLoaded(Ok(ProjectCatalog {
                projects,
                load,
                counting: 2,
                ..catalog()
            })),
        );
        let frame = render(&app);
        assert!(
            frame.contains("2000 shown") && frame.contains("bench-0000") && frame.contains("0…"),
            "{frame}"
        );
        assert!(frame.contains("counting objects, 2 kinds to go"), "{frame}");
        // Keys work while counting: the filter narrows at once and the cursor moves.
        for c in "bench-19".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        key(&mut app, KeyCode::Down);
        assert_eq!(app.project_picker.visible().len(), 100);
        let counts = |kind: &str, n: u64| KindCounts {
            kind: kind.into(),
            per_namespace: [("bench-1901".to_string(), n), ("bench-0001".to_string(), 9)]
                .into_iter()
                .collect(),
        };
        update(
            &mut app,
            Msg::ProjectCounts {
                load,
                counts: Ok(counts("ConfigMap", 30)),
            },
        );
        // Counts of an earlier load (a picker left and opened again) are not added.
        update(
            &mut app,
            Msg::ProjectCounts {
                load: load - 1,
                counts: Ok(counts("ConfigMap", 1000)),
            },
        );
        let frame = render(&app);
        assert!(
            frame.contains("30…") && frame.contains("30 ConfigMap"),
            "{frame}"
        );
        assert!(frame.contains("1 kinds to go"), "{frame}");
        update(
            &mut app,
            Msg::ProjectCounts {
                load,
                counts: Ok(counts("Secret", 10)),
            },
        );
        let frame = render(&app);
        assert!(
            frame.contains("40 ") && frame.contains("30 ConfigMap, 10 Secret"),
            "{frame}"
        );
        assert!(frame.contains("all objects counted"), "{frame}");
        // The cursor's row stays on screen far down a long list.
        key(&mut app, KeyCode::Esc);
        for _ in 0..1500 {
            key(&mut app, KeyCode::Down);
        }
        let frame = render(&app);
        assert!(frame.contains("bench-1500"), "{frame}");
    }

    #[test]
    fn the_kind_picker_shows_each_exclusion_and_toggles_it() {
        let mut app = app_at_menu("Project export");
        update(&mut app, Msg::ProjectsLoaded(Ok(catalog())));
        key(&mut app, KeyCode::Enter);
        key(&mut app, KeyCode::Down);
        key(&mut app, KeyCode::Char(' '));
        let frame = render(&app);
        assert!(frame.contains("left out: events are recorded"), "{frame}");
        assert!(frame.contains("taken, although endpoints"), "{frame}");
        insta::assert_snapshot!(frame);
        key(&mut app, KeyCode::Enter);
    }

    #[test]
    fn the_export_picker_lists_exports_with_their_manifests() {
        let mut app = app_at_menu("Project restore");
        assert_eq!(app.screen, Screen::BackupPicker);
        update(
            &mut app,
            Msg::BackupsLoaded(Ok(vec![BackupEntry {
                path: "/var/lib/lifeboat/backups/projects-20260901-101500/shop".into(),
                namespace: "shop".into(),
                created: "2026-09-01T10:15:02.123Z".into(),
                objects: 17,
                secrets: true,
            }])),
        );
        key(&mut app, KeyCode::Char('n'));
        for c in "shop-copy".chars() {
            key(&mut app, KeyCode::Char(c));
        }
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.backup_picker.new_name().as_deref(), Some("shop-copy"));
        insta::assert_snapshot!(render(&app));
    }

    #[test]
    fn the_results_table_tells_expected_from_real_failures() {
        let mut app = app_at_menu("Health check");
        let plan = plan_project_restore(&ProjectRestoreFacts {
            from: "/backups/shop".into(),
            source: "shop".into(),
            target: "shop".into(),
            annotations: Default::default(),
            openshift: true,
            existing: lifeboat::kube::ExistingPolicy::Skip,
            preview: false,
            dry_run: false,
            objects: 5,
        });
        update(&mut app, Msg::PlanReady(plan));
        update(&mut app, Msg::Run(RunEvent::StepStarted { index: 2 }));
        let results = [
            ("Secret", "db-credentials", ObjectResult::Created),
            (
                "ServiceAccount",
                "default",
                ObjectResult::Expected {
                    reason: "every project gets this service account by itself".into(),
                },
            ),
            (
                "ConfigMap",
                "Shop_Config",
                ObjectResult::Failed {
                    reason: "ConfigMap \"Shop_Config\" is invalid: metadata.name: Invalid value"
                        .into(),
                },
            ),
            ("Service", "web", ObjectResult::Exists { updated: false }),
            (
                "Pod",
                "web-5d9c7b-x2x8k",
                ObjectResult::Expected {
                    reason: "owned by ReplicaSet/web-5d9c7b: its controller makes it again".into(),
                },
            ),
        ];
        for (kind, name, result) in results {
            update(
                &mut app,
                Msg::Run(RunEvent::Object {
                    index: 2,
                    outcome: ObjectOutcome {
                        kind: kind.into(),
                        namespace: "shop".into(),
                        name: name.into(),
                        result,
                    },
                }),
            );
        }
        let frame = render(&app);
        assert!(
            frame.contains("1 created, 1 already existed (skipped), 2 expected failures, 1 FAILED"),
            "{frame}"
        );
        insta::assert_snapshot!(frame);
    }
}
