//! Member recovery on the new host (the procedure's steps 3, 6, 7, 8 and 9 of "Adding New etcd
//! Hosts"): open the etcd ports, unpack the join bundle, start etcd, and wait until the new
//! member has caught up with the leader (promoting it when it joined as a learner).

use std::path::{Path, PathBuf};

use super::member_replace::{JoinManifest, JoinPath};
use crate::connection::{ConnectionSettings, Endpoints, Source};
use crate::facts::EtcdConf;
use crate::plan::{Action, Check, CommandSpec, EtcdCall, EtcdStart, Plan, Risk, Step};

/// How etcd is started on the new host.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JoinStart {
    /// `systemctl enable etcd --now`, as the procedure.
    Systemd,
    /// `systemctl enable etcd_container --now`: OpenShift 3's unit for containerized etcd.
    Container,
    /// A plain process, for hosts without systemd: started detached from etcd.conf, or, where a
    /// supervisor runs this host's etcd processes, by its join command (the argv before
    /// `--member`, see [`crate::facts::ProcessCluster`]), so that it knows its new member.
    Process { supervisor: Option<Vec<String>> },
}

/// What the host's firewall needs, found with `iptables -C` before planning.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Firewall {
    NotInstalled,
    /// The member listens on 127.0.0.1 only.
    NotNeeded,
    Iptables {
        chain_exists: bool,
        /// Ports with no ACCEPT rule yet.
        missing_ports: Vec<u16>,
    },
}

pub const FIREWALL_CHAIN: &str = "OS_FIREWALL_ALLOW";

/// The procedure's rule for one port, as `iptables` arguments after `-A`/`-C`.
pub fn accept_rule(port: u16) -> Vec<String> {
    [
        FIREWALL_CHAIN,
        "-p",
        "tcp",
        "-m",
        "state",
        "--state",
        "NEW",
        "-m",
        "tcp",
        "--dport",
        &port.to_string(),
        "-j",
        "ACCEPT",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[derive(Clone, Debug)]
pub struct MemberJoinFacts {
    pub bundle: PathBuf,
    pub manifest: JoinManifest,
    /// The bundle's etcd.conf, as written on the surviving host.
    pub conf: EtcdConf,
    /// Where the bundle is unpacked: `/etc/etcd`, or the supervised member's host directory's.
    pub etc_dir: PathBuf,
    /// `Some` to put the data somewhere else than the bundle's etcd.conf says (a supervised member).
    pub data_dir_override: Option<PathBuf>,
    pub start: JoinStart,
    pub firewall: Firewall,
    /// `DATA_DIR/member` exists: an earlier life of this host would confuse etcd.
    pub stale_member_dir: bool,
    /// An `etcd` user exists to own the files.
    pub etcd_user: bool,
    pub wait_timeout_secs: u64,
}

/// Points every value under the surviving host's configuration directory at this host's, and
/// the data directory where this host keeps it. On real hosts both are `/etc/etcd` and nothing
/// changes; a supervised member lives in its own host directory.
pub fn relocate_conf(
    conf: &EtcdConf,
    from_dir: &Path,
    to_dir: &Path,
    data_dir: Option<&Path>,
) -> EtcdConf {
    let mut relocated = conf.clone();
    let from = from_dir.display().to_string();
    let moved: Vec<(String, String)> = conf
        .assignments()
        .filter_map(|(key, value)| {
            let rest = value.strip_prefix(&from)?;
            (rest.is_empty() || rest.starts_with('/'))
                .then(|| (key.to_string(), format!("{}{rest}", to_dir.display())))
        })
        .collect();
    for (key, value) in moved {
        relocated.set(&key, value);
    }
    if let Some(dir) = data_dir {
        relocated.set("ETCD_DATA_DIR", dir.display().to_string());
    }
    relocated
}

impl MemberJoinFacts {
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir_override.clone().unwrap_or_else(|| {
            PathBuf::from(self.conf.get("ETCD_DATA_DIR").unwrap_or("/var/lib/etcd"))
        })
    }

    /// The cluster as the new host reaches it: every surviving member and itself, with the
    /// bundle's CA and peer certificate (the procedure's own etcdctl identity).
    pub fn connection(&self) -> ConnectionSettings {
        let mut endpoints = self.manifest.cluster_client_urls.clone();
        endpoints.push(self.manifest.client_url.clone());
        ConnectionSettings {
            target: Endpoints {
                endpoints,
                cacert: Some(self.etc_dir.join("ca.crt")),
                cert: Some(self.etc_dir.join("peer.crt")),
                key: Some(self.etc_dir.join("peer.key")),
            },
            source: Source::Flags,
        }
    }
}

/// The new host's steps, in the procedure's order: ports, bundle, data, start, catch-up.
pub fn plan_member_join(facts: &MemberJoinFacts) -> Plan {
    let manifest = &facts.manifest;
    let data_dir = facts.data_dir();
    let mut steps = firewall_steps(facts);
    steps.extend(unpack_steps(facts));
    steps.extend(data_steps(facts, &data_dir));
    steps.push(start_step(facts, &data_dir));
    steps.extend(catch_up_steps(facts));
    let connection = facts.connection();
    Plan {
        procedure: crate::plan::Procedure::MemberJoin,
        title: format!("Join {} to the etcd cluster", manifest.name),
        summary: format!(
            "Unpacks {} into {}, starts etcd as {} ({}), and waits until it has caught up with the \
             cluster ({}).",
            facts.bundle.display(),
            facts.etc_dir.display(),
            manifest.name,
            manifest.client_url,
            manifest.cluster_client_urls.join(", ")
        ),
        etcdctl_flags: connection.etcdctl_flags(),
        steps,
    }
}

/// The bundle unpacked, and its etcd.conf pointed at this host's directories.
fn unpack_steps(facts: &MemberJoinFacts) -> Vec<Step> {
    let manifest = &facts.manifest;
    let mut steps = Vec::new();
    steps.push(Step::new(
        format!("Unpack the bundle into {}", facts.etc_dir.display()),
        "Certificates, ca.crt and etcd.conf, as the procedure's `tar -xf ... -C /etc/etcd \
         --overwrite`; an entry that would land outside the directory refuses the whole bundle.",
        Risk::Reversible,
        Action::ExtractBundle {
            bundle: facts.bundle.clone(),
            into: facts.etc_dir.clone(),
        },
        Check::Completed,
        "Nothing was started. Check the bundle (it may be damaged in transfer: copy it again).",
    ));
    let relocated = relocate_conf(
        &facts.conf,
        &manifest.conf_dir,
        &facts.etc_dir,
        facts.data_dir_override.as_deref(),
    );
    steps.push(if relocated == facts.conf {
        Step::skipped(
            "Point etcd.conf at this host",
            "etcd.conf's paths already match this host",
        )
    } else {
        Step::new(
            "Point etcd.conf at this host",
            format!(
                "The surviving host's etcd.conf names files under {}; here they are under {}.",
                manifest.conf_dir.display(),
                facts.etc_dir.display()
            ),
            Risk::Reversible,
            Action::WriteFile {
                path: facts.etc_dir.join("etcd.conf"),
                contents: relocated.to_string(),
                mode: 0o644,
            },
            Check::Completed,
            "Nothing was started; fix etcd.conf by hand or run the join again.",
        )
    });
    steps
}

/// A stale member directory cleared, the shipped data put in place, the files given to etcd.
fn data_steps(facts: &MemberJoinFacts, data_dir: &Path) -> Vec<Step> {
    let mut steps = Vec::new();
    let member_dir = data_dir.join("member");
    steps.push(if facts.stale_member_dir {
        Step::new(
            format!("Clear the stale {}", member_dir.display()),
            "A member directory from an earlier life of this host would make etcd start as that old \
             member instead of joining (the procedure's `rm -rf /var/lib/etcd/member`).",
            Risk::Destructive,
            Action::RemoveDir {
                path: member_dir.clone(),
            },
            Check::Completed,
            "Remove it by hand, then run the join again.",
        )
    } else {
        Step::skipped(
            "Clear the stale member directory",
            format!("{} does not exist", member_dir.display()),
        )
    });
    if facts.manifest.with_data {
        steps.push(Step::new(
            "Put the shipped data in place",
            "The bundle carries the surviving host's `etcdctl backup` for this member (the \
             procedure's step 6).",
            Risk::Reversible,
            Action::Run(CommandSpec::local([
                "cp".to_string(),
                "-Rp".into(),
                format!("{}/.", facts.etc_dir.join("data").display()),
                data_dir.display().to_string(),
            ])),
            Check::ExitSuccess,
            "Nothing was started; copy the data directory by hand or let the member join over raft.",
        ));
    }
    steps.push(match (&facts.start, facts.etcd_user) {
        (
            JoinStart::Process {
                supervisor: Some(_),
            },
            _,
        ) => Step::skipped(
            "Give the files to the etcd user",
            "a supervised member runs as the user running its supervisor",
        ),
        (_, false) => Step::skipped(
            "Give the files to the etcd user",
            "there is no etcd user on this host",
        ),
        (_, true) => Step::new(
            "Give the files to the etcd user",
            "etcd runs as the etcd user and must read its configuration and own its data (the \
             procedure's chown).",
            Risk::Reversible,
            Action::Run(CommandSpec::local([
                "chown".to_string(),
                "-R".into(),
                "etcd:etcd".into(),
                facts.etc_dir.display().to_string(),
                data_dir.display().to_string(),
            ])),
            Check::ExitSuccess,
            "Run the chown by hand, then the join again.",
        ),
    });
    steps
}

/// Waiting until the new member has caught up, its promotion, and the last health check.
fn catch_up_steps(facts: &MemberJoinFacts) -> Vec<Step> {
    let manifest = &facts.manifest;
    let mut steps = Vec::new();
    steps.push(Step::new(
        format!("Wait until {} has caught up", manifest.name),
        format!(
            "The new member answers on {} and its applied raft index reaches the leader's: it holds \
             the cluster's data.",
            manifest.client_url
        ),
        Risk::ReadOnly,
        Action::Etcd(EtcdCall::WaitCaughtUp {
            name: manifest.name.clone(),
            client_url: manifest.client_url.clone(),
            timeout_secs: facts.wait_timeout_secs,
        }),
        Check::Completed,
        "etcd was started but has not caught up: read its log (`journalctl -u etcd`, or the log \
         named above), check the ports between the hosts, then run the join again.",
    ));
    steps.push(if manifest.path == JoinPath::Learner {
        Step::new(
            format!("Promote {} to a voting member", manifest.name),
            "It joined as a learner because the database is large; now that it has caught up it \
             can vote without putting quorum at risk.",
            Risk::Reversible,
            Action::Etcd(EtcdCall::MemberPromote {
                name: manifest.name.clone(),
                timeout_secs: facts.wait_timeout_secs,
            }),
            Check::Completed,
            "The member serves as a learner but does not vote: run `etcdctl member promote` with its \
             ID once it has caught up.",
        )
    } else {
        Step::skipped(
            "Promote to a voting member",
            "it joined as a voting member (the database is below the learner threshold)",
        )
    });
    steps.push(Step::new(
        "Check every member's health",
        "The procedure's last step: every member answers and all agree on one leader.",
        Risk::ReadOnly,
        Action::Etcd(EtcdCall::EndpointStatus),
        Check::EndpointsHealthy,
        "Run `lifeboat status` on a surviving host to see which member is unhealthy.",
    ));
    steps
}

fn firewall_steps(facts: &MemberJoinFacts) -> Vec<Step> {
    const TITLE: &str = "Open the etcd ports";
    match &facts.firewall {
        Firewall::NotInstalled => vec![Step::skipped(
            TITLE,
            "iptables is not installed on this host",
        )],
        Firewall::NotNeeded => vec![Step::skipped(
            TITLE,
            "the member listens on 127.0.0.1 only: no firewall change",
        )],
        Firewall::Iptables { missing_ports, .. } if missing_ports.is_empty() => {
            vec![Step::skipped(
                TITLE,
                "the ACCEPT rules are already there (iptables -C)",
            )]
        }
        Firewall::Iptables {
            chain_exists,
            missing_ports,
        } => {
            let iptables = |args: Vec<String>| {
                Action::Run(CommandSpec::local(
                    std::iter::once("iptables".to_string()).chain(args),
                ))
            };
            let mut steps = Vec::new();
            if !chain_exists {
                let words = |list: &[&str]| list.iter().map(|s| s.to_string()).collect();
                steps.push(Step::new(
                    format!("Create the {FIREWALL_CHAIN} chain"),
                    "The procedure's firewall chain for OpenShift's ports, jumped to from INPUT.",
                    Risk::Reversible,
                    iptables(words(&["-N", FIREWALL_CHAIN])),
                    Check::ExitSuccess,
                    "Check `iptables -L` and create the chain by hand.",
                ));
                steps.push(Step::new(
                    format!("Send incoming traffic through {FIREWALL_CHAIN}"),
                    "Without the jump from INPUT the chain's rules do nothing.",
                    Risk::Reversible,
                    iptables(words(&["-t", "filter", "-I", "INPUT", "-j", FIREWALL_CHAIN])),
                    Check::ExitSuccess,
                    "Remove the chain with `iptables -X OS_FIREWALL_ALLOW` or add the jump by hand.",
                ));
            }
            for port in missing_ports {
                let mut args = vec!["-A".to_string()];
                args.extend(accept_rule(*port));
                steps.push(Step::new(
                    format!("Accept etcd traffic on port {port}"),
                    "The other members and clients reach this host's etcd on its client and peer \
                     ports (`iptables -C` found no rule).",
                    Risk::Reversible,
                    iptables(args),
                    Check::ExitSuccess,
                    "Add the rule by hand; it can be removed with `iptables -D`.",
                ));
            }
            steps
        }
    }
}

fn start_step(facts: &MemberJoinFacts, data_dir: &Path) -> Step {
    const TITLE: &str = "Start etcd";
    let if_failed = "etcd did not start: read its log, fix etcd.conf, then start it again.";
    let (action, reason) = match &facts.start {
        JoinStart::Systemd => (
            Action::Run(CommandSpec::local(["systemctl", "enable", "etcd", "--now"])),
            "The procedure's step 8.",
        ),
        JoinStart::Container => (
            Action::Run(CommandSpec::local([
                "systemctl",
                "enable",
                "etcd_container",
                "--now",
            ])),
            "A containerized etcd runs under the etcd_container unit.",
        ),
        JoinStart::Process { supervisor: None } => (
            Action::StartEtcd(EtcdStart::Process {
                conf: facts.etc_dir.join("etcd.conf"),
                log: data_dir.with_extension("log"),
            }),
            "There is no systemd here: etcd runs detached, with etcd.conf as its environment as \
             systemd's EnvironmentFile would give it.",
        ),
        JoinStart::Process {
            supervisor: Some(join),
        } => {
            let port = |key: &str| {
                facts
                    .conf
                    .get(key)
                    .and_then(|url| url.rsplit(':').next())
                    .and_then(|p| p.trim_end_matches('/').parse().ok())
                    .unwrap_or(0)
            };
            (
                Action::Run(CommandSpec::local(
                    crate::facts::process_cluster::join_command(
                        join,
                        &facts.manifest.name,
                        port("ETCD_ADVERTISE_CLIENT_URLS"),
                        port("ETCD_INITIAL_ADVERTISE_PEER_URLS"),
                        &facts.manifest.replaces,
                    ),
                )),
                "The supervisor of this host's etcd processes starts the new member, so it knows \
                 it as it knows the others; the members it replaces leave its list.",
            )
        }
    };
    let check = match action {
        Action::Run(_) => Check::ExitSuccess,
        _ => Check::Completed,
    };
    Step::new(TITLE, reason, Risk::Reversible, action, check, if_failed)
}

#[cfg(test)]
#[path = "member_join_tests.rs"]
mod tests;
