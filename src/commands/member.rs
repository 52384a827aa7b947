//! `lifeboat member replace` and `member join`: what each host has, found before planning, so
//! that bad input and an unsafe cluster are refused before anything runs.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};

use color_eyre::eyre::{Result, WrapErr, bail, eyre};

use super::procedure::run_on_screen_or_headless;
use super::require_connection;
use crate::cli::{ConnectionArgs, MemberCommand, MemberJoinArgs, MemberReplaceArgs, StartWith};
use crate::connection::ConnectionSettings;
use crate::etcd::{MemberInfo, collect_snapshot, format_id};
use crate::facts::EtcdConf;
use crate::pki::CertificateAuthority;
use crate::plan::Plan;
use crate::procedures::{
    DatadirBackup, FIREWALL_CHAIN, Firewall, JOIN_MANIFEST, JoinManifest, JoinStart,
    MemberJoinFacts, MemberReplaceFacts, NewHost, accept_rule, plan_member_join,
    plan_member_replace, validate_member_name,
};
use crate::sandbox::SandboxState;

pub async fn dispatch(command: MemberCommand, connection: &ConnectionArgs) -> Result<ExitCode> {
    match command {
        MemberCommand::Replace(args) => {
            let connection = require_connection(connection)?;
            let (plan, sandbox) = plan_replace(connection.clone(), &args).await?;
            run_on_screen_or_headless(plan, Some(connection), args.confirm, args.headless, sandbox)
                .await
        }
        MemberCommand::Join(args) => {
            let facts = join_facts(&args)?;
            let plan = plan_member_join(&facts);
            let sandbox = match &facts.start {
                JoinStart::Sandbox { dir, .. } => Some(dir.clone()),
                _ => None,
            };
            run_on_screen_or_headless(
                plan,
                Some(facts.connection()),
                args.confirm,
                args.headless,
                sandbox,
            )
            .await
        }
    }
}

/// The sandbox a connection points into: named by `--sandbox`, the connection's source, or the
/// CA file of `sandbox env` (`DIR/ca/ca.crt`).
fn sandbox_of(explicit: Option<&Path>, connection: &ConnectionSettings) -> Option<PathBuf> {
    explicit
        .map(Path::to_path_buf)
        .or_else(|| SandboxState::dir_of_connection(connection))
}

fn find_failed<'a>(members: &'a [MemberInfo], wanted: &str) -> Result<&'a MemberInfo> {
    let by_id = u64::from_str_radix(wanted.trim_start_matches("0x"), 16).ok();
    members
        .iter()
        .find(|m| m.name == wanted || Some(m.id) == by_id)
        .ok_or_else(|| {
            eyre!(
                "--failed {wanted:?} is not a member; the members are {}",
                members
                    .iter()
                    .map(|m| format!("{} ({})", m.display_name(), format_id(m.id)))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
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
    args: &MemberReplaceArgs,
) -> Result<(Plan, Option<PathBuf>)> {
    // Everything the engineer typed is checked before the cluster is even asked.
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
    let sandbox = sandbox_of(args.sandbox.as_deref(), &connection);
    let ca_dir = match (&args.ca_dir, &sandbox) {
        (Some(dir), _) => dir.clone(),
        (None, Some(dir)) => SandboxState::ca_dir(dir),
        (None, None) => PathBuf::from("/etc/etcd/ca"),
    };
    CertificateAuthority::load(&ca_dir).wrap_err_with(|| {
        format!(
            "the new host's certificates are signed with the etcd CA, which is not readable in {}; \
             run as root, or pass --ca-dir with the directory holding ca.crt and ca.key",
            ca_dir.display()
        )
    })?;

    let snapshot = collect_snapshot(&connection.target).await;
    let members = snapshot.members.clone().map_err(|error| {
        eyre!(
            "no member could list the cluster ({error}).\n  {}\n  Member recovery needs a working \
             majority. This is the disaster-recovery path: restore etcd from a backup on one host \
             (`lifeboat restore cluster`), then add the other hosts back with `lifeboat member replace`.",
            snapshot.quorum().verdict()
        )
    })?;
    let failed = find_failed(&members, &args.failed)?.clone();
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

    let template_path = match (&args.etcd_conf, &sandbox) {
        (Some(path), _) => path.clone(),
        (None, Some(dir)) => {
            let state = SandboxState::load_if_present(dir)?
                .ok_or_else(|| eyre!("there is no sandbox in {}", dir.display()))?;
            let survivor = state
                .members
                .iter()
                .find(|m| {
                    m.name != failed.name
                        && members
                            .iter()
                            .any(|c| c.name == m.name && healthy.contains(&c.id))
                })
                .ok_or_else(|| eyre!("no surviving sandbox member answers"))?;
            survivor.conf_path()
        }
        (None, None) => PathBuf::from("/etc/etcd/etcd.conf"),
    };
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
    let plan = plan_member_replace(&facts).map_err(|refusal| eyre!(refusal))?;
    Ok((plan, sandbox))
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

pub fn join_facts(args: &MemberJoinArgs) -> Result<MemberJoinFacts> {
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
    let (etc_dir, data_dir_override, start, firewall) = match &args.sandbox {
        Some(dir) => {
            let dir = std::path::absolute(dir).wrap_err("resolving --sandbox")?;
            let state = SandboxState::load_if_present(&dir)?.ok_or_else(|| {
                eyre!(
                    "there is no sandbox in {}; start one with `lifeboat sandbox up`",
                    dir.display()
                )
            })?;
            if !manifest.client_url.starts_with("https://127.0.0.1:") {
                bail!(
                    "sandbox members listen on 127.0.0.1, but the bundle is for {}: replace with --new-host 127.0.0.1",
                    manifest.client_url
                );
            }
            if let Some(member) = state.member(&manifest.name) {
                if member.pid.is_some_and(crate::sandbox::is_running) {
                    bail!(
                        "{} is already running in the sandbox {}",
                        member.name,
                        dir.display()
                    );
                }
            }
            let home = dir.join(&manifest.name);
            (
                home.join("etc/etcd"),
                Some(home.join("var/lib/etcd")),
                JoinStart::Sandbox { dir, home },
                Firewall::NotNeeded,
            )
        }
        None => {
            let start = match args.start {
                Some(StartWith::Systemd) => JoinStart::Systemd,
                Some(StartWith::Container) => JoinStart::Container,
                Some(StartWith::Process) => JoinStart::Process,
                None if Path::new("/run/systemd/system").is_dir() => JoinStart::Systemd,
                None => bail!(
                    "this host does not run systemd: pass --start process to run etcd as a detached \
                     process, or --start container for OpenShift's etcd_container unit"
                ),
            };
            let etc_dir = std::path::absolute(&args.etc_dir).wrap_err("resolving --etc-dir")?;
            (etc_dir, None, start, firewall(&ports))
        }
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
        wait_timeout_secs: args.wait_timeout,
    })
}
