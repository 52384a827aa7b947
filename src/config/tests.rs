use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

fn file() -> PathBuf {
    PathBuf::from("/home/ops/.config/lifeboat/config.toml")
}

#[test]
fn a_full_file_sets_every_value_and_names_itself_as_their_origin() {
    let text = r#"
backups_dir = "/srv/backups"
refresh_interval = "5s"
learner_threshold = "1GB"
docker_container = "etcd_container"
readonly = true
"#;
    let settings = parse_file(&file(), text).expect("a valid file");
    assert_eq!(
        settings.backups_dir.value,
        Some(PathBuf::from("/srv/backups"))
    );
    assert_eq!(settings.refresh_interval.value, Duration::from_secs(5));
    assert_eq!(settings.learner_threshold.value, 1_000_000_000);
    assert_eq!(
        settings.docker_container.value.as_deref(),
        Some("etcd_container")
    );
    assert!(settings.readonly.value);
    assert_eq!(settings.readonly.origin, Origin::File(file()));
    assert_eq!(settings.file, Some(file()));
}

#[test]
fn numbers_are_accepted_where_people_write_them() {
    let settings = parse_file(&file(), "refresh_interval = 10\nlearner_threshold = 0\n")
        .expect("a valid file");
    assert_eq!(settings.refresh_interval.value, Duration::from_secs(10));
    assert_eq!(settings.learner_threshold.value, 0);
    // What the file does not name keeps its default.
    assert_eq!(settings.readonly, Setting::default(false));
}

#[test]
fn errors_name_the_file_the_key_and_the_problem() {
    let cases = [
        (
            "readonly = \"yes\"",
            "readonly",
            "expected true or false, found a string",
        ),
        ("refesh_interval = 5", "refesh_interval", "unknown key"),
        ("refresh_interval = 0", "refresh_interval", "from 1 to 3600"),
        (
            "learner_threshold = \"7 parsecs\"",
            "learner_threshold",
            "unknown unit",
        ),
        ("learner_threshold = -1", "learner_threshold", "negative"),
        ("backups_dir = \"backups\"", "backups_dir", "absolute path"),
        (
            "docker_container = \"etcd; rm -rf /\"",
            "docker_container",
            "not a container name",
        ),
    ];
    for (text, key, problem) in cases {
        let error = parse_file(&file(), text).expect_err(text);
        let ConfigError::Key { key: named, .. } = &error else {
            panic!("{text}: expected a key error, got {error:?}");
        };
        assert_eq!(named, key, "{text}");
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("{}: key `{key}`: ", file().display())),
            "{message}"
        );
        assert!(message.contains(problem), "{text}: {message}");
    }
}

#[test]
fn a_syntax_error_names_the_file() {
    let error = parse_file(&file(), "readonly = \n").expect_err("not TOML");
    assert!(matches!(error, ConfigError::Syntax { .. }), "{error:?}");
    assert!(error.to_string().starts_with(&file().display().to_string()));
}

#[test]
fn environment_beats_file_and_flag_beats_environment() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("config.toml");
    std::fs::write(
        &path,
        "readonly = true\nrefresh_interval = 30\nbackups_dir = \"/a\"\n",
    )
    .expect("the file is written");
    let config = path.display().to_string();
    let env = env_of(&[
        (CONFIG_ENV, &config),
        ("LIFEBOAT_READONLY", "0"),
        ("LIFEBOAT_BACKUPS_DIR", "/b"),
    ]);
    let settings = load(Flags::default(), &env).expect("valid settings");
    assert!(!settings.readonly.value);
    assert_eq!(
        settings.readonly.origin,
        Origin::Environment("LIFEBOAT_READONLY")
    );
    assert_eq!(settings.backups_dir.value, Some(PathBuf::from("/b")));
    assert_eq!(settings.refresh_interval.value, Duration::from_secs(30));
    assert_eq!(settings.refresh_interval.origin, Origin::File(path.clone()));

    let settings = load(Flags { readonly: true }, &env).expect("valid settings");
    assert!(settings.readonly.value);
    assert_eq!(settings.readonly.origin, Origin::Flag("--readonly"));
    assert_eq!(
        settings.readonly_exit().as_deref(),
        Some("run the command again without --readonly")
    );
}

#[test]
fn a_missing_default_file_is_no_error_but_a_named_one_is() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let missing = dir.path().join("nope.toml").display().to_string();
    let error = load(Flags::default(), &env_of(&[(CONFIG_ENV, &missing)]))
        .expect_err("a named file must exist");
    assert!(matches!(error, ConfigError::Read { .. }), "{error:?}");
    assert!(
        read_if_present(Path::new(&missing), false)
            .expect("absent is fine")
            .is_none()
    );
}

#[test]
fn a_bad_environment_value_names_the_variable() {
    let error = load(
        Flags::default(),
        &env_of(&[(CONFIG_ENV, "/dev/null"), ("LIFEBOAT_READONLY", "maybe")]),
    )
    .expect_err("maybe is not a boolean");
    assert_eq!(
        error.to_string(),
        "environment variable LIFEBOAT_READONLY=\"maybe\": expected 1, true, yes, on or 0, false, no, off"
    );
}

proptest! {
    /// Whatever the file holds, reading it gives settings or an error, never a panic.
    #[test]
    fn any_text_gives_settings_or_an_error(text in "\\PC*") {
        let _ = parse_file(&file(), &text);
    }

    /// Lines that look like the file's own (known keys, any value) reach the value checks.
    #[test]
    fn any_value_of_a_known_key_gives_settings_or_an_error(
        key in prop::sample::select(parse::KEYS.to_vec()),
        value in "[-0-9a-zA-Z\"./ _:;]{0,24}",
    ) {
        let _ = parse_file(&file(), &format!("{key} = {value}\n"));
    }

    #[test]
    fn any_environment_value_gives_settings_or_an_error(
        name in prop::sample::select(vec![
            "LIFEBOAT_BACKUPS_DIR", "LIFEBOAT_REFRESH_INTERVAL", "LIFEBOAT_LEARNER_THRESHOLD",
            "LIFEBOAT_DOCKER_CONTAINER", "LIFEBOAT_READONLY",
        ]),
        value in "\\PC{0,24}",
    ) {
        let mut settings = Settings::default();
        let env = env_of(&[(name, value.as_str())]);
        let _ = parse::apply_environment(&mut settings, &env);
    }
}
