//! Member recovery on a surviving host (the procedure's "Adding New etcd Hosts", for replacing
//! a failed one): remove the failed member, sign the new host's certificates, add it, and hand
//! everything the new host needs over in one join bundle.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::member_input::{NewHost, render_new_member_conf};
use crate::connection::ConnectionSettings;
use crate::etcd::{MemberInfo, Quorum, check_removal, format_id, size_advice};
use crate::facts::EtcdConf;
use crate::plan::{Action, Check, CommandSpec, EtcdCall, Plan, Risk, Step, StepValue};

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
    /// Members removed by the replacement, dropped from a process cluster's list on join.
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

fn step(title: String, reason: String, risk: Risk, action: Action, if_failed: &str) -> Step {
    Step::new(title, reason, risk, action, Check::Completed, if_failed)
}

/// What the removal leaves: the quorum arithmetic the plan's reasons quote.
struct Removal {
    now: Quorum,
    after: Quorum,
    failed_healthy: bool,
}

/// Plans the replacement, or refuses with the reason (quorum, a half-added member, a name or
/// address already taken) before anything runs. The phases: check, assemble the new host's
/// files, change the membership, hand the bundle over.
pub fn plan_member_replace(facts: &MemberReplaceFacts) -> Result<Plan, String> {
    let failed = &facts.failed;
    let removal = refusals(facts)?;
    let (path, path_reason) = choose_join_path(
        facts.db_size,
        facts.learner_threshold,
        facts.datadir_backup.is_some(),
    );
    let staging = facts.out.join(format!("{}.partial", facts.new_name));
    let bundle = facts.bundle();
    let peer_url = facts.peer_url();
    let mut steps = vec![check_step(facts, &removal)];
    steps.extend(files_steps(facts, path, &staging)?);
    steps.extend(membership_steps(facts, &removal, path, path_reason));
    steps.extend(datadir_backup_step(facts, path, &staging));
    steps.extend(handover_steps(facts, &staging));
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
            peer_url,
            bundle.display(),
            facts.connection.source
        ),
        etcdctl_flags: facts.connection.etcdctl_flags(),
        steps,
    })
}

/// Everything that makes a replacement unsafe or impossible, found before any plan exists.
fn refusals(facts: &MemberReplaceFacts) -> Result<Removal, String> {
    let failed = &facts.failed;
    let voters: Vec<&MemberInfo> = facts.members.iter().filter(|m| !m.is_learner).collect();
    let healthy_voters = voters
        .iter()
        .filter(|m| facts.healthy.contains(&m.id))
        .count();
    let failed_healthy = facts.healthy.contains(&failed.id);
    let after = check_removal(
        voters.len(),
        healthy_voters,
        failed_healthy && !failed.is_learner,
        !failed.is_learner,
        failed.display_name(),
    )?;
    if let Some(unstarted) = facts
        .members
        .iter()
        .find(|m| m.name.is_empty() && m.id != failed.id)
    {
        return Err(format!(
            "member {} ({}) was added but has never started: finish that join first, or remove it \
             with `etcdctl member remove {}`; etcd refuses a second pending member",
            format_id(unstarted.id),
            unstarted.peer_urls.join(","),
            format_id(unstarted.id)
        ));
    }
    if let Some(clash) = facts
        .members
        .iter()
        .find(|m| m.id != failed.id && m.name == facts.new_name)
    {
        return Err(format!(
            "a member named {} already exists ({}); choose another --new-name",
            clash.name,
            format_id(clash.id)
        ));
    }
    let peer_url = facts.peer_url();
    if let Some(clash) = facts
        .members
        .iter()
        .find(|m| m.id != failed.id && m.peer_urls.contains(&peer_url))
    {
        return Err(format!(
            "{peer_url} is already the peer URL of {}; choose another --new-host or --peer-port",
            clash.display_name()
        ));
    }

    Ok(Removal {
        now: Quorum::new(voters.len(), healthy_voters),
        after,
        failed_healthy,
    })
}

/// The first step: health and quorum, with what the removal will leave.
fn check_step(facts: &MemberReplaceFacts, removal: &Removal) -> Step {
    let failed = &facts.failed;
    let (now, after) = (&removal.now, &removal.after);
    let members_after = facts.members.iter().filter(|m| m.id != failed.id).count() + 1;
    step(
        "Check health and quorum".into(),
        format!(
            "Nothing is changed on a cluster whose state is not known. Now: {}. After removing {}: \
                 {} of {} voters, {} needed. {}",
            now.verdict(),
            failed.display_name(),
            after.healthy_voters,
            after.voters,
            after.majority,
            size_advice(members_after)
        ),
        Risk::ReadOnly,
        Action::Etcd(EtcdCall::QuorumCheck {
            remove: Some(failed.id),
        }),
        "Nothing was changed. Read the verdict above: with quorum lost, member recovery cannot \
             work; restore from a backup instead.",
    )
}

/// The new host's files assembled in the staging directory: certificates, etcd.conf, join.json.
fn files_steps(
    facts: &MemberReplaceFacts,
    path: JoinPath,
    staging: &Path,
) -> Result<Vec<Step>, String> {
    let failed = &facts.failed;
    let bundle = facts.bundle();
    let conf = new_member_conf(facts);
    let manifest_json = serde_json::to_string_pretty(&join_manifest(facts, path))
        .map_err(|e| format!("writing the join manifest: {e}"))?;
    Ok(vec![
        step(
            "Prepare the bundle directory".into(),
            format!(
                "The new host's files are assembled in {} and packed into {}; nothing is left half-written.",
                staging.display(),
                bundle.display()
            ),
            Risk::ReadOnly,
            Action::PrepareBundle {
                staging: staging.to_path_buf(),
                out: bundle.clone(),
            },
            "Nothing was changed on the cluster. Choose another --out or remove what the error names.",
        ),
        step(
            format!("Sign certificates for {}", facts.new_name),
            format!(
                "The new host needs a server and a peer certificate signed by the etcd CA ({}), with \
                 CN={} and SAN {}: the procedure's openssl commands, done natively.",
                facts.ca_dir.display(),
                facts.new_name,
                facts.new_host.san()
            ),
            Risk::Reversible,
            Action::IssueCertificates {
                ca_dir: facts.ca_dir.clone(),
                common_name: facts.new_name.clone(),
                sans: vec![facts.new_host.san()],
                out_dir: staging.to_path_buf(),
            },
            "Nothing was changed on the cluster. Check that the CA files are readable (run as root \
             on a real host).",
        ),
        step(
            format!("Write {}'s etcd.conf", facts.new_name),
            format!(
                "From this host's {}: ETCD_NAME, ETCD_INITIAL_CLUSTER (without {}), \
                 ETCD_INITIAL_CLUSTER_STATE=existing and the four URL variables with the new address.",
                facts.template_path.display(),
                failed.display_name()
            ),
            Risk::Reversible,
            Action::WriteFile {
                path: staging.join("etcd.conf"),
                contents: conf.to_string(),
                mode: 0o644,
            },
            "Nothing was changed on the cluster.",
        ),
        step(
            "Write the join instructions".into(),
            "join.json tells `lifeboat member join` the new member's URLs, the surviving members, \
             and whether it joins as a learner."
                .into(),
            Risk::Reversible,
            Action::WriteFile {
                path: staging.join(JOIN_MANIFEST),
                contents: manifest_json,
                mode: 0o644,
            },
            "Nothing was changed on the cluster.",
        ),
    ])
}

/// The new host's etcd.conf: the survivor's, with the new member in and the failed one out.
fn new_member_conf(facts: &MemberReplaceFacts) -> EtcdConf {
    render_new_member_conf(
        &facts.template,
        &facts.members,
        &[facts.failed.id],
        &facts.new_name,
        &facts.new_host,
        facts.client_port,
        facts.peer_port,
    )
}

/// What `member join` reads on the new host.
fn join_manifest(facts: &MemberReplaceFacts, path: JoinPath) -> JoinManifest {
    let failed = &facts.failed;
    let survivors: Vec<&MemberInfo> = facts.members.iter().filter(|m| m.id != failed.id).collect();
    JoinManifest {
        format: 1,
        name: facts.new_name.clone(),
        client_url: facts.client_url(),
        peer_url: facts.peer_url(),
        cluster_client_urls: survivors
            .iter()
            .flat_map(|m| m.client_urls.iter().cloned())
            .collect(),
        path,
        conf_dir: facts
            .template_path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/etc/etcd")),
        replaces: vec![failed.display_name().to_string()],
        with_data: path == JoinPath::DataDirBackup,
    }
}

/// The failed member removed and the new one added, as a learner or a voter.
fn membership_steps(
    facts: &MemberReplaceFacts,
    removal: &Removal,
    path: JoinPath,
    path_reason: String,
) -> Vec<Step> {
    let failed = &facts.failed;
    let (after, failed_healthy) = (&removal.after, removal.failed_healthy);
    let peer_url = facts.peer_url();
    vec![
        Step {
            check: Check::Completed,
            ..step(
                format!("Remove the failed member {}", failed.display_name()),
                format!(
                    "{} (ID {}) still counts in the majority: removing it makes the cluster {} \
                     voters with {} needed. {}",
                    failed.display_name(),
                    format_id(failed.id),
                    after.voters,
                    after.majority,
                    if failed_healthy {
                        "WARNING: this member is still answering; it will stop being part of the cluster."
                    } else {
                        "It is not answering."
                    }
                ),
                Risk::Destructive,
                Action::Etcd(EtcdCall::MemberRemove {
                    id: failed.id,
                    name: failed.display_name().to_string(),
                }),
                "The failed member is still listed: nothing changed. Check `lifeboat status` and run \
                 the replacement again.",
            )
        },
        step(
            format!(
                "Add {} as {}",
                facts.new_name,
                if path == JoinPath::Learner {
                    "a learner"
                } else {
                    "a member"
                }
            ),
            path_reason,
            Risk::Reversible,
            Action::Etcd(EtcdCall::MemberAdd {
                name: facts.new_name.clone(),
                peer_urls: vec![peer_url.clone()],
                learner: path == JoinPath::Learner,
            }),
            "The failed member is already removed: the cluster is safe with one member less. Fix the \
             cause above, then add the new member with the etcdctl command shown, or replace the \
             next failure with a new bundle.",
        ),
    ]
}

/// The procedure's `etcdctl backup` for the new member, where the path ships a data copy.
fn datadir_backup_step(facts: &MemberReplaceFacts, path: JoinPath, staging: &Path) -> Option<Step> {
    let (JoinPath::DataDirBackup, Some(backup)) = (path, &facts.datadir_backup) else {
        return None;
    };
    Some(Step {
        check: Check::ExitSuccess,
        ..step(
            "Back up the data directory for the new member".into(),
            "The procedure's step 5.2: a copy that keeps the cluster ID and carries the new \
                 member's ID, shipped in the bundle. Prune resources or clear TTL data such as \
                 events first if it is larger than 700 MB; stop the other hosts if it still is."
                .into(),
            Risk::ReadOnly,
            Action::Run(
                CommandSpec::local([
                    backup.etcdctl.display().to_string(),
                    "backup".into(),
                    "--keep-cluster-id".into(),
                    "--node-id".into(),
                    StepValue::NewMemberId.placeholder().into(),
                    "--data-dir".into(),
                    backup.data_dir.display().to_string(),
                    "--backup-dir".into(),
                    staging.join("data").display().to_string(),
                ])
                .with_env("ETCDCTL_API", "2")
                .with_timeout(600)
                .filled_from(StepValue::NewMemberId),
            ),
            "The new member is added but has no data copy: `etcdctl member remove` it and run the \
                 replacement again, or let it join over raft as a learner.",
        )
    })
}

/// The bundle packed, the unpacked keys removed whatever happened, and the hand-over.
fn handover_steps(facts: &MemberReplaceFacts, staging: &Path) -> Vec<Step> {
    let bundle = facts.bundle();
    let mut steps = Vec::new();
    steps.push(step(
        format!("Pack {}", bundle.display()),
        "Certificates, ca.crt, etcd.conf and join.json in one archive (keys 0600), as the \
         procedure's `tar -czvf`."
            .into(),
        Risk::ReadOnly,
        Action::PackDirectory {
            dir: staging.to_path_buf(),
            to: bundle.clone(),
        },
        "The member is added but the bundle was not written: check the disk under --out and run \
         the replacement again.",
    ));
    steps.push(Step {
        always_run: true,
        ..step(
            "Remove the unpacked copy".into(),
            "The staging directory holds private keys; only the packed bundle is kept.".into(),
            Risk::Reversible,
            Action::DiscardStaging {
                staging: staging.to_path_buf(),
            },
            "Remove the .partial directory by hand: it holds private keys.",
        )
    });
    steps.push(Step {
        check: Check::Confirmed,
        ..step(
            format!("Hand the bundle to {}", facts.new_name),
            "The rest happens on the new host: copy the bundle over, open the etcd ports, and join."
                .into(),
            Risk::ReadOnly,
            Action::Manual {
                checklist: vec![
                    format!(
                        "scp {} {}:/etc/etcd/",
                        bundle.display(),
                        facts.new_host.url_host()
                    ),
                    format!(
                        "on {} (lifeboat member join does these when iptables is there): iptables -N \
                         OS_FIREWALL_ALLOW; iptables -t filter -I INPUT -j OS_FIREWALL_ALLOW; iptables \
                         -A OS_FIREWALL_ALLOW -p tcp -m state --state NEW -m tcp --dport {} -j ACCEPT; \
                         iptables -A OS_FIREWALL_ALLOW -p tcp -m state --state NEW -m tcp --dport {} -j \
                         ACCEPT; iptables-save",
                        facts.new_name, facts.client_port, facts.peer_port
                    ),
                    format!(
                        "on {}: lifeboat member join --bundle /etc/etcd/{}.tgz",
                        facts.new_name, facts.new_name
                    ),
                ],
            },
            "",
        )
    });
    steps
}

#[cfg(test)]
#[path = "member_replace_tests.rs"]
mod tests;
