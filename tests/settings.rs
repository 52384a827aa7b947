//! lifeboat's settings and read-only mode, through the real binary: `config show` says where
//! each value came from, a bad file is named with its key, and `--readonly` (or
//! `readonly = true`) lets nothing be written.

mod common;

use std::path::Path;

use common::{Lifeboat, Sandbox, have, path, text};

fn write_config(lifeboat: &Lifeboat, contents: &str) -> std::path::PathBuf {
    let dir = lifeboat.home.path().join("config/lifeboat");
    std::fs::create_dir_all(&dir).expect("config dir");
    let file = dir.join("config.toml");
    std::fs::write(&file, contents).expect("config written");
    file
}

fn row<'a>(shown: &'a str, key: &str) -> &'a str {
    shown
        .lines()
        .find(|line| line.starts_with(key))
        .unwrap_or_else(|| panic!("no {key} row in:\n{shown}"))
}

#[test]
fn config_show_names_default_file_environment_and_flag() {
    let lifeboat = Lifeboat::new();
    let file = write_config(
        &lifeboat,
        "refresh_interval = 10\nlearner_threshold = \"1GB\"\nreadonly = false\n",
    );
    let output = lifeboat
        .command()
        .env("LIFEBOAT_DOCKER_CONTAINER", "etcd_container")
        .env("LIFEBOAT_LEARNER_THRESHOLD", "2GB")
        .args(["--readonly", "config", "show"])
        .output()
        .expect("lifeboat runs");
    let shown = text(&output);
    assert!(output.status.success(), "{shown}");
    assert!(
        shown.contains(&format!("config file: {} (read)", file.display())),
        "{shown}"
    );
    let from_file = format!("file {}", file.display());
    assert!(row(&shown, "refresh_interval").contains("10s"), "{shown}");
    assert!(
        row(&shown, "refresh_interval").ends_with(&from_file),
        "{shown}"
    );
    // The environment beats the file, the flag beats both.
    assert!(row(&shown, "learner_threshold").contains("2GB"), "{shown}");
    assert!(
        row(&shown, "learner_threshold").ends_with("environment LIFEBOAT_LEARNER_THRESHOLD"),
        "{shown}"
    );
    assert!(
        row(&shown, "docker_container").contains("etcd_container"),
        "{shown}"
    );
    assert!(row(&shown, "readonly").contains("true"), "{shown}");
    assert!(
        row(&shown, "readonly").ends_with("flag --readonly"),
        "{shown}"
    );
    let backups = lifeboat.home.path().join("data/lifeboat/backups");
    assert!(
        row(&shown, "backups_dir").contains(path(&backups)),
        "{shown}"
    );
    assert!(row(&shown, "backups_dir").ends_with("default"), "{shown}");
}

#[test]
fn a_bad_file_is_named_with_its_key_and_nothing_runs() {
    let lifeboat = Lifeboat::new();
    let file = write_config(&lifeboat, "readonly = \"perhaps\"\n");
    let output = lifeboat.run(&["config", "show"]);
    let shown = text(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains(&format!(
            "{}: key `readonly`: expected true or false, found a string",
            file.display()
        )),
        "{shown}"
    );
    // Completions describe the flags and need no settings.
    let completions = lifeboat.run(&["completions", "bash"]);
    assert!(completions.status.success(), "{}", text(&completions));
}

/// Nothing of the bundle, not even its staging directory, exists after a refused backup.
fn assert_nothing_written(bundle: &Path, report: &str) {
    assert!(
        !bundle.exists(),
        "{} was written: {report}",
        bundle.display()
    );
    assert!(
        !bundle.with_extension("partial").exists(),
        "a staging directory was written"
    );
    let parent = bundle.parent().expect("a parent");
    let left: Vec<_> = std::fs::read_dir(parent)
        .expect("lists")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name())
        .filter(|name| name.to_string_lossy().starts_with("bundle"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

#[test]
fn readonly_refuses_a_backup_and_writes_nothing() {
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let out_dir = tempfile::tempdir().expect("out dir");
    let bundle = out_dir.path().join("bundle");

    let output = sandbox.lifeboat(&[
        "--readonly",
        "backup",
        "cluster",
        "--out",
        path(&bundle),
        "--yes",
    ]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(report.contains("read-only mode is on"), "{report}");
    assert!(report.contains("without --readonly"), "{report}");
    assert_nothing_written(&bundle, &report);

    // The same through the config file, where the message says how to leave it.
    let file = write_config(&sandbox.lifeboat, "readonly = true\n");
    let output = sandbox.lifeboat(&["backup", "cluster", "--out", path(&bundle), "--yes"]);
    let report = text(&output);
    assert_eq!(output.status.code(), Some(1), "{report}");
    assert!(
        report.contains(&format!("set `readonly = false` in {}", file.display())),
        "{report}"
    );
    assert_nothing_written(&bundle, &report);

    // Reading still works in read-only mode.
    let status = sandbox.lifeboat(&["status"]);
    assert!(status.status.success(), "{}", text(&status));

    // And the environment turns it off for one run: the backup is made.
    let output = sandbox
        .lifeboat
        .command()
        .envs(sandbox.env())
        .env("LIFEBOAT_READONLY", "0")
        .args(["backup", "cluster", "--out", path(&bundle), "--yes"])
        .output()
        .expect("lifeboat runs");
    assert!(output.status.success(), "{}", text(&output));
    assert!(bundle.join("manifest.json").exists());
}

#[test]
fn the_backups_directory_of_the_settings_is_where_bundles_go() {
    let lifeboat = Lifeboat::new();
    let dir = lifeboat.home.path().join("elsewhere");
    let output = lifeboat
        .command()
        .env("LIFEBOAT_BACKUPS_DIR", &dir)
        .args(["config", "show"])
        .output()
        .expect("lifeboat runs");
    let shown = text(&output);
    assert!(row(&shown, "backups_dir").contains(path(&dir)), "{shown}");
    assert!(
        row(&shown, "backups_dir").ends_with("environment LIFEBOAT_BACKUPS_DIR"),
        "{shown}"
    );
    // A restore planned without naming a bundle looks for the newest one there.
    let output = lifeboat
        .command()
        .env("LIFEBOAT_BACKUPS_DIR", &dir)
        .env("ETCDCTL_ENDPOINTS", "http://127.0.0.1:9")
        .args(["plan", "cluster-restore"])
        .output()
        .expect("lifeboat runs");
    let said = text(&output);
    assert!(!output.status.success(), "{said}");
    assert!(
        said.contains(&format!("no cluster backup in {}", dir.display())),
        "{said}"
    );
    let relative = lifeboat
        .command()
        .env("LIFEBOAT_BACKUPS_DIR", "backups")
        .args(["config", "show"])
        .output()
        .expect("lifeboat runs");
    assert_eq!(relative.status.code(), Some(1), "{}", text(&relative));
    assert!(
        text(&relative)
            .contains("LIFEBOAT_BACKUPS_DIR=\"backups\": \"backups\" must be an absolute path"),
        "{}",
        text(&relative)
    );
}

/// The TUI in a real terminal with a settings file: the READ-ONLY badge, the refresh interval
/// and the backup form's container from the file, and a backup started from the palette that
/// is refused on screen with nothing written.
#[test]
fn the_dashboard_in_read_only_mode_says_so_and_refuses_a_backup() {
    if !have("etcd") || !have("etcdctl") || !have("tmux") {
        return;
    }
    let sandbox = Sandbox::up(1);
    let home = sandbox.lifeboat.home.path();
    let backups = home.join("kept");
    write_config(
        &sandbox.lifeboat,
        &format!(
            "readonly = true\nrefresh_interval = 5\ndocker_container = \"etcd_configured\"\n\
             backups_dir = \"{}\"\n",
            backups.display()
        ),
    );
    let mut env = sandbox.env();
    for (name, dir) in [
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_STATE_HOME", "state"),
    ] {
        env.push((name.into(), home.join(dir).display().to_string()));
    }
    env.push(("HOME".into(), home.display().to_string()));
    let tmux =
        common::tmux::Tmux::start("readonly", &env, env!("CARGO_BIN_EXE_lifeboat"), (160, 48));
    let dashboard = tmux.wait_for("refresh every 5s", 30);
    assert!(dashboard.contains(" lifeboat  READ-ONLY "), "{dashboard}");

    tmux.keys(&[":"]);
    tmux.type_text("backup");
    tmux.keys(&["Enter"]);
    let form = tmux.wait_for("Cluster backup", 10);
    assert!(form.contains("READ-ONLY"), "{form}");
    assert!(form.contains("--docker etcd_configured"), "{form}");
    assert!(
        form.contains(&backups.display().to_string()),
        "the bundle goes under backups_dir: {form}"
    );
    // This host, not the configured container (which does not exist here).
    tmux.keys(&["Tab", "Tab", "Left", "Left"]);
    let form = tmux.screen();
    assert!(!form.contains("--docker"), "{form}");
    tmux.keys(&["Enter"; 3]);
    tmux.wait_for("the plan, before anything runs", 20);
    tmux.keys(&["Enter"]);
    let refused = tmux.wait_for("read-only mode is on", 30);
    assert!(refused.contains("READ-ONLY"), "{refused}");
    assert!(
        !backups.exists() || std::fs::read_dir(&backups).map(|d| d.count()).unwrap_or(0) == 0,
        "nothing is written under {}",
        backups.display()
    );
}
