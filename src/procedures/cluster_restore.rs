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
use crate::facts::RestoreAbilities;
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
    /// What the local restore tool (etcdutl, else etcdctl) said it can do.
    pub restore_abilities: RestoreAbilities,
    /// `chcon` when SELinux is enabled here, or why labels are left alone.
    pub selinux: Result<PathBuf, String>,
    /// `etcd:etcd` when the etcd user exists, or why ownership is left alone.
    pub owner: Result<String, String>,
}

/// How far a snapshot restore moves the revision on (`--bump-revision`), OpenShift 4's value:
/// past any revision the lost cluster can have reached since the backup, so that clients'
/// watches and the API servers' caches, marked compacted (`--mark-compacted`), start over
/// instead of serving what the restore took back.
pub const REVISION_BUMP: u64 = 1_000_000_000;

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

/// The procedure's restore, in its phases: prepare (verify, prerequisites, certificates), stop
/// etcd, put the data back, start it (twice for a copied data directory), then check.
pub fn plan_cluster_restore(facts: &ClusterRestoreFacts) -> Plan {
    let local: Vec<&RestoreMember> = facts.members.iter().filter(|m| m.local).collect();
    let way_back = way_back(facts, &local);
    let mut steps = steps::preparation(facts);
    steps.extend(steps::stop(&local));
    for member in &local {
        data_steps(facts, member, &way_back, &mut steps);
    }
    steps.extend(steps::restart(facts, &local, &way_back));
    steps.extend(steps::check(facts, &local, &way_back));
    Plan {
        procedure: crate::plan::Procedure::ClusterRestore,
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

#[path = "cluster_restore_steps.rs"]
mod steps;
use steps::data_steps;

#[cfg(test)]
#[path = "cluster_restore_tests.rs"]
mod tests;
