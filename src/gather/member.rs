//! Member replace and member join: what each host has, found before planning, so that bad
//! input and an unsafe cluster are refused before anything runs.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use color_eyre::eyre::{Result, WrapErr, bail, eyre};

use crate::connection::ConnectionSettings;
use crate::etcd::{MemberInfo, collect_snapshot, format_id};
use crate::facts::{EtcdConf, ProcessCluster};
use crate::pki::CertificateAuthority;
use crate::plan::Plan;
use crate::procedures::{
    DatadirBackup, FIREWALL_CHAIN, Firewall, JOIN_MANIFEST, JoinManifest, JoinStart,
    MemberJoinFacts, MemberReplaceFacts, NewHost, accept_rule, plan_member_replace,
    validate_member_name,
};
use crate::requests::{JoinStartChoice, MemberJoinRequest, MemberReplaceRequest};

/// The process cluster named by `--process-cluster` (or `LIFEBOAT_PROCESS_CLUSTER`), loaded.
fn process_cluster(file: Option<&Path>) -> Result<Option<ProcessCluster>> {
    file.map(|file| {
        let file = std::path::absolute(file).wrap_err("resolving --process-cluster")?;
        ProcessCluster::load(&file)
    })
    .transpose()
}

fn find_failed<'a>(members: &'a [MemberInfo], wanted: &str) -> Result<&'a MemberInfo> {
    let by_id = u64::from_str_radix(wanted.trim_start_matches("0x"), 16).ok();
    members
        .iter()
        .find(|m| m.name == wanted || Some(m.id) == by_id)
        .ok_or_else(|| {
            eyre!(
                "{wanted:?} is not a member; the members are {}",
                members
                    .iter()
                    .map(|m| format!("{} ({})", m.display_name(), format_id(m.id)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })
}

/// A member this host's configuration still names but the cluster no longer lists: after a
/// quorum restore forced a new cluster from one survivor, the lost members are replaced
/// without a removal. Known from the process cluster, or from the survivor's etcd.conf
/// (`ETCD_INITIAL_CLUSTER` keeps the names the cluster was built with).
fn removed_member(
    args: &MemberReplaceRequest,
    cluster: Option<&ProcessCluster>,
) -> Option<MemberInfo> {
    let wanted = args.failed.as_str();
    if let Some(member) = cluster.and_then(|c| c.member(wanted)) {
        return Some(MemberInfo {
            id: 0,
            name: member.name.clone(),
            peer_urls: vec![member.peer_url.clone()],
            client_urls: vec![member.client_url.clone()],
            is_learner: false,
        });
    }
    let conf_path = args
        .etcd_conf
        .clone()
        .unwrap_or_else(|| PathBuf::from("/etc/etcd/etcd.conf"));
    let conf = EtcdConf::load(&conf_path).ok()?;
    let peer_url = conf
        .get("ETCD_INITIAL_CLUSTER")?
        .split(',')
        .filter_map(|entry| entry.split_once('='))
        .find(|(name, _)| *name == wanted)
        .map(|(_, url)| url.to_string())?;
    Some(MemberInfo {
        id: 0,
        name: wanted.to_string(),
        peer_urls: vec![peer_url],
        client_urls: Vec::new(),
        is_learner: false,
    })
}

/// Whether the installed `etcdctl backup` is one of the builds the procedure's data copy
/// needs (`--keep-cluster-id --node-id`, etcd 2.3.7-4+); etcd 3.x's is not.
fn backup_keeps_cluster_id(etcdctl: &Path) -> bool {
    Command::new(etcdctl)
        .args(["backup", "--help"])
        .env("ETCDCTL_API", "2")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|out| {
            let text = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            text.contains("--keep-cluster-id") && text.contains("--node-id")
        })
}

pub async fn plan_replace(
    connection: ConnectionSettings,
    args: &MemberReplaceRequest,
) -> Result<Plan> {
    // Everything the engineer typed is checked before the cluster is even asked.
    let (new_host, out) = checked_input(args)?;
    let cluster = process_cluster(args.process_cluster.as_deref())?;
    let ca_dir = readable_ca(args, cluster.as_ref())?;
    let snapshot = collect_snapshot(&connection.target).await;
    let members = snapshot.members.clone().map_err(|error| {
        eyre!(
            "no member could list the cluster ({error}).\n  {}\n  Member recovery needs a working \
             majority. This is the disaster-recovery path: restore etcd from a backup on one host \
             (`lifeboat restore cluster`), or force a new cluster from the survivor with the most \
             data (`lifeboat restore quorum`), then add the other hosts back with `lifeboat member \
             replace`.",
            snapshot.quorum().verdict()
        )
    })?;
    let (failed, failed_removed) = match find_failed(&members, &args.failed) {
        Ok(member) => (member.clone(), false),
        Err(not_a_member) => (
            removed_member(args, cluster.as_ref()).ok_or(not_a_member)?,
            true,
        ),
    };
    let healthy: Vec<u64> = snapshot
        .endpoints
        .iter()
        .filter_map(|r| r.result.as_ref().ok().map(|s| s.member_id))
        .collect();
    let db_size = snapshot
        .endpoints
        .iter()
        .filter_map(|r| r.result.as_ref().ok())
        .map(|s| u64::try_from(s.db_size).unwrap_or(0))
        .max()
        .unwrap_or(0);
    let template_path = template_path(args, cluster.as_ref(), &failed, &members, &healthy)?;
    let template = EtcdConf::load(&template_path).wrap_err(
        "the new host's etcd.conf is made from this surviving host's; pass --etcd-conf if it is elsewhere",
    )?;
    let datadir_backup = crate::facts::Tools::discover()
        .etcdctl
        .filter(|etcdctl| backup_keeps_cluster_id(etcdctl))
        .map(|etcdctl| DatadirBackup {
            etcdctl,
            data_dir: PathBuf::from(template.get("ETCD_DATA_DIR").unwrap_or("/var/lib/etcd")),
        });
    let facts = MemberReplaceFacts {
        connection,
        members,
        healthy,
        db_size,
        failed,
        failed_removed,
        new_name: args.new_name.clone(),
        new_host,
        client_port: args.client_port,
        peer_port: args.peer_port,
        out,
        ca_dir,
        template,
        template_path,
        learner_threshold: args.learner_threshold,
        datadir_backup,
    };
    plan_member_replace(&facts).map_err(|refusal| eyre!(refusal))
}

/// Finds the learner in the member list, then plans its promotion.
pub async fn plan_promote(
    connection: ConnectionSettings,
    wanted: &str,
    wait_timeout_secs: u64,
) -> Result<Plan> {
    let members = crate::etcd::list_members(&connection.target)
        .await
        .map_err(|e| eyre!("no member could list the cluster: {e}"))?;
    let member = find_failed(&members, wanted)?;
    if !member.is_learner {
        bail!(
            "{} is a voting member already: nothing to promote",
            member.display_name()
        );
    }
    let client_url = member.client_urls.first().cloned().ok_or_else(|| {
        eyre!(
            "{} has never started (no client URL): start it with `lifeboat member join` first",
            member.display_name()
        )
    })?;
    Ok(crate::procedures::plan_member_promote(
        &crate::procedures::MemberPromoteFacts {
            name: member.name.clone(),
            client_url,
            wait_timeout_secs,
            connection,
        },
    ))
}

/// The new member's name, host and ports, and a bundle path that is free.
fn checked_input(args: &MemberReplaceRequest) -> Result<(NewHost, PathBuf)> {
    validate_member_name(&args.new_name).map_err(|e| eyre!(e))?;
    let new_host = NewHost::parse(&args.new_host).map_err(|e| eyre!(e))?;
    if args.client_port == 0 || args.peer_port == 0 || args.client_port == args.peer_port {
        bail!("--client-port and --peer-port must be two different ports above 0");
    }
    let out = std::path::absolute(&args.out).wrap_err("resolving --out")?;
    let bundle = out.join(format!("{}.tgz", args.new_name));
    if bundle.exists() {
        bail!(
            "{} already exists: lifeboat never writes over a bundle; move it away or choose another --out",
            bundle.display()
        );
    }
    Ok((new_host, out))
}

/// The etcd CA that signs the new host's certificates, checked readable now.
fn readable_ca(args: &MemberReplaceRequest, cluster: Option<&ProcessCluster>) -> Result<PathBuf> {
    let ca_dir = match (&args.ca_dir, cluster) {
        (Some(dir), _) => dir.clone(),
        (None, Some(cluster)) => cluster.ca_dir.clone(),
        (None, None) => PathBuf::from("/etc/etcd/ca"),
    };
    CertificateAuthority::load(&ca_dir).wrap_err_with(|| {
        format!(
            "the new host's certificates are signed with the etcd CA, which is not readable in {}; \
             run as root, or pass --ca-dir with the directory holding ca.crt and ca.key",
            ca_dir.display()
        )
    })?;
    Ok(ca_dir)
}

/// The surviving host's etcd.conf the new member's is made from: `--etcd-conf`, a healthy
/// member's of the process cluster, or this host's.
fn template_path(
    args: &MemberReplaceRequest,
    cluster: Option<&ProcessCluster>,
    failed: &MemberInfo,
    members: &[MemberInfo],
    healthy: &[u64],
) -> Result<PathBuf> {
    Ok(match (&args.etcd_conf, cluster) {
        (Some(path), _) => path.clone(),
        (None, Some(cluster)) => {
            let survivor = cluster
                .members
                .iter()
                .find(|m| {
                    m.name != failed.name
                        && members
                            .iter()
                            .any(|c| c.name == m.name && healthy.contains(&c.id))
                })
                .ok_or_else(|| eyre!("no surviving member of the process cluster answers"))?;
            survivor.conf.clone()
        }
        (None, None) => PathBuf::from("/etc/etcd/etcd.conf"),
    })
}

fn port_of(url: &str) -> Option<u16> {
    url.trim_end_matches('/').rsplit(':').next()?.parse().ok()
}

fn iptables_ok(args: &[String]) -> bool {
    Command::new("iptables")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Which of the procedure's rules are missing, asked with `iptables -C`.
fn firewall(ports: &[u16]) -> Firewall {
    if which::which("iptables").is_err() {
        return Firewall::NotInstalled;
    }
    let chain_exists = iptables_ok(&["-n".into(), "-L".into(), FIREWALL_CHAIN.into()]);
    let missing_ports = ports
        .iter()
        .copied()
        .filter(|port| {
            !chain_exists || {
                let mut check = vec!["-C".to_string()];
                check.extend(accept_rule(*port));
                !iptables_ok(&check)
            }
        })
        .collect();
    Firewall::Iptables {
        chain_exists,
        missing_ports,
    }
}

pub fn join_facts(args: &MemberJoinRequest) -> Result<MemberJoinFacts> {
    let bundle = std::path::absolute(&args.bundle).wrap_err("resolving --bundle")?;
    let not_a_bundle = || {
        format!(
            "{} is not a join bundle of `lifeboat member replace` (it must hold {JOIN_MANIFEST} and etcd.conf)",
            bundle.display()
        )
    };
    let manifest_text =
        crate::bundle::read_member(&bundle, JOIN_MANIFEST)?.ok_or_else(|| eyre!(not_a_bundle()))?;
    let manifest = JoinManifest::parse(&manifest_text)
        .map_err(|e| eyre!(e))
        .wrap_err_with(not_a_bundle)?;
    let conf = EtcdConf::parse(
        &crate::bundle::read_member(&bundle, "etcd.conf")?.ok_or_else(|| eyre!(not_a_bundle()))?,
    );
    let ports: Vec<u16> = [&manifest.client_url, &manifest.peer_url]
        .iter()
        .filter_map(|url| port_of(url))
        .collect();
    let (etc_dir, data_dir_override, start, firewall) =
        match process_cluster(args.process_cluster.as_deref())? {
            Some(cluster) => supervised_join(&cluster, &manifest)?,
            None => host_join(args, &ports)?,
        };
    let data_dir = data_dir_override
        .clone()
        .unwrap_or_else(|| PathBuf::from(conf.get("ETCD_DATA_DIR").unwrap_or("/var/lib/etcd")));
    let etcd_user = std::fs::read_to_string("/etc/passwd")
        .is_ok_and(|passwd| passwd.lines().any(|line| line.starts_with("etcd:")));
    Ok(MemberJoinFacts {
        bundle,
        manifest,
        conf,
        etc_dir,
        data_dir_override,
        start,
        firewall,
        stale_member_dir: data_dir.join("member").exists(),
        etcd_user,
        wait_timeout_secs: args.wait_timeout_secs,
    })
}

/// Where and how a member of a process cluster joins: in its host directory, started by the
/// supervisor's join command. Its members listen on 127.0.0.1 only.
fn supervised_join(
    cluster: &ProcessCluster,
    manifest: &JoinManifest,
) -> Result<(PathBuf, Option<PathBuf>, JoinStart, Firewall)> {
    if !manifest.client_url.starts_with("https://127.0.0.1:") {
        bail!(
            "the process cluster's members listen on 127.0.0.1, but the bundle is for {}: replace with --new-host 127.0.0.1",
            manifest.client_url
        );
    }
    if let Some(member) = cluster.member(&manifest.name) {
        if member.pid.is_some_and(crate::exec::detached::is_running) {
            bail!("{} is already running in the process cluster", member.name);
        }
    }
    let home = cluster.host_of(&manifest.name);
    Ok((
        home.join("etc/etcd"),
        Some(home.join("var/lib/etcd")),
        JoinStart::Process {
            supervisor: Some(cluster.join.clone()),
        },
        Firewall::NotNeeded,
    ))
}

/// A real host: `--etc-dir`, and `--start` or systemd when the host runs it.
fn host_join(
    args: &MemberJoinRequest,
    ports: &[u16],
) -> Result<(PathBuf, Option<PathBuf>, JoinStart, Firewall)> {
    let start = match args.start {
        Some(JoinStartChoice::Systemd) => JoinStart::Systemd,
        Some(JoinStartChoice::Container) => JoinStart::Container,
        Some(JoinStartChoice::Process) => JoinStart::Process { supervisor: None },
        None if Path::new("/run/systemd/system").is_dir() => JoinStart::Systemd,
        None => bail!(
            "this host does not run systemd: pass --start process to run etcd as a detached \
             process, or --start container for OpenShift's etcd_container unit"
        ),
    };
    let etc_dir = std::path::absolute(&args.etc_dir).wrap_err("resolving --etc-dir")?;
    Ok((etc_dir, None, start, firewall(ports)))
}
