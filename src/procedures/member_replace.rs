//! Member recovery on a surviving host (the procedure's "Adding New etcd Hosts", for replacing
//! a failed one): remove the failed member, sign the new host's certificates, add it, and hand
//! everything the new host needs over in one join bundle.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::member_input::NewHost;
use crate::connection::ConnectionSettings;
use crate::etcd::{MemberInfo, Quorum, check_removal, format_id};
use crate::facts::EtcdConf;
use crate::plan::Plan;

/// The procedure's size above which the new member should not be left to fetch everything
/// over raft while counting as a voter.
pub const LEARNER_THRESHOLD: u64 = crate::health::MEMBER_ADD_THRESHOLD;

/// How the new member gets the data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JoinPath {
    /// A voting member from the start; raft sends it everything.
    PlainAdd,
    /// A non-voting learner until it has caught up, then promoted: a slow catch-up of a large
    /// database cannot cost quorum.
    Learner,
    /// The procedure's `etcdctl backup --keep-cluster-id --node-id` copy shipped in the bundle
    /// (etcd 2.3.7-4+ builds), so the new member starts with the data.
    DataDirBackup,
}

/// The 700 MB rule, with the reason in words for the plan.
pub fn choose_join_path(
    db_size: u64,
    threshold: u64,
    backup_keeps_cluster_id: bool,
) -> (JoinPath, String) {
    let human = decimal_size;
    if db_size < threshold {
        return (
            JoinPath::PlainAdd,
            format!(
                "The database is {}, below the {} threshold: a plain member add; the new member \
                 receives the data from the leader over raft.",
                human(db_size),
                human(threshold)
            ),
        );
    }
    if backup_keeps_cluster_id {
        return (
            JoinPath::DataDirBackup,
            format!(
                "The database is {}, at or above the {} threshold, and this etcdctl's `backup` keeps \
                 the cluster ID: the procedure ships a backup taken with `--keep-cluster-id \
                 --node-id` in the join bundle. If it is still larger than 700 MB, prune resources \
                 or clear TTL data such as events first; if it stays larger, stop the other hosts \
                 before the backup step.",
                human(db_size),
                human(threshold)
            ),
        );
    }
    (
        JoinPath::Learner,
        format!(
            "The database is {}, at or above the {} threshold. This etcdctl's `backup` has no \
             `--keep-cluster-id` (etcd 3.x), and raft sends a new member a snapshot itself: it is \
             added as a learner, which does not vote, so quorum never waits on its catch-up; \
             `member join` promotes it once its applied index reaches the leader's.",
            human(db_size),
            human(threshold)
        ),
    )
}

/// Sizes in the procedure's decimal units, so 700 MB reads as 700 MB.
pub fn decimal_size(bytes: u64) -> String {
    let units = [(1_000_000_000, "GB"), (1_000_000, "MB"), (1_000, "kB")];
    units
        .iter()
        .find(|(size, _)| bytes >= *size)
        .map(|(size, unit)| {
            let value = bytes as f64 / *size as f64;
            if value.fract() == 0.0 {
                format!("{value:.0} {unit}")
            } else {
                format!("{value:.1} {unit}")
            }
        })
        .unwrap_or_else(|| format!("{bytes} B"))
}

/// What `member join` needs to know besides the files: written into the bundle as `join.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinManifest {
    pub format: u32,
    pub name: String,
    pub client_url: String,
    pub peer_url: String,
    /// The surviving members' client URLs, to follow the catch-up and promote from.
    pub cluster_client_urls: Vec<String>,
    pub path: JoinPath,
    /// The directory the surviving host's etcd.conf paths point into; `member join` points them
    /// at its own configuration directory instead.
    pub conf_dir: PathBuf,
    /// Members removed by the replacement, dropped from a sandbox's member list on join.
    pub replaces: Vec<String>,
    /// The bundle holds `data/`, a copy of the data directory for the new member.
    pub with_data: bool,
}

pub const JOIN_MANIFEST: &str = "join.json";

#[derive(Clone, Debug)]
pub struct DatadirBackup {
    pub etcdctl: PathBuf,
    pub data_dir: PathBuf,
}

#[derive(Clone, Debug)]
pub struct MemberReplaceFacts {
    pub connection: ConnectionSettings,
    pub members: Vec<MemberInfo>,
    /// IDs of the members that answered their status call.
    pub healthy: Vec<u64>,
    /// The largest database size a member reported.
    pub db_size: u64,
    pub failed: MemberInfo,
    /// The failed member is no longer in the member list (a quorum restore's new cluster left
    /// it out): there is nothing to remove, only its replacement to add.
    pub failed_removed: bool,
    pub new_name: String,
    pub new_host: NewHost,
    pub client_port: u16,
    pub peer_port: u16,
    /// The directory the bundle `NAME.tgz` is written into.
    pub out: PathBuf,
    pub ca_dir: PathBuf,
    /// The surviving host's etcd.conf, and where it was read from.
    pub template: EtcdConf,
    pub template_path: PathBuf,
    pub learner_threshold: u64,
    /// `Some` when the installed `etcdctl backup` supports `--keep-cluster-id --node-id`.
    pub datadir_backup: Option<DatadirBackup>,
}

impl MemberReplaceFacts {
    pub fn client_url(&self) -> String {
        format!("https://{}:{}", self.new_host.url_host(), self.client_port)
    }
    pub fn peer_url(&self) -> String {
        format!("https://{}:{}", self.new_host.url_host(), self.peer_port)
    }
    pub fn bundle(&self) -> PathBuf {
        self.out.join(format!("{}.tgz", self.new_name))
    }
}

/// Plans the replacement, or refuses with the reason (quorum, a half-added member, a name or
/// address already taken) before anything runs. The join bundle is written, packed and synced
/// before the cluster is changed: once the failed member is removed, it is the way forward.
pub fn plan_member_replace(facts: &MemberReplaceFacts) -> Result<Plan, String> {
    let removal = refusals(facts)?;
    let (path, path_reason) = choose_join_path(
        facts.db_size,
        facts.learner_threshold,
        facts.datadir_backup.is_some(),
    );
    let staging = facts.out.join(format!("{}.partial", facts.new_name));
    let mut steps = vec![steps::check(facts, &removal)];
    steps.extend(steps::files(facts, path, &staging)?);
    steps.extend(steps::membership(facts, &removal, path, path_reason));
    steps.extend(steps::data_copy(facts, path, &staging)?);
    steps.extend(steps::handover(facts, path, &staging));
    let failed = &facts.failed;
    Ok(Plan {
        procedure: crate::plan::Procedure::MemberReplace,
        title: format!(
            "Replace etcd member {} with {}",
            failed.display_name(),
            facts.new_name
        ),
        summary: format!(
            "Removes the failed member {} and adds {} at {}, writing the join bundle {} for the new \
             host. Reached through {}.",
            failed.display_name(),
            facts.new_name,
            facts.peer_url(),
            facts.bundle().display(),
            facts.connection.source
        ),
        etcdctl_flags: facts.connection.etcdctl_flags(),
        steps,
    })
}

/// The cluster as it is now and as the removal leaves it.
struct Removal {
    now: Quorum,
    after: Quorum,
    /// The failed member still answers (replacing a working host).
    failed_healthy: bool,
}

/// What makes a replacement impossible or unsafe, found before any plan exists.
fn refusals(facts: &MemberReplaceFacts) -> Result<Removal, String> {
    let failed = &facts.failed;
    let voters: Vec<&MemberInfo> = facts.members.iter().filter(|m| !m.is_learner).collect();
    let healthy_voters = voters
        .iter()
        .filter(|m| facts.healthy.contains(&m.id))
        .count();
    let failed_healthy = facts.healthy.contains(&failed.id);
    let now = Quorum::new(voters.len(), healthy_voters);
    if facts.failed_removed && !now.has_quorum() {
        return Err(format!(
            "{}.\n  etcd adds a member only with a majority of voters: bring the cluster back \
             first (`lifeboat restore quorum` from the best survivor, or `lifeboat restore cluster`)",
            now.verdict()
        ));
    }
    let after = if facts.failed_removed {
        now
    } else {
        check_removal(
            voters.len(),
            healthy_voters,
            failed_healthy && !failed.is_learner,
            !failed.is_learner,
            failed.display_name(),
        )?
    };
    let others = || facts.members.iter().filter(|m| m.id != failed.id);
    if let Some(unstarted) = others().find(|m| m.name.is_empty()) {
        return Err(format!(
            "member {} ({}) was added but has never started: finish that join first, or remove it \
             with `etcdctl member remove {}`; etcd refuses a second pending member",
            format_id(unstarted.id),
            unstarted.peer_urls.join(","),
            format_id(unstarted.id)
        ));
    }
    if let Some(clash) = others().find(|m| m.name == facts.new_name) {
        return Err(format!(
            "a member named {} already exists ({}); choose another --new-name",
            clash.name,
            format_id(clash.id)
        ));
    }
    let peer_url = facts.peer_url();
    if let Some(clash) = others().find(|m| m.peer_urls.contains(&peer_url)) {
        return Err(format!(
            "{peer_url} is already the peer URL of {}; choose another --new-host or --peer-port",
            clash.display_name()
        ));
    }
    Ok(Removal {
        now,
        after,
        failed_healthy,
    })
}

#[path = "member_replace_steps.rs"]
mod steps;

#[cfg(test)]
#[path = "member_replace_tests.rs"]
mod tests;
