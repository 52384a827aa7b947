//! Cluster backup: what this host and the cluster have, for the backup planner.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, bail};

use crate::bundle::BundleIdentity;
use crate::connection::ConnectionSettings;
use crate::etcd::{ClusterSnapshot, collect_snapshot};
use crate::facts::{EtcdConf, ProcessCluster, Tools};
use crate::plan::{Plan, Target};
use crate::procedures::{
    BackupMethod, ClusterBackupFacts, EtcdService, INSTALLATION_FILES, MASTER_FILES,
    plan_cluster_backup,
};
use crate::requests::ClusterBackupRequest;

/// Gathers the facts, then plans.
pub async fn plan(connection: ConnectionSettings, request: &ClusterBackupRequest) -> Result<Plan> {
    Ok(plan_cluster_backup(&facts(connection, request).await?))
}

/// Looks at the host and the cluster. Refuses when no plan can work: a snapshot backup when no
/// member answers (there would be nothing to back up), stopping etcd with nothing to stop.
pub async fn facts(
    connection: ConnectionSettings,
    args: &ClusterBackupRequest,
) -> Result<ClusterBackupFacts> {
    let out = std::path::absolute(&args.out).wrap_err("resolving --out")?;
    refuse_stopping_what_cannot_stop(args)?;
    let snapshot = collect_snapshot(&connection.target).await;
    let (source, identity) = source_and_identity(&snapshot);
    if args.method == BackupMethod::Snapshot && source.is_none() {
        bail!(
            "no etcd member answered, so there is nothing to take a snapshot from.\n  Check `lifeboat status`; \
             if quorum is lost, restore from an earlier backup."
        );
    }
    let target = match &args.container {
        Some(container) => Target::DockerExec {
            container: container.clone(),
        },
        None => Target::Local,
    };
    let supervised = match &args.container {
        None => supervised_member(args.data_dir.as_deref())?,
        Some(_) => None,
    };
    let data_dir = match (&args.data_dir, &supervised) {
        (None, Some((_, dir))) => dir.clone(),
        _ => data_dir(args),
    };
    let stop = args.stop_etcd.then(|| match (&args.container, supervised) {
        (Some(container), _) => EtcdService::Container(container.clone()),
        (None, Some((member, _))) => member,
        (None, None) => EtcdService::Systemd,
    });
    Ok(ClusterBackupFacts {
        connection,
        out,
        method: args.method,
        host: host_name(),
        master_dir: args.master_dir.clone(),
        master_files_present: master_files_present(&args.master_dir),
        installation_files: installation_files(),
        etc_etcd: Some(args.etcd_config_dir.clone()).filter(|d| d.is_dir()),
        snapshot_source: source,
        identity,
        etcdctl: Tools::discover().etcdctl,
        etcdutl: Tools::discover().etcdutl,
        target,
        data_dir,
        stop,
    })
}

fn refuse_stopping_what_cannot_stop(args: &ClusterBackupRequest) -> Result<()> {
    if args.stop_etcd && args.container.is_some() {
        bail!(
            "--stop-etcd cannot be used with --docker: `docker exec` needs the etcd container running.\n  \
             Leave etcd running (the backup is consistent either way), or stop it yourself and back up on the host."
        );
    }
    if args.stop_etcd && args.method == BackupMethod::Snapshot {
        bail!(
            "--stop-etcd only applies to --method datadir: a snapshot is streamed from a running member"
        );
    }
    Ok(())
}

/// The member to stream from (the leader is the most up to date by definition; otherwise the
/// furthest along) with its DB size, and what the bundle records of the cluster.
fn source_and_identity(snapshot: &ClusterSnapshot) -> (Option<(String, u64)>, BundleIdentity) {
    let healthy: Vec<_> = snapshot
        .endpoints
        .iter()
        .filter_map(|r| r.result.as_ref().ok().map(|s| (r.endpoint.clone(), s)))
        .collect();
    let source = healthy
        .iter()
        .find(|(_, s)| s.leader == s.member_id)
        .or_else(|| healthy.iter().max_by_key(|(_, s)| s.raft_index))
        .map(|(endpoint, s)| (endpoint.clone(), u64::try_from(s.db_size).unwrap_or(0)));
    let identity = BundleIdentity {
        cluster_id: healthy
            .first()
            .map_or(String::new(), |(_, s)| format!("{:x}", s.cluster_id)),
        etcd_version: healthy
            .first()
            .map_or(String::new(), |(_, s)| s.version.clone()),
        members: snapshot
            .members
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(|m| format!("{}={}", m.name, m.peer_urls.join(",")))
            .collect(),
        source_endpoint: source.as_ref().map_or(String::new(), |(e, _)| e.clone()),
        ..BundleIdentity::default()
    };
    (source, identity)
}

/// Which of the procedure's master files exist; `None` when the directory does not.
fn master_files_present(master_dir: &Path) -> Option<Vec<String>> {
    master_dir.is_dir().then(|| {
        MASTER_FILES
            .iter()
            .filter(|f| master_dir.join(f).is_file())
            .map(|f| f.to_string())
            .collect()
    })
}

/// The installation files of the procedure's list that exist on this host.
fn installation_files() -> Vec<PathBuf> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    INSTALLATION_FILES
        .iter()
        .map(|f| match f.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => PathBuf::from(f),
        })
        .filter(|p| p.is_file())
        .collect()
}

/// `--data-dir`, else ETCD_DATA_DIR of etcd.conf, else the procedure's default; without a
/// trailing slash, since sibling paths are derived from it.
fn data_dir(args: &ClusterBackupRequest) -> PathBuf {
    let dir = match &args.data_dir {
        Some(dir) => dir.clone(),
        None => EtcdConf::load(&args.etcd_config_dir.join("etcd.conf"))
            .ok()
            .and_then(|conf| conf.get("ETCD_DATA_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/var/lib/etcd")),
    };
    crate::fsutil::normalized(&dir)
}

/// In a process cluster (`LIFEBOAT_PROCESS_CLUSTER`), the member a data-dir backup copies (the
/// one whose data dir is `data_dir`, else the first) and how its supervisor stops and starts
/// it: such members have no systemd unit.
fn supervised_member(data_dir: Option<&Path>) -> Result<Option<(EtcdService, PathBuf)>> {
    let Some(file) = ProcessCluster::path_from_env() else {
        return Ok(None);
    };
    let cluster = ProcessCluster::load(&file)?;
    let member = cluster
        .members
        .iter()
        .find(|m| data_dir.is_some_and(|d| crate::fsutil::normalized(d) == m.data_dir))
        .or_else(|| cluster.members.first());
    Ok(member.map(|m| {
        let service = EtcdService::Process {
            member: m.name.clone(),
            stop: m.stop.clone(),
            start: m.start.clone(),
        };
        (service, m.data_dir.clone())
    }))
}

pub fn host_name() -> String {
    nix::unistd::gethostname()
        .ok()
        .and_then(|name| name.into_string().ok())
        .unwrap_or_else(|| "localhost".into())
}

/// The default bundle path for the TUI: the data dir's `backups/cluster-<time>`.
pub fn default_out() -> Result<PathBuf> {
    Ok(crate::paths::backups_dir()?.join(crate::paths::stamped("cluster")))
}
