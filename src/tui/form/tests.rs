//! The forms' rules on a made-up host: pre-selection, errors as typed, and the command line
//! that the CLI reads back into the same request.

use clap::Parser;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::probe::tests::FakeHost;
use super::*;
use crate::cli::{BackupCommand, Cli, Command, MemberCommand, RestoreCommand};

fn press(form: &mut Form, host: &FakeHost, code: KeyCode) -> FormEvent {
    form.on_key(KeyEvent::new(code, KeyModifiers::NONE), host)
}

fn type_text(form: &mut Form, host: &FakeHost, text: &str) {
    for c in text.chars() {
        press(form, host, KeyCode::Char(c));
    }
}

fn clear(form: &mut Form, host: &FakeHost) {
    for _ in 0..80 {
        press(form, host, KeyCode::Backspace);
    }
}

fn error_of(form: &Form, key: &str) -> Option<String> {
    value_of(&form.fields, key).and_then(|f| f.error.clone())
}

fn member(name: &str, n: u8, healthy: bool) -> MemberChoice {
    MemberChoice {
        name: name.into(),
        id: 0x1000 + u64::from(n),
        healthy,
        peer_urls: vec![format!("https://10.0.0.{n}:2380")],
        client_urls: vec![format!("https://10.0.0.{n}:2379")],
        error: (!healthy).then(|| "connection refused".into()),
        diverged: false,
    }
}

fn replace_spec() -> ReplaceForm {
    ReplaceForm {
        members: vec![
            member("etcd-1", 1, true),
            member("etcd-2", 2, true),
            member("etcd-3", 3, false),
        ],
        db_size: Some(30 << 20),
        preselect: None,
        etcd_conf: "/etc/etcd/etcd.conf".into(),
        ca_dir: "/etc/etcd/ca".into(),
        default_out: "/root/join".into(),
        process_cluster: None,
    }
}

fn etcd_host() -> FakeHost {
    FakeHost::with(
        &[
            "/etc/etcd/etcd.conf",
            "/etc/etcd/ca/",
            "/etc/etcd/ca/ca.crt",
            "/etc/etcd/ca/ca.key",
        ],
        1 << 40,
    )
}

/// The CLI's reading of a command line, as a request.
fn cli_request(line: &[String]) -> FormRequest {
    let cli = Cli::try_parse_from(line).expect("the CLI takes the form's command line");
    match cli.command {
        Some(Command::Backup {
            command: BackupCommand::Cluster(args),
        }) => FormRequest::Backup(args.request()),
        Some(Command::Restore {
            command: RestoreCommand::Cluster(args),
        }) => FormRequest::Restore(args.request()),
        Some(Command::Member {
            command: MemberCommand::Replace(args),
        }) => FormRequest::Replace(args.request()),
        Some(Command::Member {
            command: MemberCommand::Join(args),
        }) => FormRequest::Join(args.request()),
        Some(Command::Restore {
            command: RestoreCommand::Quorum(args),
        }) => FormRequest::Quorum(args.request()),
        other => panic!("not a guided procedure: {other:?}"),
    }
}

fn argv(request: &FormRequest) -> Vec<String> {
    use crate::requests::CommandLine;
    match request {
        FormRequest::Backup(r) => r.argv(),
        FormRequest::Restore(r) => r.argv(),
        FormRequest::Replace(r) => r.argv(),
        FormRequest::Join(r) => r.argv(),
        FormRequest::Quorum(r) => r.argv(),
    }
}

#[test]
fn the_one_member_that_is_down_is_chosen_and_a_free_name_proposed() {
    let host = etcd_host();
    let form = replace_spec().form(&host);
    assert_eq!(answer(&form.fields, "failed"), "etcd-3");
    assert_eq!(answer(&form.fields, "name"), "etcd-4");
    assert!(
        error_of(&form, "host").is_some(),
        "the new host is not known yet"
    );
}

#[test]
fn the_replace_form_checks_each_answer_as_it_is_typed() {
    let host = etcd_host();
    let mut form = replace_spec().form(&host);
    press(&mut form, &host, KeyCode::Tab);
    clear(&mut form, &host);
    type_text(&mut form, &host, "etcd-1");
    assert_eq!(
        error_of(&form, "name"),
        Some("a member named etcd-1 already exists".into())
    );
    clear(&mut form, &host);
    type_text(&mut form, &host, "etcd-3");
    assert_eq!(
        error_of(&form, "name"),
        None,
        "the failed member's name becomes free"
    );
    press(&mut form, &host, KeyCode::Tab);
    type_text(&mut form, &host, "10.0.0.300");
    assert!(error_of(&form, "host").is_some_and(|e| e.contains("not a valid IP")));
    press(&mut form, &host, KeyCode::Backspace);
    press(&mut form, &host, KeyCode::Backspace);
    press(&mut form, &host, KeyCode::Backspace);
    type_text(&mut form, &host, "2");
    assert_eq!(error_of(&form, "host"), None);
    assert_eq!(
        error_of(&form, "client"),
        Some("etcd-2 already uses port 2379 on that host".into())
    );
    clear(&mut form, &host);
    type_text(&mut form, &host, "10.0.0.14");
    assert_eq!(error_of(&form, "client"), None);
}

#[test]
fn enter_on_the_last_answer_submits_only_when_every_answer_is_valid() {
    let host = etcd_host();
    let mut form = replace_spec().form(&host);
    for _ in 1..form.fields.len() {
        press(&mut form, &host, KeyCode::Enter);
    }
    assert_eq!(
        form.focus,
        form.fields.len() - 1,
        "Enter moves to the next answer"
    );
    assert_eq!(press(&mut form, &host, KeyCode::Enter), FormEvent::Editing);
    assert!(form.tried);
    assert_eq!(
        form.fields[form.focus].key, "host",
        "the focus goes to the wrong answer"
    );
    type_text(&mut form, &host, "10.0.0.14");
    let submitted = (0..form.fields.len())
        .map(|_| press(&mut form, &host, KeyCode::Enter))
        .find(|e| matches!(e, FormEvent::Submit(_)));
    let Some(FormEvent::Submit(request)) = submitted else {
        panic!(
            "the form did not submit: {:?}",
            form.fields.iter().map(|f| &f.error).collect::<Vec<_>>()
        );
    };
    assert_eq!(
        request.command_line(),
        "lifeboat member replace --failed etcd-3 --new-name etcd-4 --new-host 10.0.0.14 --out /root/join --ca-dir /etc/etcd/ca --etcd-conf /etc/etcd/etcd.conf"
    );
    assert_eq!(cli_request(&argv(&request)), request);
    assert_eq!(press(&mut form, &host, KeyCode::Esc), FormEvent::Cancel);
}

#[test]
fn the_backup_form_refuses_an_existing_directory_and_a_stop_without_a_data_dir_copy() {
    let host = FakeHost::with(&["/backups/cluster-1/"], 1 << 30);
    let spec = BackupForm {
        db_size: Some(2 << 30),
        containers: vec![("etcd_container".into(), "registry/etcd:3.4".into())],
        default_out: "/backups/cluster-2".into(),
    };
    let mut form = spec.form(&host);
    assert!(error_of(&form, "out").is_some_and(|e| e.contains("only 1.0 GiB free")));
    assert_eq!(
        answer(&form.fields, "where"),
        "etcd_container",
        "a container found is proposed"
    );
    clear(&mut form, &host);
    type_text(&mut form, &host, "/backups/cluster-1");
    assert!(error_of(&form, "out").is_some_and(|e| e.contains("already exists")));
    form.focus = 3;
    press(&mut form, &host, KeyCode::Right);
    assert!(error_of(&form, "stop").is_some_and(|e| e.contains("nothing to stop")));
    let request = form.spec.request(&form.fields).expect("a request");
    assert_eq!(cli_request(&argv(&request)), request);
    assert!(
        request
            .command_line()
            .contains("--docker etcd_container --stop-etcd")
            || request.command_line().contains("--stop-etcd")
    );
}

#[test]
fn a_restore_of_one_member_of_three_is_refused_with_the_way_that_applies() {
    let host = FakeHost::with(&[], 1 << 40);
    let bundle = |name: &str, snapshot| BundleChoice {
        path: format!("/backups/{name}").into(),
        summary: name.into(),
        snapshot,
    };
    let spec = RestoreForm {
        bundles: vec![bundle("cluster-2", false), bundle("cluster-1", true)],
        live_members: Some(3),
        containers: vec![],
        etcd_conf: None,
        backups_dir: "/backups".into(),
        disaster_recovery: false,
    };
    let mut form = spec.form(&host);
    assert_eq!(
        answer(&form.fields, "scope"),
        "disaster-recovery",
        "three members: DR is proposed"
    );
    assert!(error_of(&form, "bundle").is_some_and(|e| e.contains("data-dir backup")));
    press(&mut form, &host, KeyCode::Right);
    assert_eq!(
        answer(&form.fields, "bundle"),
        "/backups/cluster-1",
        "not the newest"
    );
    assert_eq!(error_of(&form, "bundle"), None);
    form.focus = 1;
    press(&mut form, &host, KeyCode::Left);
    assert!(error_of(&form, "scope").is_some_and(|e| e.contains(":replace")));
    press(&mut form, &host, KeyCode::Right);
    let request = form.spec.request(&form.fields).expect("a request");
    assert_eq!(
        request.command_line(),
        "lifeboat restore cluster --from /backups/cluster-1 --disaster-recovery"
    );
    assert_eq!(cli_request(&argv(&request)), request);
}

#[test]
fn the_join_form_needs_a_bundle_that_is_there() {
    let host = FakeHost::with(&["/etc/etcd/etcd-4.tgz"], 1 << 40);
    let mut form = JoinForm {
        bundles: vec![],
        systemd: false,
        process_cluster: None,
    }
    .form(&host);
    assert!(error_of(&form, "bundle").is_some());
    assert_eq!(answer(&form.fields, "start"), "process", "no systemd here");
    type_text(&mut form, &host, "/etc/etcd/etcd-4.tgz");
    assert_eq!(error_of(&form, "bundle"), None);
    let request = form.spec.request(&form.fields).expect("a request");
    assert_eq!(
        request.command_line(),
        "lifeboat member join --bundle /etc/etcd/etcd-4.tgz --start process"
    );
    assert_eq!(cli_request(&argv(&request)), request);
}

#[test]
fn the_quorum_form_keeps_the_highest_raft_index_and_says_what_another_costs() {
    let host = etcd_host();
    let survivor = |name: &str, raft_index| SurvivorChoice {
        name: name.into(),
        raft_index,
    };
    let spec = QuorumForm {
        survivors: vec![survivor("etcd-1", 900), survivor("etcd-2", 950)],
        voters: 5,
    };
    let mut form = spec.form(&host);
    let Input::Choice { options, .. } = &form.fields[0].input else {
        panic!("the survivor is a choice");
    };
    assert_eq!(
        options[0].label,
        "etcd-2 — raft index 950 (the highest: nothing it applied is lost)"
    );
    assert_eq!(
        options[1].label,
        "etcd-1 — raft index 900 (50 entries behind: the writes in between are lost)"
    );
    let FormEvent::Submit(best) = press(&mut form, &host, KeyCode::Enter) else {
        panic!("the best survivor needs nothing else");
    };
    assert_eq!(argv(&best), ["lifeboat", "restore", "quorum"]);
    assert_eq!(cli_request(&argv(&best)), best);

    press(&mut form, &host, KeyCode::Right);
    let FormEvent::Submit(other) = press(&mut form, &host, KeyCode::Enter) else {
        panic!("another survivor is a valid choice");
    };
    assert_eq!(
        argv(&other),
        ["lifeboat", "restore", "quorum", "--member", "etcd-1"]
    );
    assert_eq!(cli_request(&argv(&other)), other);

    let none = QuorumForm::default().form(&host);
    assert!(error_of(&none, "survivor").is_some_and(|e| e.contains(":dr")));
}
