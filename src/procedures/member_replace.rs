//! Member recovery on a surviving host (the procedure's "Adding New etcd Hosts", for replacing
//! a failed one): remove the failed member, sign the new host's certificates, add it, and hand
//! everything the new host needs over in one join bundle.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::member_input::NewHost;
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

/// The new host's etcd.conf, from the surviving host's: its own name and URLs, the cluster as
/// it will be (without `removed`), and `existing` state, everything else as on the survivor.
pub fn render_new_member_conf(
    template: &EtcdConf,
    members: &[MemberInfo],
    removed: &[u64],
    new_name: &str,
    new_host: &NewHost,
    client_port: u16,
    peer_port: u16,
) -> EtcdConf {
    let peer_url = format!("https://{}:{peer_port}", new_host.url_host());
    let client_url = format!("https://{}:{client_port}", new_host.url_host());
    let initial_cluster: Vec<String> = members
        .iter()
        .filter(|m| !removed.contains(&m.id) && !m.name.is_empty())
        .flat_map(|m| {
            m.peer_urls
                .iter()
                .map(move |url| format!("{}={url}", m.name))
        })
        .chain(std::iter::once(format!("{new_name}={peer_url}")))
        .collect();
    let mut conf = template.clone();
    conf.set("ETCD_NAME", new_name);
    conf.set("ETCD_INITIAL_CLUSTER", initial_cluster.join(","));
    conf.set("ETCD_INITIAL_CLUSTER_STATE", "existing");
    conf.set(
        "ETCD_LISTEN_PEER_URLS",
        format!("https://{}:{peer_port}", new_host.listen_host()),
    );
    conf.set(
        "ETCD_LISTEN_CLIENT_URLS",
        format!("https://{}:{client_port}", new_host.listen_host()),
    );
    conf.set("ETCD_INITIAL_ADVERTISE_PEER_URLS", peer_url);
    conf.set("ETCD_ADVERTISE_CLIENT_URLS", client_url);
    conf
}

fn step(title: String, reason: String, risk: Risk, action: Action, if_failed: &str) -> Step {
    Step::new(title, reason, risk, action, Check::Completed, if_failed)
}

/// Plans the replacement, or refuses with the reason (quorum, a half-added member, a name or
/// address already taken) before anything runs.
pub fn plan_member_replace(facts: &MemberReplaceFacts) -> Result<Plan, String> {
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

    let (path, path_reason) = choose_join_path(
        facts.db_size,
        facts.learner_threshold,
        facts.datadir_backup.is_some(),
    );
    let staging = facts.out.join(format!("{}.partial", facts.new_name));
    let bundle = facts.bundle();
    let conf = render_new_member_conf(
        &facts.template,
        &facts.members,
        &[failed.id],
        &facts.new_name,
        &facts.new_host,
        facts.client_port,
        facts.peer_port,
    );
    let survivors: Vec<&MemberInfo> = facts.members.iter().filter(|m| m.id != failed.id).collect();
    let manifest = JoinManifest {
        format: 1,
        name: facts.new_name.clone(),
        client_url: facts.client_url(),
        peer_url: peer_url.clone(),
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
        // The first bundle is packed before any membership change, so it holds no data copy
        // yet; the data path packs a second one once the copy is made.
        with_data: false,
    };
    let manifest_json = serde_json::to_string_pretty(&manifest)
        .map_err(|e| format!("writing the join manifest: {e}"))?;
    let add_call = EtcdCall::MemberAdd {
        name: facts.new_name.clone(),
        peer_urls: vec![peer_url.clone()],
        learner: path == JoinPath::Learner,
    };
    let add_by_hand = crate::plan::shell_join(
        std::iter::once("etcdctl".to_string())
            .chain(facts.connection.etcdctl_flags())
            .chain(add_call.etcdctl_equivalent()),
    );
    let join_command = format!(
        "lifeboat member join --bundle /etc/etcd/{}.tgz",
        facts.new_name
    );
    let now = Quorum::new(voters.len(), healthy_voters);
    let members_after = survivors.len() + 1;

    let mut steps = vec![
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
        ),
        step(
            "Prepare the bundle directory".into(),
            format!(
                "The new host's files are assembled in {} and packed into {}; nothing is left half-written.",
                staging.display(),
                bundle.display()
            ),
            Risk::ReadOnly,
            Action::PrepareBundle {
                staging: staging.clone(),
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
                out_dir: staging.clone(),
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
        step(
            format!("Pack {}", bundle.display()),
            "Certificates, ca.crt, etcd.conf and join.json in one archive (keys 0600), as the \
             procedure's `tar -czvf`, synced to disk before the cluster is changed: once the \
             failed member is removed, this bundle is the way forward."
                .into(),
            Risk::ReadOnly,
            Action::PackDirectory {
                dir: staging.clone(),
                to: bundle.clone(),
            },
            "Nothing was changed on the cluster. Check the disk under --out and run the \
             replacement again.",
        ),
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
            Action::Etcd(add_call),
            &format!(
                "{} (ID {}) is already removed: the cluster is safe with one member less, and {} \
                 is complete. Fix the cause above, then add the new member by hand: `{add_by_hand}`; \
                 then copy the bundle to {} and run `{join_command}` there.",
                failed.display_name(),
                format_id(failed.id),
                bundle.display(),
                facts.new_host.url_host()
            ),
        ),
    ];
    let data_bundle = facts.out.join(format!("{}.with-data.tgz", facts.new_name));
    let without_data = format!(
        "{} is added with ID ${{NODE_ID}} and {} (without the data copy) is complete: copy it to \
         {} and run `{join_command}` there (it joins over raft), or remove the new member with \
         `etcdctl member remove ${{NODE_ID}}` and run the replacement again.",
        facts.new_name,
        bundle.display(),
        facts.new_host.url_host()
    );
    let handed_over = match (path, &facts.datadir_backup) {
        (JoinPath::DataDirBackup, Some(_)) => data_bundle.clone(),
        _ => bundle.clone(),
    };
    if let (JoinPath::DataDirBackup, Some(backup)) = (path, &facts.datadir_backup) {
        steps.push(Step {
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
                &without_data,
            )
        });
        steps.extend(data_bundle_steps(
            &manifest,
            &staging,
            &data_bundle,
            &without_data,
        )?);
    }
    steps.push(Step {
        always_run: true,
        ..step(
            "Remove the unpacked copy".into(),
            "The staging directory holds private keys; only the packed bundle is kept.".into(),
            Risk::Reversible,
            Action::DiscardStaging {
                staging: staging.clone(),
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
                        "scp {} {}:/etc/etcd/{}.tgz",
                        handed_over.display(),
                        facts.new_host.url_host(),
                        facts.new_name
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

/// The data path's second bundle: join.json rewritten to say the copy is there, and
/// everything packed again under its own name (the first bundle is never overwritten).
fn data_bundle_steps(
    manifest: &JoinManifest,
    staging: &std::path::Path,
    data_bundle: &std::path::Path,
    if_failed: &str,
) -> Result<Vec<Step>, String> {
    let with_data = JoinManifest {
        with_data: true,
        ..manifest.clone()
    };
    let json = serde_json::to_string_pretty(&with_data)
        .map_err(|e| format!("writing the join manifest: {e}"))?;
    Ok(vec![
        step(
            "Note the data copy in the join instructions".into(),
            "join.json now tells `lifeboat member join` to put the shipped data in place.".into(),
            Risk::Reversible,
            Action::WriteFile {
                path: staging.join(JOIN_MANIFEST),
                contents: json,
                mode: 0o644,
            },
            if_failed,
        ),
        step(
            format!("Pack {}", data_bundle.display()),
            "The same files with the data copy, in a bundle of its own.".into(),
            Risk::ReadOnly,
            Action::PackDirectory {
                dir: staging.to_path_buf(),
                to: data_bundle.to_path_buf(),
            },
            if_failed,
        ),
    ])
}

#[cfg(test)]
#[path = "member_replace_tests.rs"]
mod tests;
