//! The steps of a member replacement, phase by phase: the check, the new host's files packed
//! into the join bundle, the membership change, the data copy where the path ships one, and
//! the hand-over.

use std::path::{Path, PathBuf};

use super::{JOIN_MANIFEST, JoinManifest, JoinPath, MemberReplaceFacts, Removal};
use crate::etcd::{format_id, size_advice};
use crate::plan::{Action, Check, CommandSpec, EtcdCall, Risk, Step, StepValue};
use crate::procedures::render_new_member_conf;

fn step(title: String, reason: String, risk: Risk, action: Action, if_failed: &str) -> Step {
    Step::new(title, reason, risk, action, Check::Completed, if_failed)
}

/// Health and quorum now, with what the removal will leave.
pub(super) fn check(facts: &MemberReplaceFacts, removal: &Removal) -> Step {
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
            remove: (!facts.failed_removed).then_some(failed.id),
        }),
        "Nothing was changed. Read the verdict above: with quorum lost, member recovery cannot \
         work; restore from a backup instead.",
    )
}

/// The new host's files assembled in the staging directory and packed into the join bundle,
/// synced before the cluster is changed.
pub(super) fn files(
    facts: &MemberReplaceFacts,
    path: JoinPath,
    staging: &Path,
) -> Result<Vec<Step>, String> {
    let bundle = facts.bundle();
    let manifest_json = serde_json::to_string_pretty(&join_manifest(facts, path))
        .map_err(|e| format!("writing the join manifest: {e}"))?;
    let unchanged = "Nothing was changed on the cluster.";
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
                facts.failed.display_name()
            ),
            Risk::Reversible,
            Action::WriteFile {
                path: staging.join("etcd.conf"),
                contents: new_member_conf(facts),
                mode: 0o644,
            },
            unchanged,
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
            unchanged,
        ),
        step(
            format!("Pack {}", bundle.display()),
            "Certificates, ca.crt, etcd.conf and join.json in one archive (keys 0600), as the \
             procedure's `tar -czvf`, synced to disk before the cluster is changed: once the \
             failed member is removed, this bundle is the way forward."
                .into(),
            Risk::ReadOnly,
            Action::PackDirectory {
                dir: staging.to_path_buf(),
                to: bundle,
            },
            "Nothing was changed on the cluster. Check the disk under --out and run the \
             replacement again.",
        ),
    ])
}

/// The new host's etcd.conf: the survivor's, with the new member in and the failed one out.
fn new_member_conf(facts: &MemberReplaceFacts) -> String {
    render_new_member_conf(
        &facts.template,
        &facts.members,
        &[facts.failed.id],
        &facts.new_name,
        &facts.new_host,
        facts.client_port,
        facts.peer_port,
    )
    .to_string()
}

/// What `member join` reads on the new host. The first bundle is packed before any membership
/// change, so it holds no data copy yet; the data path packs a second one once the copy is made.
fn join_manifest(facts: &MemberReplaceFacts, path: JoinPath) -> JoinManifest {
    let failed = &facts.failed;
    JoinManifest {
        format: 1,
        name: facts.new_name.clone(),
        client_url: facts.client_url(),
        peer_url: facts.peer_url(),
        cluster_client_urls: facts
            .members
            .iter()
            .filter(|m| m.id != failed.id)
            .flat_map(|m| m.client_urls.iter().cloned())
            .collect(),
        path,
        conf_dir: facts
            .template_path
            .parent()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/etc/etcd")),
        replaces: vec![failed.display_name().to_string()],
        with_data: false,
    }
}

fn join_command(facts: &MemberReplaceFacts) -> String {
    format!(
        "lifeboat member join --bundle /etc/etcd/{}.tgz",
        facts.new_name
    )
}

/// The failed member removed and the new one added, as a learner or a voter.
pub(super) fn membership(
    facts: &MemberReplaceFacts,
    removal: &Removal,
    path: JoinPath,
    path_reason: String,
) -> Vec<Step> {
    let failed = &facts.failed;
    let add_call = EtcdCall::MemberAdd {
        name: facts.new_name.clone(),
        peer_urls: vec![facts.peer_url()],
        learner: path == JoinPath::Learner,
    };
    let add_by_hand = crate::plan::shell_join(
        std::iter::once("etcdctl".to_string())
            .chain(facts.connection.etcdctl_flags())
            .chain(add_call.etcdctl_equivalent()),
    );
    let learner = if path == JoinPath::Learner {
        "a learner"
    } else {
        "a member"
    };
    let remove = if facts.failed_removed {
        Step::new(
            format!("Remove the failed member {}", failed.display_name()),
            format!(
                "{} is no longer in the member list (a new cluster was forced without it): \
                 nothing to remove.",
                failed.display_name()
            ),
            Risk::ReadOnly,
            Action::Skip {
                reason: format!("{} is not a member any more", failed.display_name()),
            },
            Check::Completed,
            "",
        )
    } else {
        removal_step(facts, removal)
    };
    vec![
        remove,
        step(
            format!("Add {} as {learner}", facts.new_name),
            path_reason,
            Risk::Reversible,
            Action::Etcd(add_call),
            &format!(
                "{} (ID {}) is already removed: the cluster is safe with one member less, and {} \
                 is complete. Fix the cause above, then add the new member by hand: `{add_by_hand}`; \
                 then copy the bundle to {} and run `{}` there.",
                failed.display_name(),
                format_id(failed.id),
                facts.bundle().display(),
                facts.new_host.url_host(),
                join_command(facts)
            ),
        ),
    ]
}

/// `etcdctl member remove` of the failed member, with what it leaves.
fn removal_step(facts: &MemberReplaceFacts, removal: &Removal) -> Step {
    let failed = &facts.failed;
    step(
        format!("Remove the failed member {}", failed.display_name()),
        format!(
            "{} (ID {}) still counts in the majority: removing it makes the cluster {} voters \
             with {} needed. {}",
            failed.display_name(),
            format_id(failed.id),
            removal.after.voters,
            removal.after.majority,
            if removal.failed_healthy {
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
}

/// The second bundle's name, where the path ships a data copy.
fn data_bundle(facts: &MemberReplaceFacts) -> PathBuf {
    facts.out.join(format!("{}.with-data.tgz", facts.new_name))
}

/// The procedure's `etcdctl backup` for the new member (it needs the member's ID, so it comes
/// after the add), then join.json rewritten and everything packed again under its own name.
pub(super) fn data_copy(
    facts: &MemberReplaceFacts,
    path: JoinPath,
    staging: &Path,
) -> Result<Vec<Step>, String> {
    let (JoinPath::DataDirBackup, Some(backup)) = (path, &facts.datadir_backup) else {
        return Ok(Vec::new());
    };
    let without_data = format!(
        "{} is added with ID ${{NODE_ID}} and {} (without the data copy) is complete: copy it to \
         {} and run `{}` there (it joins over raft), or remove the new member with \
         `etcdctl member remove ${{NODE_ID}}` and run the replacement again.",
        facts.new_name,
        facts.bundle().display(),
        facts.new_host.url_host(),
        join_command(facts)
    );
    let copy = CommandSpec::local([
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
    .filled_from(StepValue::NewMemberId);
    let with_data = JoinManifest {
        with_data: true,
        ..join_manifest(facts, path)
    };
    let json = serde_json::to_string_pretty(&with_data)
        .map_err(|e| format!("writing the join manifest: {e}"))?;
    Ok(vec![
        Step {
            check: Check::ExitSuccess,
            ..step(
                "Back up the data directory for the new member".into(),
                "The procedure's step 5.2: a copy that keeps the cluster ID and carries the new \
                 member's ID, shipped in the bundle. Prune resources or clear TTL data such as \
                 events first if it is larger than 700 MB; stop the other hosts if it still is."
                    .into(),
                Risk::ReadOnly,
                Action::Run(copy),
                &without_data,
            )
        },
        step(
            "Note the data copy in the join instructions".into(),
            "join.json now tells `lifeboat member join` to put the shipped data in place.".into(),
            Risk::Reversible,
            Action::WriteFile {
                path: staging.join(JOIN_MANIFEST),
                contents: json,
                mode: 0o644,
            },
            &without_data,
        ),
        step(
            format!("Pack {}", data_bundle(facts).display()),
            "The same files with the data copy, in a bundle of its own.".into(),
            Risk::ReadOnly,
            Action::PackDirectory {
                dir: staging.to_path_buf(),
                to: data_bundle(facts),
            },
            &without_data,
        ),
    ])
}

/// The unpacked keys removed whatever happened, and what the engineer does on the new host.
pub(super) fn handover(facts: &MemberReplaceFacts, path: JoinPath, staging: &Path) -> Vec<Step> {
    let handed_over = match (path, &facts.datadir_backup) {
        (JoinPath::DataDirBackup, Some(_)) => data_bundle(facts),
        _ => facts.bundle(),
    };
    let name = &facts.new_name;
    vec![
        Step {
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
        },
        Step {
            check: Check::Confirmed,
            ..step(
                format!("Hand the bundle to {name}"),
                "The rest happens on the new host: copy the bundle over, open the etcd ports, and \
                 join."
                    .into(),
                Risk::ReadOnly,
                Action::Manual {
                    checklist: vec![
                        format!(
                            "scp {} {}:/etc/etcd/{name}.tgz",
                            handed_over.display(),
                            facts.new_host.url_host()
                        ),
                        format!(
                            "on {name} (lifeboat member join does these when iptables is there): \
                             iptables -N OS_FIREWALL_ALLOW; iptables -t filter -I INPUT -j \
                             OS_FIREWALL_ALLOW; iptables -A OS_FIREWALL_ALLOW -p tcp -m state \
                             --state NEW -m tcp --dport {} -j ACCEPT; iptables -A \
                             OS_FIREWALL_ALLOW -p tcp -m state --state NEW -m tcp --dport {} -j \
                             ACCEPT; iptables-save",
                            facts.client_port, facts.peer_port
                        ),
                        format!("on {name}: {}", join_command(facts)),
                    ],
                },
                "",
            )
        },
    ]
}
