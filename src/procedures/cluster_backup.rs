//! Cluster backup (the procedure's "Cluster Backup"): master certificates and keys, the
//! installation files, `/etc/etcd`, and etcd itself, as a sealed, verifiable bundle.

use std::path::{Path, PathBuf};

use super::EtcdService;
use crate::bundle::{BundleIdentity, staging_dir};
use crate::connection::ConnectionSettings;
use crate::plan::{Action, Check, CommandSpec, Plan, Risk, Step, Target};

/// The master files of the procedure's `tar` list (with NOTES.md's end of it).
pub const MASTER_FILES: [&str; 11] = [
    "master.proxy-client.crt",
    "master.proxy-client.key",
    "proxyca.crt",
    "proxyca.key",
    "master.server.crt",
    "master.server.key",
    "ca.crt",
    "ca.key",
    "master.etcd-client.crt",
    "master.etcd-client.key",
    "master.etcd-ca.crt",
];

/// Files of the initial installation worth keeping (NOTES.md), checked on the host.
pub const INSTALLATION_FILES: [&str; 3] = [
    "~/.config/openshift/installer.cfg.yml",
    "/etc/ansible/hosts",
    "/etc/yum.repos.d/ose.repo",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackupMethod {
    /// A v3 snapshot streamed over gRPC (supported on every etcd 3.x).
    Snapshot,
    /// The procedure's `etcdctl backup` copy of the data directory (v2 API).
    Datadir,
}

#[derive(Clone, Debug)]
pub struct ClusterBackupFacts {
    pub connection: ConnectionSettings,
    pub out: PathBuf,
    pub method: BackupMethod,
    pub host: String,
    pub master_dir: PathBuf,
    /// Which of [`MASTER_FILES`] exist in `master_dir`; `None` when the directory is absent.
    pub master_files_present: Option<Vec<String>>,
    /// Installation files that exist, as absolute paths.
    pub installation_files: Vec<PathBuf>,
    /// `/etc/etcd` when it exists.
    pub etc_etcd: Option<PathBuf>,
    /// The member to stream from, with its DB size; `None` when no member answered.
    pub snapshot_source: Option<(String, u64)>,
    pub identity: BundleIdentity,
    /// etcdctl for reading the snapshot back; `None` skips that check.
    pub etcdctl: Option<PathBuf>,
    /// etcdutl, where installed: etcd 3.5 moved the offline `backup` to it.
    pub etcdutl: Option<PathBuf>,
    /// Where `etcdctl backup` runs for the data-directory method.
    pub target: Target,
    pub data_dir: PathBuf,
    /// Stop etcd around a data-directory backup, and start it again after.
    pub stop: Option<EtcdService>,
}

const NOTHING_CHANGED: &str =
    "Nothing on the host was changed; the unfinished bundle is removed by the last step.";

fn step(
    title: &str,
    reason: &str,
    risk: Risk,
    action: Action,
    check: Check,
    if_failed: &str,
) -> Step {
    Step::new(title, reason, risk, action, check, if_failed)
}

/// The backup in its phases: the bundle prepared, the host's files saved, etcd's data taken,
/// the bundle sealed (and discarded if anything failed).
pub fn plan_cluster_backup(facts: &ClusterBackupFacts) -> Plan {
    let staging = staging_dir(&facts.out);
    let mut identity = facts.identity.clone();
    identity.kind = crate::bundle::BundleKind::ClusterBackup;
    identity.method = format!("{:?}", facts.method).to_lowercase();
    identity.host = facts.host.clone();
    let mut steps = vec![step(
        "Prepare the bundle directory",
        "The bundle is assembled under a temporary name and renamed only when complete, so a \
         failed backup can never be mistaken for a good one.",
        Risk::ReadOnly,
        Action::PrepareBundle {
            staging: staging.clone(),
            out: facts.out.clone(),
        },
        Check::Completed,
        "Choose another --out, or remove the directory named in the error.",
    )];
    steps.push(master_files_step(facts, &staging, &mut identity));
    steps.push(installation_files_step(facts, &staging, &mut identity));
    steps.push(etc_etcd_step(facts, &staging, &mut identity));
    match facts.method {
        BackupMethod::Snapshot => snapshot_steps(facts, &staging, &mut steps),
        BackupMethod::Datadir => datadir_steps(facts, &staging, &mut steps),
    }
    steps.extend(seal_steps(facts, staging, identity));
    Plan {
        procedure: crate::plan::Procedure::ClusterBackup,
        title: "Cluster backup".into(),
        summary: format!(
            "Backs up this host's master certificates and keys, installation files and /etc/etcd, and \
             etcd itself ({}), into the bundle {}. Reached through {}.",
            match facts.method {
                BackupMethod::Snapshot => "a v3 snapshot",
                BackupMethod::Datadir => "the procedure's data-directory backup",
            },
            facts.out.display(),
            facts.connection.source
        ),
        etcdctl_flags: facts.connection.etcdctl_flags(),
        steps,
    }
}

/// The installer configuration and inventory, when this host has them.
fn installation_files_step(
    facts: &ClusterBackupFacts,
    staging: &Path,
    identity: &mut BundleIdentity,
) -> Step {
    match facts.installation_files.is_empty() {
        true => {
            identity.notes.push("no installation files found".into());
            Step::skipped(
                "Save the installation files",
                "none of the installer configuration, the Ansible inventory or ose.repo exists on this host",
            )
        }
        false => step(
            "Save the installation files",
            "The restore starts with a reinstallation done the same way: keep the installer \
             configuration and inventory with the backup.",
            Risk::ReadOnly,
            Action::Archive {
                base: PathBuf::from("/"),
                entries: facts
                    .installation_files
                    .iter()
                    .map(|p| p.strip_prefix("/").unwrap_or(p).to_path_buf())
                    .collect(),
                to: staging.join(format!("installation-files-{}.tar", facts.host)),
                mode: 0o600,
            },
            Check::Completed,
            NOTHING_CHANGED,
        ),
    }
}

/// /etc/etcd, when this host has it.
fn etc_etcd_step(
    facts: &ClusterBackupFacts,
    staging: &Path,
    identity: &mut BundleIdentity,
) -> Step {
    match &facts.etc_etcd {
        None => {
            identity.notes.push("no /etc/etcd on this host".into());
            Step::skipped("Save /etc/etcd", "/etc/etcd does not exist on this host")
        }
        Some(dir) => step(
            "Save /etc/etcd",
            "Adding or replacing etcd hosts presumes a backup of the /etc/etcd configuration.",
            Risk::ReadOnly,
            Action::Archive {
                base: dir
                    .parent()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| PathBuf::from("/")),
                entries: vec![
                    dir.file_name()
                        .map(PathBuf::from)
                        .unwrap_or_else(|| PathBuf::from("etcd")),
                ],
                to: staging.join(format!("etc-etcd-{}.tar", facts.host)),
                mode: 0o600,
            },
            Check::Completed,
            NOTHING_CHANGED,
        ),
    }
}

/// The manifest written and the bundle renamed into place; the staging directory removed
/// whatever happened.
fn seal_steps(facts: &ClusterBackupFacts, staging: PathBuf, identity: BundleIdentity) -> Vec<Step> {
    vec![
        step(
            "Seal the bundle",
            "Every file is listed in manifest.json with its size and SHA-256, synced to disk, and the \
         directory renamed into place: `lifeboat verify` re-checks all of it later.",
            Risk::ReadOnly,
            Action::SealBundle {
                staging: staging.clone(),
                out: facts.out.clone(),
                identity,
            },
            Check::Completed,
            NOTHING_CHANGED,
        ),
        Step {
            always_run: true,
            ..step(
                "Leave nothing half-written",
                "If any step failed, the unfinished bundle directory is removed so that nothing on disk \
             looks like a backup that is not one.",
                Risk::Reversible,
                Action::DiscardStaging { staging },
                Check::Completed,
                "Remove the .partial directory by hand.",
            )
        },
    ]
}

fn master_files_step(
    facts: &ClusterBackupFacts,
    staging: &std::path::Path,
    identity: &mut BundleIdentity,
) -> Step {
    let title = "Save the master certificates and keys";
    let Some(present) = &facts.master_files_present else {
        let reason = format!(
            "{} does not exist: this host is not an OpenShift master",
            facts.master_dir.display()
        );
        identity.notes.push(reason.clone());
        return Step::skipped(title, &reason);
    };
    let missing: Vec<&str> = MASTER_FILES
        .iter()
        .copied()
        .filter(|f| !present.iter().any(|p| p == f))
        .collect();
    if present.is_empty() {
        let reason = format!(
            "none of the procedure's files is in {}",
            facts.master_dir.display()
        );
        identity.notes.push(reason.clone());
        return Step::skipped(title, &reason);
    }
    if !missing.is_empty() {
        identity.notes.push(format!(
            "master files missing on the host: {}",
            missing.join(", ")
        ));
    }
    step(
        title,
        &format!(
            "The restore reinstalls the platform; these keys must come back as they were. Found {} of {}{}.",
            present.len(),
            MASTER_FILES.len(),
            if missing.is_empty() {
                String::new()
            } else {
                format!("; MISSING: {}", missing.join(", "))
            }
        ),
        Risk::ReadOnly,
        Action::Archive {
            base: facts.master_dir.clone(),
            entries: present.iter().map(PathBuf::from).collect(),
            to: staging.join(format!("certs-and-keys-{}.tar", facts.host)),
            mode: 0o600,
        },
        Check::Completed,
        NOTHING_CHANGED,
    )
}

fn snapshot_steps(facts: &ClusterBackupFacts, staging: &std::path::Path, steps: &mut Vec<Step>) {
    let file = staging.join("etcd-snapshot.db");
    steps.push(match &facts.snapshot_source {
        Some((endpoint, size)) => step(
            &format!("Stream a v3 snapshot from {endpoint}"),
            "The members synchronize, so a snapshot of one healthy member is enough: the most \
             up-to-date one is used. The file is written as it arrives and checked against etcd's \
             own trailing SHA-256.",
            Risk::ReadOnly,
            Action::EtcdSnapshot {
                endpoint: endpoint.clone(),
                to: file.clone(),
                expected_size: Some(*size),
            },
            Check::SnapshotHash,
            "No member was changed. If the member died mid-stream, run the backup again: another \
             member is chosen. If the disk is full, free space or choose another --out.",
        ),
        // Discovery refuses to plan a snapshot backup when no member answers; should a plan
        // still be made by hand, it fails here rather than seal a bundle without etcd data.
        None => step(
            "Stream a v3 snapshot",
            "No member answered when the backup was planned.",
            Risk::ReadOnly,
            Action::EtcdSnapshot {
                endpoint: String::new(),
                to: file.clone(),
                expected_size: None,
            },
            Check::SnapshotHash,
            "Check `lifeboat status`: with no member answering, restore from an earlier backup.",
        ),
    });
    steps.push(step(
        "Read the snapshot back",
        "A snapshot is only a backup if it can be read: its bbolt pages are walked (as `etcdctl \
         snapshot status` does, without loading the file) to count the keys and find the revision, \
         which go into the manifest.",
        Risk::ReadOnly,
        Action::ReadSnapshotBack { file },
        Check::SnapshotStatus,
        "The snapshot file is unreadable: run the backup again.",
    ));
}

/// The procedure's `etcdctl backup`, and where it writes the copy: straight into the bundle
/// locally, beside the data directory inside a container.
fn datadir_backup_command(
    facts: &ClusterBackupFacts,
    staging: &std::path::Path,
) -> (CommandSpec, PathBuf) {
    let backup_dir = match &facts.target {
        // Locally the copy can go straight into the bundle.
        Target::Local => staging.join("etcd-datadir"),
        // In a container it lands beside the data dir, as in the procedure, and is copied out.
        Target::DockerExec { .. } => crate::fsutil::sibling(&facts.data_dir, ".bak"),
    };
    // etcd 3.5 moved the offline copy to etcdutl (3.6's etcdctl has none); the container's
    // own tools are not known, so it keeps the procedure's etcdctl there.
    let etcdutl = match &facts.target {
        Target::Local => facts.etcdutl.as_ref(),
        Target::DockerExec { .. } => None,
    };
    let program = match (&facts.target, etcdutl) {
        (_, Some(etcdutl)) => etcdutl.display().to_string(),
        (Target::Local, None) => facts
            .etcdctl
            .as_ref()
            .map_or("etcdctl".into(), |p| p.display().to_string()),
        (Target::DockerExec { .. }, None) => "etcdctl".to_string(),
    };
    let mut backup = CommandSpec::local([
        program,
        "backup".into(),
        "--data-dir".into(),
        facts.data_dir.display().to_string(),
        "--backup-dir".into(),
        backup_dir.display().to_string(),
        // Without it etcd 3.x's v2 backup copies no v3 keys, which is all of Kubernetes' data.
        "--with-v3".into(),
    ]);
    if etcdutl.is_none() {
        backup = backup.with_env("ETCDCTL_API", "2");
    }
    let backup = backup.with_timeout(120).on(facts.target.clone());
    (backup, backup_dir)
}

fn datadir_steps(facts: &ClusterBackupFacts, staging: &std::path::Path, steps: &mut Vec<Step>) {
    let stop_start = facts
        .stop
        .as_ref()
        .map(|service| (service.stop_command(), service.start_command()));
    if let Some((stop, _)) = &stop_start {
        steps.push(step(
            "Stop etcd",
            "Although this step is not strictly necessary, doing so ensures that the etcd data is \
             fully synchronized (the procedure). etcd is started again after the copy, whatever happens.",
            Risk::Reversible,
            Action::Run(stop.clone()),
            Check::ExitSuccess,
            "etcd may be partly stopped: the start step below still runs.",
        ));
    }
    let (backup, backup_dir) = datadir_backup_command(facts, staging);
    steps.push(step(
        "Back up the etcd data directory",
        "The procedure's `etcdctl backup` (the v2 API's copy, `ETCDCTL_API=2` on etcd 3.4): a copy \
         of the data directory that a single-member restore copies back. `--with-v3` is added: \
         without it etcd 3.x copies none of the v3 keys that Kubernetes stores. etcd must not be \
         running: a running member holds a lock on its database and the copy waits for it.",
        Risk::ReadOnly,
        Action::Run(backup),
        Check::ExitSuccess,
        "etcdctl's message above says why; the data directory itself is untouched. If it timed out, \
         etcd is still running and holds its database lock: stop it first (--stop-etcd), or use \
         --method snapshot, which works on a running cluster.",
    ));
    if let Target::DockerExec { container } = &facts.target {
        steps.push(step(
            "Copy the backup out of the container",
            "The backup was written inside the etcd container; the bundle lives on the host.",
            Risk::ReadOnly,
            Action::Run(CommandSpec::local([
                "docker".to_string(),
                "cp".into(),
                format!("{container}:{}", backup_dir.display()),
                staging.join("etcd-datadir").display().to_string(),
            ])),
            Check::ExitSuccess,
            "The backup is still inside the container at the path above.",
        ));
    }
    steps.push(step(
        "Read the copied database back",
        "The copy is only a backup if it holds the keys: the copied database's bbolt pages are \
         walked to count its keys and find its revision, which go into the manifest.",
        Risk::ReadOnly,
        Action::ReadSnapshotBack {
            file: staging.join("etcd-datadir/member/snap/db"),
        },
        Check::SnapshotStatus,
        "The copy holds no keys: back up with --method snapshot instead.",
    ));
    if let Some((_, start)) = stop_start {
        steps.push(Step {
            always_run: true,
            ..step(
                "Start etcd again",
                "The wizard never leaves etcd stopped.",
                Risk::Reversible,
                Action::Run(start),
                Check::ExitSuccess,
                "Start etcd by hand now: `systemctl start etcd` or `docker start` the container.",
            )
        });
    }
}

#[cfg(test)]
#[path = "cluster_backup_tests.rs"]
mod tests;
