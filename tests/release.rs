//! What ships beside the binary: shell completions and the man page, both made from the clap
//! definitions, tried in the real shell and the real man; and the portable build of `make
//! release`, run here against a real cluster.

mod common;

use std::path::PathBuf;
use std::process::Command;

use common::{Lifeboat, Sandbox, have, path, text};

#[test]
fn bash_completion_loads_and_completes_subcommands() {
    if !have("bash") {
        return;
    }
    let lifeboat = Lifeboat::new();
    let script = lifeboat.run(&["completions", "bash"]);
    assert!(script.status.success(), "{}", text(&script));
    let file = lifeboat.home.path().join("lifeboat.bash");
    std::fs::write(&file, &script.stdout).expect("script written");

    // Sourced as a user's .bashrc would; then bash's own completion machinery asked for the
    // words after `lifeboat ` and after `lifeboat backup cluster --`.
    let probe = format!(
        r#"source {file}
complete -p lifeboat
COMP_WORDS=(lifeboat ""); COMP_CWORD=1; COMP_LINE="lifeboat "; COMP_POINT=${{#COMP_LINE}}
_lifeboat lifeboat "" lifeboat
echo "subcommands: ${{COMPREPLY[*]}}"
COMP_WORDS=(lifeboat --rea); COMP_CWORD=1; COMP_LINE="lifeboat --rea"; COMP_POINT=${{#COMP_LINE}}
_lifeboat lifeboat --rea lifeboat
echo "flags: ${{COMPREPLY[*]}}""#,
        file = path(&file)
    );
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", &probe])
        .output()
        .expect("bash runs");
    let said = text(&output);
    assert!(output.status.success(), "{said}");
    assert!(said.contains("-F _lifeboat lifeboat"), "{said}");
    assert!(
        said.lines().any(|l| l.starts_with("subcommands: ")
            && l.contains("backup")
            && l.contains("completions")),
        "{said}"
    );
    assert!(said.contains("flags: --readonly"), "{said}");
}

#[test]
fn zsh_and_fish_scripts_are_theirs() {
    let lifeboat = Lifeboat::new();
    for (shell, marker) in [
        ("zsh", "#compdef lifeboat"),
        ("fish", "complete -c lifeboat"),
    ] {
        let script = lifeboat.run(&["completions", shell]);
        assert!(script.status.success(), "{}", text(&script));
        assert!(text(&script).contains(marker), "{shell}: {}", text(&script));
    }
    let unknown = lifeboat.run(&["completions", "cmd.exe"]);
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
}

#[test]
fn the_man_page_renders_with_man() {
    if !have("man") {
        return;
    }
    let lifeboat = Lifeboat::new();
    let page = lifeboat.run(&["man"]);
    assert!(page.status.success(), "{}", text(&page));
    let file = lifeboat.home.path().join("lifeboat.1");
    std::fs::write(&file, &page.stdout).expect("page written");
    let output = Command::new("man")
        .args(["-l", path(&file)])
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LANG", "C.UTF-8")
        .output()
        .expect("man runs");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{}", text(&output));
    for expected in [
        "NAME",
        "lifeboat",
        "SYNOPSIS",
        "--readonly",
        "SUBCOMMANDS",
        "completions",
    ] {
        assert!(
            shown.contains(expected),
            "{expected} missing from:\n{shown}"
        );
    }
    // No roff left unrendered (a bad escape shows as a backslash or a dot line).
    assert!(
        !shown.lines().any(|l| l.trim_start().starts_with(".TH")),
        "{shown}"
    );
}

/// `make release` leaves the portable binary in dist/; `make test` builds it first.
fn dist_binary() -> Option<PathBuf> {
    let binary = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist/lifeboat");
    if binary.is_file() {
        return Some(binary);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "{} is missing: `make test` runs `make release` first",
            binary.display()
        );
    }
    eprintln!(
        "SKIPPED: {} is not built (run `make release`)",
        binary.display()
    );
    None
}

#[test]
fn the_portable_binary_runs_here_against_a_real_cluster() {
    let Some(binary) = dist_binary() else { return };
    if !have("etcd") || !have("etcdctl") {
        return;
    }
    let version = Command::new(&binary)
        .arg("--version")
        .output()
        .expect("runs");
    assert!(version.status.success(), "{}", text(&version));
    assert!(
        text(&version).starts_with(&format!("lifeboat {}", env!("CARGO_PKG_VERSION"))),
        "{}",
        text(&version)
    );
    let sandbox = Sandbox::up(1);
    let status = Command::new(&binary)
        .envs(sandbox.env())
        .env("HOME", sandbox.lifeboat.home.path())
        .env(
            "XDG_CONFIG_HOME",
            sandbox.lifeboat.home.path().join("config"),
        )
        .args(["status"])
        .output()
        .expect("runs");
    assert!(status.status.success(), "{}", text(&status));
    let page = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("dist/lifeboat.1");
    assert!(
        page.is_file(),
        "make release writes the man page beside the binary"
    );
}
