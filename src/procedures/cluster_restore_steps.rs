//! The phases of a cluster restore, and the steps each member's data goes through.

use super::*;

/// Verify the bundle, the prerequisites, the certificates and keys, and what the engineer does
/// on the other members' hosts.
pub(super) fn preparation(facts: &ClusterRestoreFacts) -> Vec<Step> {
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
    steps
}

/// Every local member stopped, and nothing answering any more.
pub(super) fn stop(local: &[&RestoreMember]) -> Vec<Step> {
    let mut steps = Vec::new();
    for member in local {
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
    steps
}

/// etcd started on the restored data: for a copied data directory, once with the force flag
/// to form a new cluster and again without it.
pub(super) fn restart(
    facts: &ClusterRestoreFacts,
    local: &[&RestoreMember],
    way_back: &str,
) -> Vec<Step> {
    let mut steps = Vec::new();
    let force_new = matches!(facts.data, RestoreData::DataDir(_));
    if force_new {
        for member in local {
            steps.push(conf_step(member, Some("true"), way_back));
        }
    }
    start_and_wait(local, way_back, &mut steps);
    if force_new {
        for member in local {
            steps.push(conf_step(member, None, way_back));
            steps.push(step(
                &format!("Stop {} after its first start", member.name),
                "The new cluster is formed; etcd restarts without the force flag so that a later \
                 restart cannot reset its membership again.",
                Risk::Reversible,
                Action::Run(member.service.stop_command()),
                way_back,
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
            way_back,
        ));
        start_and_wait(local, way_back, &mut steps);
    }
    steps
}

/// Health from inside each container, and the data compared with the bundle's.
pub(super) fn check(
    facts: &ClusterRestoreFacts,
    local: &[&RestoreMember],
    way_back: &str,
) -> Vec<Step> {
    let mut steps = Vec::new();
    for member in local {
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
                way_back,
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
    steps
}

pub(super) fn data_steps(
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
                "`{} snapshot restore` builds a fresh data directory from the snapshot, with \
                 member {} at {} as in this host's configuration. {}",
                if facts.etcdutl.is_some() {
                    "etcdutl"
                } else {
                    "etcdctl"
                },
                member.name,
                member.peer_url,
                revision_note(facts, member)
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
    permission_steps(facts, member, way_back, steps);
}

/// The restored files given the SELinux labels and the owner etcd expects.
fn permission_steps(
    facts: &ClusterRestoreFacts,
    member: &RestoreMember,
    way_back: &str,
    steps: &mut Vec<Step>,
) {
    let dir = &member.data_dir;
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

/// Whether the restore moves the revision on, and why, or what is missing for it.
fn bumps_revision(facts: &ClusterRestoreFacts, member: &RestoreMember) -> bool {
    member.image.is_none() && facts.restore_abilities.bump_revision
}

fn revision_note(facts: &ClusterRestoreFacts, member: &RestoreMember) -> String {
    let from = facts
        .stats
        .as_ref()
        .map_or("the snapshot's revision".to_string(), |s| {
            format!("revision {}", s.revision)
        });
    let tool = facts
        .restore_abilities
        .version
        .clone()
        .unwrap_or_else(|| "The restore tool".into());
    if bumps_revision(facts, member) {
        format!(
            "--bump-revision {REVISION_BUMP} --mark-compacted: the cluster goes on from {from} plus \
             {REVISION_BUMP}, past anything the lost cluster wrote since, and marks the history \
             compacted, so Kubernetes' watch caches start over instead of serving what the restore \
             took back ({tool})."
        )
    } else if member.image.is_some() {
        format!(
            "The container's etcdctl is used as it is: without --bump-revision the cluster goes on \
             from {from}; restart every API server after the restore so their watch caches start over."
        )
    } else {
        format!(
            "{tool} has no --bump-revision/--mark-compacted (etcdutl 3.5.10+ has them): the cluster \
             goes on from {from}; restart every API server after the restore so their watch caches \
             start over."
        )
    }
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
                ]
                .into_iter()
                .chain(
                    bumps_revision(facts, member)
                        .then(|| {
                            [
                                "--bump-revision".to_string(),
                                REVISION_BUMP.to_string(),
                                "--mark-compacted".into(),
                            ]
                        })
                        .into_iter()
                        .flatten(),
                )
                .collect(),
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
