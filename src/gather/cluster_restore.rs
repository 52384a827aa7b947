//! Cluster restore: checks the bundle, finds how etcd runs here, then plans.
//!
//! Everything that can make a restore impossible is found here, before a plan exists: a
//! damaged bundle, a multi-member cluster without `--disaster-recovery`, a container whose
//! data would not survive. Nothing is stopped until the engineer has seen the whole plan.

use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr, bail, eyre};

use crate::bundle::Manifest;
use crate::connection::ConnectionSettings;
use crate::facts::{EtcdConf, ProcessCluster, Tools};
use crate::plan::Plan;
use crate::procedures::{
    CertificatesRestore, ClusterRestoreFacts, EtcdService, RestoreData, RestoreMember,
    free_keep_name, plan_cluster_restore,
};
use crate::requests::ClusterRestoreRequest;

pub async fn plan(connection: ConnectionSettings, args: &ClusterRestoreRequest) -> Result<Plan> {
    let (bundle, manifest) = verified_bundle(&args.bundle)?;
    let data = bundle_data(&bundle)?;
    let mut members = match (ProcessCluster::path_from_env(), &args.container) {
        (_, Some(container)) => vec![container_member(container, args)?],
        (Some(file), None) if args.etcd_conf.is_none() => process_members(&file)?,
        _ => host_members(args)?,
    };
    let cluster_size = live_cluster_size(&connection)
        .await
        .unwrap_or(members.len());
    refuse_what_cannot_work(args, &bundle, &data, &members, cluster_size)?;
    let cluster_token = cluster_token(args, &members);
    let supervised = members
        .iter()
        .any(|m| matches!(m.service, EtcdService::Process { .. }));
    // Outside disaster recovery only this host's member is restored: members its etcd.conf
    // still lists from bootstrap time (the cluster may have shrunk since) take no part.
    if !args.disaster_recovery {
        members.retain(|m| m.local);
    }
    let tools = Tools::discover();
    let restore_abilities = tools.restore_abilities();
    Ok(plan_cluster_restore(&ClusterRestoreFacts {
        restore_abilities,
        connection,
        bundle: bundle.clone(),
        bundle_host: manifest.identity.host.clone(),
        stats: manifest.snapshot,
        certificates: certificates(&bundle, &manifest, &args.master_dir),
        installation_archives: manifest
            .files
            .iter()
            .map(|f| f.path.display().to_string())
            .filter(|p| p.starts_with("installation-files-"))
            .collect(),
        data,
        members,
        disaster_recovery: args.disaster_recovery,
        cluster_token,
        etcdctl: tools
            .etcdctl
            .map_or_else(|| "etcdctl".into(), |p| p.display().to_string()),
        etcdutl: tools.etcdutl.map(|p| p.display().to_string()),
        selinux: selinux(),
        owner: if supervised {
            Err("supervised members run as the user who started them: ownership is kept".into())
        } else {
            etcd_owner()
        },
    }))
}

/// The bundle, verified file by file, and a cluster backup: nothing stops before that holds.
fn verified_bundle(path: &Path) -> Result<(PathBuf, Manifest)> {
    let bundle = std::path::absolute(path).wrap_err("resolving --from")?;
    let manifest = crate::bundle::verify(&bundle).map_err(|e| {
        eyre!(
            "refusing to restore from {}: {e}.\n  Nothing was stopped or changed. Use another bundle.",
            bundle.display()
        )
    })?;
    if manifest.identity.kind != crate::bundle::BundleKind::ClusterBackup {
        bail!(
            "{} is a {:?} bundle, not a cluster backup made by `lifeboat backup cluster`",
            bundle.display(),
            manifest.identity.kind.name()
        );
    }
    Ok((bundle, manifest))
}

/// The restores that cannot work, refused with what applies instead.
fn refuse_what_cannot_work(
    args: &ClusterRestoreRequest,
    bundle: &Path,
    data: &RestoreData,
    members: &[RestoreMember],
    cluster_size: usize,
) -> Result<()> {
    if cluster_size > 1 && !args.disaster_recovery {
        bail!(
            "this cluster has {cluster_size} members, and the procedure's cluster restore only works for a \
             single-member cluster.\n  Restoring one member of a running cluster would only make it \
             diverge from the others. Instead:\n  - a member was lost: `lifeboat member replace` recovers \
             it from a surviving host, without downtime;\n  - quorum is lost for good: `lifeboat \
             restore cluster --from {} --disaster-recovery` restores every member from this one \
             snapshot as a new cluster (every write since the backup is lost).",
            bundle.display()
        );
    }
    if args.disaster_recovery && matches!(data, RestoreData::DataDir(_)) {
        bail!(
            "disaster recovery restores every member from one v3 snapshot; {} holds a \
             data-directory backup.\n  Take a snapshot backup (`lifeboat backup cluster --method snapshot`), \
             or restore a single member.",
            bundle.display()
        );
    }
    if matches!(data, RestoreData::DataDir(_))
        && members
            .iter()
            .any(|m| matches!(m.service, EtcdService::Container(_)))
    {
        bail!(
            "a data-directory backup needs one start with --force-new-cluster, which a container's \
             fixed environment cannot be given.\n  Restore a snapshot bundle into the container instead \
             (`lifeboat backup cluster --method snapshot` makes one)."
        );
    }
    Ok(())
}

/// A new token for a new cluster (disaster recovery); otherwise the one etcd.conf has.
fn cluster_token(args: &ClusterRestoreRequest, members: &[RestoreMember]) -> String {
    if args.disaster_recovery {
        return format!(
            "lifeboat-restore-{}",
            jiff::Timestamp::now().strftime("%Y%m%d%H%M%S")
        );
    }
    members
        .iter()
        .find_map(|m| m.conf.as_deref())
        .and_then(|p| EtcdConf::load(p).ok())
        .and_then(|c| c.get("ETCD_INITIAL_CLUSTER_TOKEN").map(String::from))
        .unwrap_or_else(|| "etcd-cluster".into())
}

fn bundle_data(bundle: &Path) -> Result<RestoreData> {
    let snapshot = bundle.join("etcd-snapshot.db");
    let datadir = bundle.join("etcd-datadir");
    if snapshot.is_file() {
        Ok(RestoreData::Snapshot(snapshot))
    } else if datadir.is_dir() {
        Ok(RestoreData::DataDir(datadir))
    } else {
        bail!(
            "{} holds no etcd data (neither etcd-snapshot.db nor etcd-datadir)",
            bundle.display()
        )
    }
}

/// The member list's size when the cluster answers; a dead cluster is what restores are for,
/// so then the configuration's initial cluster is believed instead.
async fn live_cluster_size(connection: &ConnectionSettings) -> Option<usize> {
    crate::etcd::list_members(&connection.target)
        .await
        .ok()
        .map(|members| members.len())
}

fn keep_name(dir: &Path) -> Option<PathBuf> {
    dir.exists()
        .then(|| free_keep_name(dir, |candidate| candidate.exists()))
}

/// Every member of the process cluster `file` describes, each stopped and started by the
/// commands it gives.
fn process_members(file: &Path) -> Result<Vec<RestoreMember>> {
    let cluster = ProcessCluster::load(file)?;
    Ok(cluster
        .members
        .iter()
        .map(|m| RestoreMember {
            name: m.name.clone(),
            peer_url: m.peer_url.clone(),
            client_urls: vec![m.client_url.clone()],
            data_dir: m.data_dir.clone(),
            keep_as: keep_name(&m.data_dir),
            service: EtcdService::Process {
                member: m.name.clone(),
                stop: m.stop.clone(),
                start: m.start.clone(),
            },
            conf: Some(m.conf.clone()),
            local: true,
            image: None,
        })
        .collect())
}

/// This host's member, from its etcd.conf, run by systemd.
fn host_members(args: &ClusterRestoreRequest) -> Result<Vec<RestoreMember>> {
    let conf_path = args
        .etcd_conf
        .clone()
        .unwrap_or_else(|| PathBuf::from("/etc/etcd/etcd.conf"));
    let conf = EtcdConf::load(&conf_path).wrap_err(
        "the restore needs etcd's configuration for the member name and URLs; pass --etcd-conf",
    )?;
    let mut member = member_from(&|key| conf.get(key).map(String::from), args)?;
    member.conf = Some(conf_path);
    let mut members = vec![member];
    // The other members of the configured cluster count towards the single-member rule even
    // when etcd is down; for disaster recovery they are restored on their own hosts.
    for entry in conf.list("ETCD_INITIAL_CLUSTER") {
        if let Some((name, peer)) = entry.split_once('=') {
            if name != members[0].name {
                let other = remote(name, peer, &members[0]);
                members.push(other);
            }
        }
    }
    Ok(members)
}

fn remote(name: &str, peer: &str, like: &RestoreMember) -> RestoreMember {
    RestoreMember {
        name: name.to_string(),
        peer_url: peer.to_string(),
        client_urls: Vec::new(),
        data_dir: like.data_dir.clone(),
        keep_as: Some(crate::fsutil::sibling(&like.data_dir, ".orig")),
        service: EtcdService::Systemd,
        conf: None,
        local: false,
        image: None,
    }
}

fn member_from(
    get: &dyn Fn(&str) -> Option<String>,
    args: &ClusterRestoreRequest,
) -> Result<RestoreMember> {
    let name = get("ETCD_NAME").unwrap_or_else(|| "default".into());
    let first = |key: &str| {
        get(key).and_then(|v| {
            v.split(',')
                .map(str::trim)
                .find(|s| !s.is_empty())
                .map(String::from)
        })
    };
    let peer_url = first("ETCD_INITIAL_ADVERTISE_PEER_URLS")
        .ok_or_else(|| eyre!("etcd's configuration has no ETCD_INITIAL_ADVERTISE_PEER_URLS"))?;
    let client_urls: Vec<String> = get("ETCD_ADVERTISE_CLIENT_URLS")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    if client_urls.is_empty() {
        bail!("etcd's configuration has no ETCD_ADVERTISE_CLIENT_URLS");
    }
    let data_dir = args
        .data_dir
        .clone()
        .or_else(|| get("ETCD_DATA_DIR").map(PathBuf::from))
        .map(|dir| crate::fsutil::normalized(&dir))
        .unwrap_or_else(|| PathBuf::from("/var/lib/etcd"));
    Ok(RestoreMember {
        name,
        peer_url,
        client_urls,
        keep_as: keep_name(&data_dir),
        data_dir,
        service: EtcdService::Systemd,
        conf: None,
        local: true,
        image: None,
    })
}

/// A container-based install: etcd's settings come from the container's environment (or
/// --etcd-conf), its data from the host directory mounted at the data dir.
fn container_member(container: &str, args: &ClusterRestoreRequest) -> Result<RestoreMember> {
    let output = std::process::Command::new("docker")
        .args(["inspect", container])
        .output()
        .wrap_err("running docker inspect (is docker installed?)")?;
    if !output.status.success() {
        bail!(
            "docker inspect {container} failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let inspected: serde_json::Value =
        serde_json::from_slice(&output.stdout).wrap_err("reading docker inspect's output")?;
    let info = &inspected[0];
    // OpenShift's etcd_container unit runs `docker run --rm` under systemd: `docker stop`
    // would remove the container, and systemd would start a new one on the data being moved.
    if info["HostConfig"]["AutoRemove"].as_bool() == Some(true) {
        bail!(
            "{container} is removed when it stops (docker run --rm), as a systemd unit such as \
             etcd_container runs it: stopping it here would let the unit start a new one on the data \
             being restored.\n  Stop the unit (`systemctl stop etcd_container`), then restore on the \
             host: `lifeboat restore cluster --from BUNDLE --etcd-conf /etc/etcd/etcd.conf`."
        );
    }
    let env: Vec<(String, String)> = info["Config"]["Env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str()?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let conf = args.etcd_conf.as_deref().map(EtcdConf::load).transpose()?;
    let get = |key: &str| match &conf {
        Some(conf) => conf.get(key).map(String::from),
        None => env.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()),
    };
    let mut member = member_from(&get, args)?;
    let inside = member.data_dir.clone();
    let (source, destination) = info["Mounts"]
        .as_array()
        .into_iter()
        .flatten()
        // A tmpfs has no host side to restore into; binds and volumes do.
        .filter(|m| matches!(m["Type"].as_str(), Some("bind" | "volume")))
        .filter_map(|m| {
            let source = m["Source"].as_str().filter(|s| s.starts_with('/'))?;
            Some((PathBuf::from(source), PathBuf::from(m["Destination"].as_str()?)))
        })
        .filter(|(_, destination)| inside.starts_with(destination))
        .max_by_key(|(_, destination)| destination.components().count())
        .ok_or_else(|| {
            eyre!(
                "{} is not mounted from the host in {container}: a restore inside the container would \
                 be lost with it. Mount the data directory from the host (-v /var/lib/etcd:/var/lib/etcd).",
                inside.display()
            )
        })?;
    // `join("")` would add a trailing slash, and renaming `dir/` is not renaming `dir`.
    member.data_dir = match inside.strip_prefix(&destination) {
        Ok(relative) if !relative.as_os_str().is_empty() => source.join(relative),
        _ => source,
    };
    if member.data_dir.parent().is_none_or(|p| p == Path::new("/")) {
        bail!(
            "the data dir {} sits at the root of the filesystem: the restore needs its parent \
             directory to move it aside and to mount into a one-off container",
            member.data_dir.display()
        );
    }
    member.keep_as = keep_name(&member.data_dir);
    member.service = EtcdService::Container(container.to_string());
    member.image = info["Config"]["Image"].as_str().map(String::from);
    Ok(member)
}

fn certificates(
    bundle: &Path,
    manifest: &Manifest,
    master_dir: &Path,
) -> Result<CertificatesRestore, String> {
    let archive = manifest
        .files
        .iter()
        .map(|f| f.path.display().to_string())
        .find(|p| p.starts_with("certs-and-keys-") && p.ends_with(".tar"));
    let Some(archive) = archive else {
        let why = manifest
            .identity
            .notes
            .iter()
            .find(|n| n.contains("master"))
            .cloned()
            .unwrap_or_else(|| "it was taken on a host without master certificates".into());
        return Err(format!("the bundle holds no certificates and keys: {why}"));
    };
    let keep_old = crate::paths::replaced_dir()
        .map_err(|e| format!("{e:#}"))?
        .join(format!(
            "{}.tar",
            crate::paths::stamped("certs-and-keys-before-restore")
        ));
    Ok(CertificatesRestore {
        archive: bundle.join(archive),
        into: master_dir.to_path_buf(),
        keep_old,
    })
}

fn selinux() -> Result<PathBuf, String> {
    if !Path::new("/sys/fs/selinux/enforce").exists() {
        return Err(
            "SELinux is not enabled on this host (no /sys/fs/selinux): no labels to restore".into(),
        );
    }
    which::which("chcon")
        .map_err(|_| "SELinux is enabled but chcon is not installed (coreutils)".into())
}

fn etcd_owner() -> Result<String, String> {
    match nix::unistd::User::from_name("etcd") {
        Ok(Some(_)) => Ok("etcd:etcd".into()),
        _ => Err("there is no etcd user on this host: ownership is left as restored".into()),
    }
}
