//! Quorum restore: every member that still answers, with its raft index, and what this host
//! knows of it (its data directory, etcd.conf and how it is stopped and started).

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, eyre};

use crate::connection::ConnectionSettings;
use crate::etcd::{ClusterSnapshot, collect_snapshot};
use crate::facts::{EtcdConf, ProcessCluster};
use crate::plan::Plan;
use crate::procedures::{
    EtcdService, LocalMember, QuorumRestoreFacts, Survivor, plan_quorum_restore,
};
use crate::requests::QuorumRestoreRequest;

const HOST_CONF: &str = "/etc/etcd/etcd.conf";

pub async fn plan(connection: ConnectionSettings, request: &QuorumRestoreRequest) -> Result<Plan> {
    let snapshot = collect_snapshot(&connection.target).await;
    let cluster = match ProcessCluster::path_from_env() {
        Some(path) => Some(ProcessCluster::load(&path)?),
        None => None,
    };
    let conf_path = request
        .etcd_conf
        .clone()
        .unwrap_or_else(|| PathBuf::from(HOST_CONF));
    let host = HostMember::read(&conf_path);
    let facts = facts_from(
        &snapshot,
        connection,
        request,
        cluster.as_ref(),
        host.as_ref(),
    );
    plan_quorum_restore(&facts).map_err(|refusal| eyre!(refusal))
}

/// This host's etcd.conf, when it names a member.
pub struct HostMember {
    pub conf_path: PathBuf,
    pub conf: EtcdConf,
}

impl HostMember {
    fn read(path: &Path) -> Option<Self> {
        let conf = EtcdConf::load(path).ok()?;
        conf.get("ETCD_NAME")?;
        Some(HostMember {
            conf_path: path.to_path_buf(),
            conf,
        })
    }

    fn name(&self) -> &str {
        self.conf.get("ETCD_NAME").unwrap_or_default()
    }

    fn advertises(&self, endpoint: &str) -> bool {
        self.conf
            .get("ETCD_ADVERTISE_CLIENT_URLS")
            .is_some_and(|urls| urls.split(',').any(|url| url.trim() == endpoint))
    }

    /// The names in `ETCD_INITIAL_CLUSTER`: the members the cluster was built with.
    fn initial_members(&self) -> Vec<String> {
        self.conf
            .get("ETCD_INITIAL_CLUSTER")
            .unwrap_or_default()
            .split(',')
            .filter_map(|entry| entry.split_once('=').map(|(name, _)| name.to_string()))
            .collect()
    }
}

/// The planner's facts from one look at the cluster and this host's files (pure).
pub fn facts_from(
    snapshot: &ClusterSnapshot,
    connection: ConnectionSettings,
    request: &QuorumRestoreRequest,
    cluster: Option<&ProcessCluster>,
    host: Option<&HostMember>,
) -> QuorumRestoreFacts {
    let listed = snapshot.members.as_deref().unwrap_or_default();
    let mut members: Vec<String> = listed.iter().map(|m| m.name.clone()).collect();
    if members.is_empty() {
        // Without a member list, the configuration says who the members were.
        members = match (cluster, host) {
            (Some(cluster), _) => cluster.members.iter().map(|m| m.name.clone()).collect(),
            (None, Some(host)) => host.initial_members(),
            (None, None) => Vec::new(),
        };
    }
    let voters = if listed.is_empty() {
        members.len()
    } else {
        listed.iter().filter(|m| !m.is_learner).count()
    };
    let survivors = snapshot
        .endpoints
        .iter()
        .filter_map(|report| {
            let status = report.result.as_ref().ok()?;
            let name = listed
                .iter()
                .find(|m| m.id == status.member_id)
                .map(|m| m.name.clone())
                .or_else(|| name_by_endpoint(&report.endpoint, cluster, host))?;
            Some(Survivor {
                local: local_member(&name, cluster, host),
                client_urls: vec![report.endpoint.clone()],
                raft_index: status.raft_index,
                revision: status.revision,
                is_learner: status.is_learner,
                name,
            })
        })
        .collect();
    QuorumRestoreFacts {
        connection,
        voters,
        survivors,
        chosen: request.member.clone(),
        members,
    }
}

fn name_by_endpoint(
    endpoint: &str,
    cluster: Option<&ProcessCluster>,
    host: Option<&HostMember>,
) -> Option<String> {
    if let Some(member) = cluster.and_then(|c| c.members.iter().find(|m| m.client_url == endpoint))
    {
        return Some(member.name.clone());
    }
    host.filter(|h| h.advertises(endpoint))
        .map(|h| h.name().to_string())
}

/// How this host runs the member called `name`, if it does.
fn local_member(
    name: &str,
    cluster: Option<&ProcessCluster>,
    host: Option<&HostMember>,
) -> Option<LocalMember> {
    if let Some(member) = cluster.and_then(|c| c.member(name)) {
        return Some(LocalMember {
            copy_to: free_copy_name(&member.data_dir),
            data_dir: member.data_dir.clone(),
            conf: member.conf.clone(),
            service: EtcdService::Process {
                member: member.name.clone(),
                stop: member.stop.clone(),
                start: member.start.clone(),
            },
        });
    }
    let host = host.filter(|h| h.name() == name)?;
    let data_dir = PathBuf::from(host.conf.get("ETCD_DATA_DIR").unwrap_or("/var/lib/etcd"));
    Some(LocalMember {
        copy_to: free_copy_name(&data_dir),
        data_dir,
        conf: host.conf_path.clone(),
        service: EtcdService::Systemd,
    })
}

/// `DIR.before-quorum-restore`, or the first free `.N` after it: an earlier copy is never
/// written over.
fn free_copy_name(data_dir: &Path) -> PathBuf {
    let base = crate::fsutil::sibling(data_dir, ".before-quorum-restore");
    if !base.exists() {
        return base;
    }
    (1..)
        .map(|n| PathBuf::from(format!("{}.{n}", base.display())))
        .find(|candidate| !candidate.exists())
        .unwrap_or(base)
}
