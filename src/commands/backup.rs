//! `lifeboat backup cluster`: discovery of what this host has, then the backup plan.

use std::path::PathBuf;

use color_eyre::eyre::{Result, WrapErr, bail};

use crate::bundle::BundleIdentity;
use crate::cli::BackupClusterArgs;
use crate::connection::ConnectionSettings;
use crate::etcd::collect_snapshot;
use crate::facts::{EtcdConf, Tools};
use crate::plan::{Plan, Target};
use crate::procedures::{
    BackupMethod, ClusterBackupFacts, EtcdService, INSTALLATION_FILES, MASTER_FILES,
    plan_cluster_backup,
};

/// Looks at the host and the cluster, then plans. Refuses to plan a snapshot backup when no
/// member answers: there would be nothing to back up.
pub async fn plan_backup(connection: ConnectionSettings, args: &BackupClusterArgs) -> Result<Plan> {
    let out = std::path::absolute(&args.out).wrap_err("resolving --out")?;
    if args.stop_etcd && args.placement.docker.is_some() {
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
    let snapshot = collect_snapshot(&connection.target).await;
    let healthy: Vec<_> = snapshot
        .endpoints
        .iter()
        .filter_map(|r| r.result.as_ref().ok().map(|s| (r.endpoint.clone(), s)))
        .collect();
    // The leader is the most up to date by definition; otherwise the furthest along.
    let source = healthy
        .iter()
        .find(|(_, s)| s.leader == s.member_id)
        .or_else(|| healthy.iter().max_by_key(|(_, s)| s.raft_index))
        .map(|(endpoint, s)| (endpoint.clone(), u64::try_from(s.db_size).unwrap_or(0)));
    if args.method == BackupMethod::Snapshot && source.is_none() {
        bail!(
            "no etcd member answered, so there is nothing to take a snapshot from.\n  Check `lifeboat status`; \
             if quorum is lost, restore from an earlier backup."
        );
    }
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
    let master_files_present = args.master_dir.is_dir().then(|| {
        MASTER_FILES
            .iter()
            .filter(|f| args.master_dir.join(f).is_file())
            .map(|f| f.to_string())
            .collect()
    });
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    let installation_files = INSTALLATION_FILES
        .iter()
        .map(|f| match f.strip_prefix("~/") {
            Some(rest) => home.join(rest),
            None => PathBuf::from(f),
        })
        .filter(|p| p.is_file())
        .collect();
    let sandbox = match &args.placement.docker {
        None => sandbox_member(&connection, args.data_dir.as_deref())?,
        Some(_) => None,
    };
    let data_dir = match (&args.data_dir, &sandbox) {
        (Some(dir), _) => dir.clone(),
        (None, Some((_, dir))) => dir.clone(),
        (None, None) => EtcdConf::load(&args.etcd_config_dir.join("etcd.conf"))
            .ok()
            .and_then(|conf| conf.get("ETCD_DATA_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("/var/lib/etcd")),
    };
    let data_dir = crate::fsutil::normalized(&data_dir);
    let target = match &args.placement.docker {
        Some(container) => Target::DockerExec {
            container: container.clone(),
        },
        None => Target::Local,
    };
    let stop = args
        .stop_etcd
        .then(|| match (&args.placement.docker, sandbox) {
            (Some(container), _) => EtcdService::Container(container.clone()),
            (None, Some((member, _))) => member,
            (None, None) => EtcdService::Systemd,
        });
    Ok(plan_cluster_backup(&ClusterBackupFacts {
        connection,
        out,
        method: args.method,
        host: host_name(),
        master_dir: args.master_dir.clone(),
        master_files_present,
        installation_files,
        etc_etcd: Some(args.etcd_config_dir.clone()).filter(|d| d.is_dir()),
        snapshot_source: source,
        identity,
        etcdctl: Tools::discover().etcdctl,
        target,
        data_dir,
        stop,
    }))
}

/// When the connection points into lifeboat's sandbox, the member a data-dir backup copies
/// (the one whose data dir is `data_dir`, else the first) and how to stop and start it: the
/// sandbox has no systemd unit.
fn sandbox_member(
    connection: &ConnectionSettings,
    data_dir: Option<&std::path::Path>,
) -> Result<Option<(EtcdService, PathBuf)>> {
    let Some(dir) = crate::sandbox::SandboxState::dir_of_connection(connection) else {
        return Ok(None);
    };
    let Some(state) = crate::sandbox::SandboxState::load_if_present(&dir)? else {
        return Ok(None);
    };
    let member = state
        .members
        .iter()
        .find(|m| data_dir.is_some_and(|d| crate::fsutil::normalized(d) == m.data_dir()))
        .or_else(|| state.members.first());
    let lifeboat = std::env::current_exe().wrap_err("finding lifeboat's own path")?;
    Ok(member.map(|m| {
        let service = EtcdService::Sandbox {
            lifeboat,
            dir: dir.clone(),
            member: m.name.clone(),
        };
        (service, m.data_dir())
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
