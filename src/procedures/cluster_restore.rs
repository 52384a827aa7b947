//! Cluster restore (the procedure's "Cluster Restore"), and etcd's disaster-recovery restore of
//! every member from one snapshot when the cluster has more than one.
//!
//! The order is the point: verify the bundle before touching anything, stop etcd and wait until
//! it is really down, keep the current data directory as `DIR.orig` (never delete it), restore,
//! fix labels and ownership, start, and prove the result against the bundle's own figures.

use std::path::{Path, PathBuf};

use super::EtcdService;
use crate::bundle::SnapshotStats;
use crate::connection::ConnectionSettings;
use crate::plan::{Action, Check, CommandSpec, EtcdState, Plan, Risk, Step, Target, shell_join};

/// What the bundle gives back to etcd.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RestoreData {
    /// A v3 snapshot, restored into a fresh data directory by `etcdctl snapshot restore`.
    Snapshot(PathBuf),
    /// The procedure's data-directory backup, copied back as `cp -Rp` does.
    DataDir(PathBuf),
}

/// One etcd member to restore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RestoreMember {
    pub name: String,
    pub peer_url: String,
    pub client_urls: Vec<String>,
    /// The data directory as this host sees it (for a container, the host side of its mount).
    pub data_dir: PathBuf,
    /// The free `DIR.orig[.N]` name the current data directory moves to; `None` when there is
    /// no data directory to keep.
    pub keep_as: Option<PathBuf>,
    pub service: EtcdService,
    /// The etcd.conf etcd reads at start, edited for a data-directory restore's first start.
    pub conf: Option<PathBuf>,
    /// Whether lifeboat can act on this member from here; the others get the exact commands to
    /// run on their hosts as a checklist.
    pub local: bool,
    /// For a container: the image to run `etcdctl`/`cp` from, with the data dir mounted.
    pub image: Option<String>,
}

/// The certificates and keys archive and where it goes back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificatesRestore {
    pub archive: PathBuf,
    pub into: PathBuf,
    /// A new archive that receives the files the restore overwrites.
    pub keep_old: PathBuf,
}

#[derive(Clone, Debug)]
pub struct ClusterRestoreFacts {
    pub connection: ConnectionSettings,
    pub bundle: PathBuf,
    pub bundle_host: String,
    pub data: RestoreData,
    pub stats: Option<SnapshotStats>,
    /// `None` when the bundle holds no certificates (with the reason).
    pub certificates: Result<CertificatesRestore, String>,
    /// Installation files saved in the bundle, named in the reinstall checklist.
    pub installation_archives: Vec<String>,
    pub members: Vec<RestoreMember>,
    /// The etcd disaster-recovery path: every member restored from the same snapshot with a
    /// new cluster token. Only chosen explicitly.
    pub disaster_recovery: bool,
    pub cluster_token: String,
    /// etcdctl on this host (for local restores).
    pub etcdctl: String,
    /// etcdutl on this host: etcd 3.5+ restores with it, and 3.6's etcdctl no longer can.
    pub etcdutl: Option<String>,
    /// `chcon` when SELinux is enabled here, or why labels are left alone.
    pub selinux: Result<PathBuf, String>,
    /// `etcd:etcd` when the etcd user exists, or why ownership is left alone.
    pub owner: Result<String, String>,
}

/// Environment etcd reads like its `--force-new-cluster` flag: a data-directory backup carries
/// rewritten member IDs, so its first start must form a new one-member cluster.
pub const FORCE_NEW_CLUSTER: &str = "ETCD_FORCE_NEW_CLUSTER";

fn step(title: &str, reason: &str, risk: Risk, action: Action, if_failed: &str) -> Step {
    Step {
        title: title.into(),
        reason: reason.into(),
        risk,
        check: match action {
            Action::Run(_) => Check::ExitSuccess,
            Action::Manual { .. } => Check::Confirmed,
            _ => Check::Completed,
        },
        action,
        if_failed: if_failed.into(),
        always_run: false,
        required: false,
    }
}

/// A step the plan relies on: the runner refuses to skip it (see `Step::required`).
fn required(step: Step) -> Step {
    Step {
        required: true,
        ..step
    }
}

fn skip(title: &str, reason: String) -> Step {
    step(
        title,
        &reason,
        Risk::ReadOnly,
        Action::Skip {
            reason: reason.clone(),
        },
        "",
    )
}

pub fn plan_cluster_restore(facts: &ClusterRestoreFacts) -> Plan {
    let local: Vec<&RestoreMember> = facts.members.iter().filter(|m| m.local).collect();
    let way_back = way_back(facts, &local);
    let mut steps = vec![
        required(step(
            "Verify the bundle",
            "A restore from a damaged bundle destroys a cluster that might still have been saved: \
             every file is checked against the manifest's SHA-256 before anything is stopped.",
            Risk::ReadOnly,
            Action::VerifyBundle {
                bundle: facts.bundle.clone(),
            },
            "Nothing was changed. Use another bundle: `lifeboat verify` says which file is damaged.",
        )),
        prerequisites(facts),
    ];
    steps.push(match &facts.certificates {
        Ok(certs) => step(
            "Restore the certificates and keys",
            &format!(
                "The procedure's `cd {} && tar xvf certs-and-keys-$(hostname).tar`: the keys the \
                 cluster was built with come back. Entries that would land outside the directory \
                 are refused; files it replaces are kept in {}.",
                certs.into.display(),
                certs.keep_old.display()
            ),
            Risk::Reversible,
            Action::RestoreArchive {
                archive: certs.archive.clone(),
                into: certs.into.clone(),
                keep_old: certs.keep_old.clone(),
            },
            &format!(
                "etcd was not touched. The certificates that were in place are in {}: `tar xpf` it \
                 in {} to put them back.",
                certs.keep_old.display(),
                certs.into.display()
            ),
        ),
        Err(reason) => skip("Restore the certificates and keys", reason.clone()),
    });
    for member in facts.members.iter().filter(|m| !m.local) {
        steps.push(remote_member_checklist(facts, member));
    }
    for member in &local {
        steps.push(required(step(
            &format!("Stop etcd ({})", member.service.describe()),
            "etcd must not run while its data directory is replaced: it would keep writing to the \
             files being moved.",
            Risk::Reversible,
            Action::Run(member.service.stop_command()),
            &format!(
                "Nothing was restored yet; start etcd again: {}",
                shell_join(member.service.start_command().argv)
            ),
        )));
    }
    steps.push(required(step(
        "Wait until etcd is really down",
        "A stop command can return while the process is still exiting and holding its files.",
        Risk::ReadOnly,
        Action::WaitForEtcd {
            endpoints: local.iter().flat_map(|m| m.client_urls.clone()).collect(),
            until: EtcdState::Down,
            timeout_secs: 60,
        },
        "Something still answers on the client URL: find the process (`ss -ltnp`) and stop it \
         before restoring; then start etcd again if you give up.",
    )));
    for member in &local {
        data_steps(facts, member, &way_back, &mut steps);
    }
    let force_new = matches!(facts.data, RestoreData::DataDir(_));
    if force_new {
        for member in &local {
            steps.push(conf_step(member, Some("true"), &way_back));
        }
    }
    start_and_wait(&local, &way_back, &mut steps);
    if force_new {
        for member in &local {
            steps.push(conf_step(member, None, &way_back));
            steps.push(step(
                &format!("Stop {} after its first start", member.name),
                "The new cluster is formed; etcd restarts without the force flag so that a later \
                 restart cannot reset its membership again.",
                Risk::Reversible,
                Action::Run(member.service.stop_command()),
                &way_back,
            ));
        }
        steps.push(step(
            "Wait until etcd is down again",
            "It must not be started twice.",
            Risk::ReadOnly,
            Action::WaitForEtcd {
                endpoints: local.iter().flat_map(|m| m.client_urls.clone()).collect(),
                until: EtcdState::Down,
                timeout_secs: 60,
            },
            &way_back,
        ));
        start_and_wait(&local, &way_back, &mut steps);
    }
    for member in &local {
        if let EtcdService::Container(name) = &member.service {
            steps.push(step(
                &format!("Check health from inside {name}"),
                "The container's own etcdctl, through `docker exec`, as the procedure checks a \
                 container-based install.",
                Risk::ReadOnly,
                Action::Run(
                    CommandSpec {
                        env: facts.connection.etcdctl_env(),
                        ..CommandSpec::local(["etcdctl", "endpoint", "health"])
                    }
                    .on(Target::DockerExec {
                        container: name.clone(),
                    }),
                ),
                &way_back,
            ));
        }
    }
    steps.push(match facts.stats {
        Some(stats) => step(
            "Compare with the bundle",
            "The restore is only done when etcd holds what the backup held: the same revision and \
             the same number of keys.",
            Risk::ReadOnly,
            Action::CompareWithBundle {
                revision: stats.revision,
                keys: stats.keys,
            },
            &format!("etcd runs, but not with the bundle's data. Nothing was deleted: {way_back}"),
        ),
        None => skip(
            "Compare with the bundle",
            "the bundle records no revision to compare with".into(),
        ),
    });
    Plan {
        procedure: "cluster-restore".into(),
        title: if facts.disaster_recovery {
            "etcd disaster recovery: every member from one snapshot".into()
        } else {
            "Cluster restore".into()
        },
        summary: summary(facts),
        etcdctl_flags: facts.connection.etcdctl_flags(),
        steps,
    }
}

fn summary(facts: &ClusterRestoreFacts) -> String {
    let what = match &facts.data {
        RestoreData::Snapshot(_) => "its v3 snapshot",
        RestoreData::DataDir(_) => "its data-directory backup",
    };
    if facts.disaster_recovery {
        format!(
            "DISASTER RECOVERY: replaces the data of all {} members with {what} from {} (taken on \
             {}), as a new cluster (token {}). Every write since the backup is lost. Current data \
             directories are kept as *.orig.",
            facts.members.len(),
            facts.bundle.display(),
            facts.bundle_host,
            facts.cluster_token
        )
    } else {
        format!(
            "Restores the single-member cluster from {} (taken on {}): certificates and keys, then \
             etcd from {what}. The current data directory is kept as *.orig, never deleted.",
            facts.bundle.display(),
            facts.bundle_host
        )
    }
}

fn prerequisites(facts: &ClusterRestoreFacts) -> Step {
    let mut checklist = vec![
        format!(
            "OpenShift is reinstalled the same way it was installed before{}",
            if facts.installation_archives.is_empty() {
                String::new()
            } else {
                format!(
                    " (the bundle keeps the installation files: {})",
                    facts.installation_archives.join(", ")
                )
            }
        ),
        "All necessary post-installation steps are done".to_string(),
        "The master API and controllers are stopped, so nothing writes to etcd while it is restored"
            .to_string(),
    ];
    if facts.disaster_recovery {
        checklist.push(format!(
            "Every member of the cluster is to be replaced from this one snapshot ({} members)",
            facts.members.len()
        ));
    }
    step(
        "Prerequisites of the procedure",
        "The procedure restores onto a reinstalled platform; lifeboat cannot check that for you.",
        Risk::ReadOnly,
        Action::Manual { checklist },
        "Nothing was changed.",
    )
}

/// What to tell the engineer once data directories may have moved: how to get back. The
/// failed restore is renamed, not deleted, so running these twice loses nothing either.
fn way_back(facts: &ClusterRestoreFacts, members: &[&RestoreMember]) -> String {
    let mut parts: Vec<String> = members
        .iter()
        .filter_map(|m| {
            m.keep_as.as_ref().map(|kept| {
                let dir = crate::fsutil::normalized(&m.data_dir).display().to_string();
                format!(
                    "`{} && {}`",
                    shell_join([
                        "mv".into(),
                        "-T".into(),
                        dir.clone(),
                        format!("{dir}.failed-restore")
                    ]),
                    shell_join(["mv".into(), "-T".into(), kept.display().to_string(), dir])
                )
            })
        })
        .collect();
    if matches!(facts.data, RestoreData::DataDir(_)) {
        parts.extend(members.iter().filter_map(|m| {
            m.conf
                .as_ref()
                .map(|conf| format!("remove {FORCE_NEW_CLUSTER} from {}", conf.display()))
        }));
    }
    if let Ok(certs) = &facts.certificates {
        parts.push(format!(
            "put the earlier certificates back if they were replaced (`tar xpf {} -C {}`)",
            certs.keep_old.display(),
            certs.into.display()
        ));
    }
    if parts.is_empty() {
        return "The old data directory did not exist; nothing to put back.".into();
    }
    format!(
        "To go back: stop etcd, then {}, and start etcd.",
        parts.join("; ")
    )
}

fn data_steps(
    facts: &ClusterRestoreFacts,
    member: &RestoreMember,
    way_back: &str,
    steps: &mut Vec<Step>,
) {
    let dir = &member.data_dir;
    steps.push(match &member.keep_as {
        Some(kept) => required(step(
            &format!("Keep {} as {}", dir.display(), file_name(kept)),
            "The current data is never deleted: it is the way back if the restore is not what you \
             wanted.",
            Risk::Reversible,
            Action::MoveAside {
                from: dir.clone(),
                to: kept.clone(),
            },
            &format!(
                "{} was not moved. Start etcd again: {}. {way_back}",
                dir.display(),
                shell_join(member.service.start_command().argv)
            ),
        )),
        None => skip(
            &format!("Keep {}", dir.display()),
            format!("{} does not exist: nothing to keep", dir.display()),
        ),
    });
    steps.push(step(
        &format!("Restore the etcd data into {}", dir.display()),
        &match &facts.data {
            RestoreData::Snapshot(_) => format!(
                "`etcdctl snapshot restore` builds a fresh data directory from the snapshot, with \
                 member {} at {} as in this host's configuration.",
                member.name, member.peer_url
            ),
            RestoreData::DataDir(_) => {
                "The procedure's `cp -Rp $ETCD_DATA_DIR.bak $ETCD_DATA_DIR`: \
                 modes, owners and times are kept."
                    .to_string()
            }
        },
        Risk::Destructive,
        Action::Run(restore_command(facts, member)),
        way_back,
    ));
    steps.push(match (&facts.selinux, &member.keep_as) {
        (Ok(chcon), Some(kept)) => step(
            "Restore the SELinux labels",
            "The restored files must carry the labels etcd's policy expects: copied from the kept \
             directory, as the procedure's `chcon -R --reference` does.",
            Risk::Reversible,
            Action::Run(CommandSpec::local([
                chcon.display().to_string(),
                "-R".into(),
                "--reference".into(),
                kept.display().to_string(),
                dir.display().to_string(),
            ])),
            way_back,
        ),
        (Ok(_), None) => skip(
            "Restore the SELinux labels",
            "there is no earlier data directory to copy labels from".into(),
        ),
        (Err(reason), _) => skip("Restore the SELinux labels", reason.clone()),
    });
    steps.push(match &facts.owner {
        Ok(owner) => step(
            "Give the data to the etcd user",
            "etcd runs as the etcd user and must own its data, as the procedure's `chown -R \
             etcd:etcd` does.",
            Risk::Reversible,
            Action::Run(CommandSpec::local([
                "chown".to_string(),
                "-R".into(),
                owner.clone(),
                dir.display().to_string(),
            ])),
            way_back,
        ),
        Err(reason) => skip("Give the data to the etcd user", reason.clone()),
    });
}

fn restore_command(facts: &ClusterRestoreFacts, member: &RestoreMember) -> CommandSpec {
    let dir = member.data_dir.display().to_string();
    let (program, args): (String, Vec<String>) = match &facts.data {
        RestoreData::Snapshot(file) => {
            let initial_cluster = facts
                .members
                .iter()
                .map(|m| format!("{}={}", m.name, m.peer_url))
                .collect::<Vec<_>>()
                .join(",");
            (
                "etcdctl".into(),
                vec![
                    "snapshot".into(),
                    "restore".into(),
                    file.display().to_string(),
                    "--name".into(),
                    member.name.clone(),
                    "--initial-cluster".into(),
                    initial_cluster,
                    "--initial-cluster-token".into(),
                    facts.cluster_token.clone(),
                    "--initial-advertise-peer-urls".into(),
                    member.peer_url.clone(),
                    "--data-dir".into(),
                    dir.clone(),
                ],
            )
        }
        RestoreData::DataDir(source) => (
            "cp".into(),
            vec!["-Rp".into(), source.display().to_string(), dir.clone()],
        ),
    };
    match &member.image {
        // The container is stopped, so `docker exec` cannot reach it: a one-off container of
        // the same image runs the same etcdctl, with the bundle and the data dir's parent mounted
        // at their host paths.
        Some(image) => {
            let parent = parent_of(&member.data_dir);
            let mut argv = vec![
                "docker".to_string(),
                "run".into(),
                "--rm".into(),
                // The one-off container writes the host's data dir and reads the bundle:
                // container labels would forbid both on an enforcing SELinux host.
                "--security-opt".into(),
                "label=disable".into(),
                "-e".into(),
                "ETCDCTL_API=3".into(),
                "-v".into(),
                format!("{0}:{0}:ro", facts.bundle.display()),
                "-v".into(),
                format!("{0}:{0}", parent.display()),
                // Whatever the image's own entrypoint, this runs the program named.
                "--entrypoint".into(),
                program,
                image.clone(),
            ];
            argv.extend(args);
            CommandSpec::local(argv)
        }
        None => match (&facts.data, &facts.etcdutl) {
            (RestoreData::Snapshot(_), Some(etcdutl)) => {
                CommandSpec::local(std::iter::once(etcdutl.clone()).chain(args))
            }
            (RestoreData::Snapshot(_), None) => {
                CommandSpec::local(std::iter::once(facts.etcdctl.clone()).chain(args))
                    .with_env("ETCDCTL_API", "3")
            }
            (RestoreData::DataDir(_), _) => {
                CommandSpec::local(std::iter::once(program).chain(args))
            }
        },
    }
}

fn conf_step(member: &RestoreMember, value: Option<&str>, way_back: &str) -> Step {
    let Some(conf) = &member.conf else {
        return skip(
            "Force a new cluster on the first start",
            format!(
                "no etcd.conf is known for {}: start it once with --force-new-cluster by hand",
                member.name
            ),
        );
    };
    required(step(
        match value {
            Some(_) => "Force a new cluster on the first start",
            None => "Remove the force flag again",
        },
        "A data-directory backup carries rewritten member IDs: etcd starts on it only as a new \
         one-member cluster (--force-new-cluster), once.",
        Risk::Reversible,
        Action::SetConfValue {
            conf: conf.clone(),
            key: FORCE_NEW_CLUSTER.into(),
            value: value.map(String::from),
        },
        way_back,
    ))
}

fn start_and_wait(members: &[&RestoreMember], way_back: &str, steps: &mut Vec<Step>) {
    for member in members {
        steps.push(step(
            &format!("Start etcd ({})", member.service.describe()),
            "etcd starts on the restored data.",
            Risk::Reversible,
            Action::Run(member.service.start_command()),
            way_back,
        ));
    }
    steps.push(step(
        "Wait until etcd is healthy",
        "Every restored member answers and they agree on one leader.",
        Risk::ReadOnly,
        Action::WaitForEtcd {
            endpoints: members.iter().flat_map(|m| m.client_urls.clone()).collect(),
            until: EtcdState::Healthy,
            timeout_secs: 90,
        },
        &format!("Read etcd's log for why it does not come up. {way_back}"),
    ));
}

/// The commands a member on another host needs, for the engineer to run there.
fn remote_member_checklist(facts: &ClusterRestoreFacts, member: &RestoreMember) -> Step {
    let dir = member.data_dir.display().to_string();
    let mut restore = restore_command(facts, member);
    restore.argv[0] = "etcdctl".into();
    step(
        &format!(
            "On the host of {}: restore it from the same snapshot",
            member.name
        ),
        "Every member must start from the same snapshot with the same new cluster token, or they \
         will not form one cluster.",
        Risk::Destructive,
        Action::Manual {
            checklist: vec![
                format!("copy {} to that host (scp)", facts.bundle.display()),
                shell_join(member.service.stop_command().argv),
                format!("mv -T {dir} {dir}.orig   (fails rather than nest if {dir}.orig exists)"),
                format!("ETCDCTL_API=3 {}", shell_join(restore.argv)),
                format!("chown -R etcd:etcd {dir}"),
                "start it only after every member is restored".to_string(),
            ],
        },
        "Nothing on this host was changed by this step.",
    )
}

/// The free `DIR.orig` or `DIR.orig.N` beside `dir`: existing kept copies are never reused.
pub fn free_keep_name(dir: &Path, exists: impl Fn(&Path) -> bool) -> PathBuf {
    let base = crate::fsutil::sibling(dir, ".orig").display().to_string();
    let first = PathBuf::from(&base);
    if !exists(&first) {
        return first;
    }
    (1..)
        .map(|n| PathBuf::from(format!("{base}.{n}")))
        .find(|candidate| !exists(candidate))
        .unwrap_or(first)
}

fn parent_of(dir: &Path) -> PathBuf {
    dir.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("/"), Path::to_path_buf)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
#[path = "cluster_restore_tests.rs"]
mod tests;
