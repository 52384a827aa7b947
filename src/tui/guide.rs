//! The guided path through a procedure: open it (menu, palette or member table), answer its
//! form, read the plan, run it, read the summary. State changes only; drawing is in `view`.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};

use super::app::{App, Screen};
use super::entry::Entry;
use super::form::{BackupForm, FormEvent, FormRequest, RealHost, ReplaceForm};
use super::msg::Effect;
use crate::facts::host::EtcdRuntime;
use crate::procedures::Procedure;
use crate::requests::CommandLine;

/// A refusal or error shown whole, with the procedures that apply instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub title: String,
    pub text: String,
    pub offers: Vec<Entry>,
}

/// Something a procedure wrote, as the summary shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Artifact {
    pub path: PathBuf,
    pub bytes: u64,
    /// Of the file, or of a bundle's manifest (which holds every file's digest).
    pub sha256: Option<String>,
}

/// Opens a procedure: its form, its picker, or (nothing to ask) its plan.
pub fn open_entry(app: &mut App, entry: Entry) -> Vec<Effect> {
    app.palette = None;
    app.message = None;
    app.member_detail = false;
    if app
        .wizard
        .as_ref()
        .is_some_and(|w| w.is_running() && !w.previewing)
    {
        app.screen = Screen::Wizard;
        app.notice = Some("A procedure is in progress: finish or abort it first.".into());
        return vec![];
    }
    match entry {
        Entry::HealthCheck => vec![Effect::StartPlan(Procedure::HealthCheck)],
        // They ask nothing: the gather reads every member's space and plans, or says why not.
        Entry::SpaceRecovery => vec![Effect::StartPlan(Procedure::SpaceRecovery)],
        Entry::Defrag => vec![Effect::StartPlan(Procedure::Defrag)],
        Entry::QuorumRestore => {
            show_form(app, quorum_form(app).form(&RealHost));
            vec![]
        }
        Entry::ClusterBackup => {
            show_form(app, backup_form(app).form(&RealHost));
            vec![]
        }
        Entry::ClusterRestore => vec![Effect::OpenRestoreForm {
            disaster_recovery: false,
        }],
        Entry::DisasterRecovery => vec![Effect::OpenRestoreForm {
            disaster_recovery: true,
        }],
        Entry::ReplaceMember => open_replace(app, None),
        Entry::JoinMember => vec![Effect::OpenJoinForm],
        Entry::ProjectExport => {
            app.project_picker = super::ProjectPicker::default();
            app.screen = Screen::ProjectPicker;
            vec![Effect::LoadProjects]
        }
        Entry::ProjectRestore => {
            app.backup_picker = super::BackupPicker::default();
            app.screen = Screen::BackupPicker;
            vec![Effect::LoadBackups]
        }
        Entry::BrowseBackup => {
            app.snapshot_browser = Default::default();
            app.screen = Screen::SnapshotBrowser;
            vec![Effect::LoadClusterBackups]
        }
        Entry::AppData => {
            app.appdata = super::AppDataPicker::default();
            app.screen = Screen::AppData;
            vec![Effect::LoadWorkloads]
        }
    }
}

/// The replace form, with `member` (chosen on the member table) or the one member that is
/// down pre-selected.
pub fn open_replace(app: &mut App, member: Option<u64>) -> Vec<Effect> {
    let mut spec = replace_form(app);
    spec.preselect = member;
    show_form(app, spec.form(&RealHost));
    vec![]
}

pub fn show_form(app: &mut App, form: super::form::Form) {
    app.form = Some(form);
    app.screen = Screen::Form;
    app.notice = None;
}

fn containers(app: &App) -> Vec<(String, String)> {
    app.health
        .iter()
        .flat_map(|h| &h.host.runtimes)
        .filter_map(|r| match r {
            EtcdRuntime::Container { name, image, .. } => Some((name.clone(), image.clone())),
            _ => None,
        })
        .collect()
}

fn largest_db(app: &App) -> Option<u64> {
    app.health
        .iter()
        .flat_map(|h| &h.members)
        .filter_map(|m| m.status.as_ref())
        .map(|s| u64::try_from(s.db_size).unwrap_or(0))
        .max()
}

fn backup_form(app: &App) -> BackupForm {
    BackupForm {
        db_size: largest_db(app),
        containers: containers(app),
        default_out: crate::paths::backups_dir()
            .map(|d| d.join(crate::paths::stamped("cluster")))
            .unwrap_or_default(),
    }
}

/// The survivors as the dashboard last saw them: voting members that answered.
fn quorum_form(app: &App) -> super::form::QuorumForm {
    let members = app.health.iter().flat_map(|h| &h.members);
    super::form::QuorumForm {
        voters: members.clone().filter(|m| !m.is_learner).count(),
        survivors: members
            .filter(|m| !m.is_learner)
            .filter_map(|m| {
                let status = m.status.as_ref()?;
                Some(super::form::SurvivorChoice {
                    name: m.name.clone(),
                    raft_index: status.raft_index,
                })
            })
            .collect(),
    }
}

fn replace_form(app: &App) -> ReplaceForm {
    let members = app
        .health
        .iter()
        .flat_map(|h| &h.members)
        .map(|m| super::form::MemberChoice {
            name: m.name.clone(),
            id: m.id,
            healthy: m.healthy,
            peer_urls: m.peer_urls.clone(),
            client_urls: m.client_urls.clone(),
            error: m.error.clone(),
            diverged: m.diverged,
        })
        .collect();
    let layout = crate::gather::host_layout(
        app.connection.as_ref(),
        crate::facts::ProcessCluster::path_from_env(),
    );
    ReplaceForm {
        members,
        db_size: largest_db(app),
        preselect: None,
        etcd_conf: layout.etcd_conf,
        ca_dir: layout.ca_dir,
        default_out: crate::paths::backups_dir()
            .map(|d| d.join("join"))
            .unwrap_or_default(),
        process_cluster: layout.process_cluster,
    }
}

/// The restore form without its bundles, which a task finds on disk.
pub fn restore_form(app: &App, disaster_recovery: bool) -> super::form::RestoreForm {
    let layout = crate::gather::host_layout(
        app.connection.as_ref(),
        crate::facts::ProcessCluster::path_from_env(),
    );
    super::form::RestoreForm {
        bundles: Vec::new(),
        live_members: app
            .health
            .as_ref()
            .filter(|h| h.member_list_error.is_none())
            .map(|h| h.members.len()),
        containers: containers(app),
        etcd_conf: Some(layout.etcd_conf).filter(|p| p.exists()),
        backups_dir: crate::paths::backups_dir().unwrap_or_default(),
        disaster_recovery,
    }
}

pub fn on_form_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(form) = app.form.as_mut() else {
        app.screen = Screen::Dashboard;
        return vec![];
    };
    // One plan at a time: the answers stay as they are until it arrives or is refused.
    if app.planning {
        return vec![];
    }
    match form.on_key(key, &RealHost) {
        FormEvent::Editing => vec![],
        FormEvent::Cancel => {
            app.form = None;
            app.screen = Screen::Dashboard;
            vec![]
        }
        FormEvent::Submit(request) => {
            app.notice = Some(format!("Planning: {}", request.command_line()));
            app.request = Some(request.clone());
            app.planning = true;
            vec![Effect::PlanRequest(request)]
        }
    }
}

/// Keys on a message: Esc back to where it came from, a digit opens what it offers.
pub fn on_message_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(message) = app.message.clone() else {
        return vec![];
    };
    match key.code {
        KeyCode::Char(c @ '1'..='9') => {
            let index = usize::from(c as u8 - b'1');
            match message.offers.get(index) {
                Some(entry) => open_entry(app, *entry),
                None => vec![],
            }
        }
        KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q') => {
            app.message = None;
            vec![]
        }
        _ => vec![],
    }
}

/// Shows a refusal whole, offering the procedures its text points to.
pub fn refuse(app: &mut App, text: String) {
    app.notice = None;
    app.message = Some(Message {
        title: "Not planned: nothing was changed".into(),
        offers: offers_for(&text),
        text,
    });
}

/// The procedures a refusal names as the way forward. Gather's refusals name them by their
/// command lines (`lifeboat member replace`, `--disaster-recovery`), so that the CLI and the
/// TUI give the same advice; here those names become keys.
pub fn offers_for(text: &str) -> Vec<Entry> {
    let named = [
        ("member replace", Entry::ReplaceMember),
        ("restore quorum", Entry::QuorumRestore),
        ("disaster-recovery", Entry::DisasterRecovery),
        ("backup cluster", Entry::ClusterBackup),
        ("restore cluster", Entry::ClusterRestore),
        ("member join", Entry::JoinMember),
    ];
    named
        .iter()
        .filter(|(words, _)| text.contains(words))
        .map(|(_, entry)| *entry)
        .collect()
}

/// What the engineer does after the procedure, as commands.
pub fn next_steps(request: &FormRequest) -> Vec<String> {
    match request {
        FormRequest::Backup(r) => vec![
            format!("lifeboat verify {}", r.out.display()),
            format!(
                "Copy it off this host, e.g. scp -r {} BACKUP-HOST:/srv/etcd-backups/",
                r.out.display()
            ),
            format!(
                "To restore it: lifeboat restore cluster --from {}",
                r.out.display()
            ),
        ],
        FormRequest::Restore(r) => {
            let mut steps = vec![
                "lifeboat status   # every member healthy, the revision of the backup".to_string(),
                "Restart the API servers so their watch caches start from the restored data: \
                 systemctl restart atomic-openshift-master-api atomic-openshift-master-controllers"
                    .to_string(),
            ];
            if r.disaster_recovery {
                steps.push(
                    "Other hosts: run the checklist the plan printed for each, then add members \
                     back with lifeboat member replace"
                        .into(),
                );
            }
            steps
        }
        FormRequest::Replace(r) => {
            let bundle = r.out.join(format!("{}.tgz", r.new_name));
            vec![
                format!("scp {} {}:/etc/etcd/", bundle.display(), r.new_host),
                format!(
                    "On {}: lifeboat member join --bundle /etc/etcd/{}.tgz",
                    r.new_host, r.new_name
                ),
                "Then: lifeboat status   # the new member healthy and caught up".into(),
                "Add the new member's client URL to etcdClientInfo.urls in every master's \
                 master-config.yaml and restart the API servers"
                    .into(),
            ]
        }
        // The members to add back are the plan's own hand-over (Plan::handover).
        FormRequest::Quorum(_) => vec![],
        FormRequest::Join(_) => vec![
            "lifeboat status   # every member healthy, the new one caught up".into(),
            "Add this member's client URL to etcdClientInfo.urls in every master's \
             master-config.yaml and restart the API servers"
                .into(),
        ],
    }
}

/// What the procedure writes, to be measured and hashed for the summary.
pub fn artifact_paths(request: &FormRequest) -> Vec<PathBuf> {
    match request {
        FormRequest::Backup(r) => vec![r.out.clone()],
        FormRequest::Replace(r) => vec![r.out.join(format!("{}.tgz", r.new_name))],
        FormRequest::Restore(_) | FormRequest::Join(_) | FormRequest::Quorum(_) => vec![],
    }
}

/// The command line of the request the wizard on screen was planned from.
pub fn equivalent_command(app: &App) -> Option<String> {
    app.request.as_ref().map(|r| match r {
        FormRequest::Backup(r) => r.command_line(),
        FormRequest::Restore(r) => r.command_line(),
        FormRequest::Replace(r) => r.command_line(),
        FormRequest::Join(r) => r.command_line(),
        FormRequest::Quorum(r) => r.command_line(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_offers_the_procedures_it_names() {
        let text = "this cluster has 3 members ... `lifeboat member replace` recovers it ... \
                    `lifeboat restore cluster --from B --disaster-recovery` restores every member";
        assert_eq!(
            offers_for(text),
            vec![
                Entry::ReplaceMember,
                Entry::DisasterRecovery,
                Entry::ClusterRestore
            ]
        );
        assert!(offers_for("disk full").is_empty());
    }

    #[test]
    fn space_recovery_and_defragmentation_ask_nothing_and_open_their_plans() {
        let mut app = App::new(None, jiff::Timestamp::now());
        for (entry, procedure) in [
            (Entry::SpaceRecovery, Procedure::SpaceRecovery),
            (Entry::Defrag, Procedure::Defrag),
        ] {
            let effects = open_entry(&mut app, entry);
            assert!(
                matches!(effects.as_slice(), [Effect::StartPlan(p)] if *p == procedure),
                "{entry:?} opens {effects:?}"
            );
        }
    }

    #[test]
    fn a_replacement_ends_with_copying_the_bundle_and_joining() {
        let request = FormRequest::Replace(crate::requests::MemberReplaceRequest {
            failed: "etcd-3".into(),
            new_name: "etcd-4".into(),
            new_host: "10.0.0.14".into(),
            client_port: 2379,
            peer_port: 2380,
            out: "/root/join".into(),
            learner_threshold: 700_000_000,
            ca_dir: None,
            etcd_conf: None,
            process_cluster: None,
        });
        let steps = next_steps(&request);
        assert_eq!(steps[0], "scp /root/join/etcd-4.tgz 10.0.0.14:/etc/etcd/");
        assert!(steps[1].contains("lifeboat member join --bundle /etc/etcd/etcd-4.tgz"));
        assert_eq!(
            artifact_paths(&request),
            vec![PathBuf::from("/root/join/etcd-4.tgz")]
        );
    }
}
