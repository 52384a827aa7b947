//! Procedures as plain data: a [`Plan`] is what a planner decided to do, before anything runs.
//!
//! Nothing in this module performs I/O. Planners build plans from facts; the runner executes
//! them; the TUI, the CLI and `lifeboat plan` only read them.

mod action;
mod appdata_action;
mod runbook;

pub use action::{Action, Check, CommandSpec, EtcdCall, EtcdStart, EtcdState, Target};
pub use appdata_action::{AppDataAction, RestartHow};
pub use runbook::{render_runbook, shell_join};

use serde::{Deserialize, Serialize};

/// How much a step can hurt if it goes wrong: shown beside every step and asked about
/// before it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Risk {
    /// Looks, never touches.
    ReadOnly,
    /// Changes a host, but the plan says how to undo it.
    Reversible,
    /// Changes a host in a way that cannot be undone without a backup.
    Destructive,
}

impl Risk {
    pub fn label(self) -> &'static str {
        match self {
            Risk::ReadOnly => "read-only",
            Risk::Reversible => "reversible",
            Risk::Destructive => "destructive",
        }
    }
}

/// One step of a procedure: what it does, why the procedure asks for it, and how we know it
/// worked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    pub title: String,
    /// Why the step exists, in the procedure's words where it has them.
    pub reason: String,
    pub risk: Risk,
    pub action: Action,
    pub check: Check,
    /// What the engineer should do if this step fails: where things stand and the way back.
    pub if_failed: String,
    /// Runs even after an earlier step failed: the undo half of a pair, such as starting etcd
    /// again after stopping it, so a failure never leaves a host worse than it found it.
    #[serde(default)]
    pub always_run: bool,
    /// Cannot be skipped: later steps are only safe because this one ran (stopping etcd before
    /// its data is moved, keeping the data before it is replaced). Skipping it stops the plan.
    #[serde(default)]
    pub required: bool,
}

impl Step {
    pub fn new(
        title: impl Into<String>,
        reason: impl Into<String>,
        risk: Risk,
        action: Action,
        check: Check,
        if_failed: impl Into<String>,
    ) -> Self {
        Step {
            title: title.into(),
            reason: reason.into(),
            risk,
            action,
            check,
            if_failed: if_failed.into(),
            always_run: false,
            required: false,
        }
    }

    /// A step with nothing to do on this host, kept in the plan so the reason is seen.
    pub fn skipped(title: impl Into<String>, reason: impl Into<String>) -> Self {
        let reason = reason.into();
        Step::new(
            title,
            reason.clone(),
            Risk::ReadOnly,
            Action::Skip { reason },
            Check::Completed,
            "",
        )
    }
}

/// A whole procedure, ready to print as a runbook or to hand to the runner.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The procedure's command-line name, e.g. `health-check`.
    pub procedure: String,
    pub title: String,
    /// What the plan will achieve and under which assumptions, for the runbook's preamble.
    pub summary: String,
    /// The connection flags an engineer would give `etcdctl` to reach the same cluster, so
    /// that native etcd calls can be shown as their etcdctl equivalent.
    pub etcdctl_flags: Vec<String>,
    pub steps: Vec<Step>,
}

impl Plan {
    /// The most dangerous thing the plan would do, for a one-line warning before it starts.
    pub fn highest_risk(&self) -> Risk {
        self.steps
            .iter()
            .map(|step| step.risk)
            .max()
            .unwrap_or(Risk::ReadOnly)
    }

    /// The exact command a step runs, or what lifeboat does natively in the same words an
    /// engineer would type: shown before the step runs and written to the transcript.
    pub fn describe_action(&self, action: &Action) -> String {
        match action {
            Action::Run(spec) => crate::exec::Invocation::of(spec).display(),
            Action::AppData(action) => action.describe(),
            Action::Etcd(call) => format!(
                "{}   (native gRPC; etcdctl equivalent)",
                shell_join(self.etcdctl_command(call))
            ),
            Action::Manual { checklist } => format!("manual: {}", checklist.join("; ")),
            Action::Skip { reason } => format!("skipped: {reason}"),
            Action::PrepareBundle { staging, .. } => {
                format!("mkdir {}", shell_join([staging.display().to_string()]))
            }
            Action::Archive {
                base,
                entries,
                to,
                mode,
            } => format!(
                "tar cf {} -C {} {}   (native; archive mode {mode:o})",
                shell_join([to.display().to_string()]),
                shell_join([base.display().to_string()]),
                shell_join(entries.iter().map(|e| e.display().to_string()))
            ),
            Action::EtcdSnapshot { endpoint, to, .. } => {
                let mut argv = vec!["etcdctl".to_string()];
                argv.extend(
                    self.etcdctl_flags
                        .iter()
                        .filter(|f| !f.starts_with("--endpoints="))
                        .cloned(),
                );
                argv.push(format!("--endpoints={endpoint}"));
                argv.extend([
                    "snapshot".to_string(),
                    "save".to_string(),
                    to.display().to_string(),
                ]);
                format!(
                    "{}   (native gRPC stream; etcdctl equivalent)",
                    shell_join(argv)
                )
            }
            Action::SealBundle { staging, out, .. } => format!(
                "sha256sum every file > manifest.json; sync; mv {} {}   (native)",
                shell_join([staging.display().to_string()]),
                shell_join([out.display().to_string()])
            ),
            Action::WriteFile {
                path,
                contents,
                mode,
            } => format!(
                "cat > {}   (native; {} lines, mode {mode:o})",
                shell_join([path.display().to_string()]),
                contents.lines().count()
            ),
            Action::IssueCertificates {
                ca_dir,
                common_name,
                sans,
                out_dir,
            } => crate::pki::openssl_equivalent(ca_dir, common_name, sans, out_dir),
            Action::PackDirectory { dir, to } => format!(
                "tar -czf {} -C {} .   (native; archive mode 600)",
                shell_join([to.display().to_string()]),
                shell_join([dir.display().to_string()])
            ),
            Action::ExtractBundle { bundle, into } => format!(
                "tar -xzf {} -C {} --overwrite   (native; refuses entries that would land outside)",
                shell_join([bundle.display().to_string()]),
                shell_join([into.display().to_string()])
            ),
            Action::RemoveDir { path } => {
                format!("rm -rf {}", shell_join([path.display().to_string()]))
            }
            Action::StartEtcd(EtcdStart::Process { conf, log }) => format!(
                "sh -c 'set -a; . {}; exec etcd' >> {} 2>&1 &   (native; detached, like systemd's EnvironmentFile)",
                conf.display(),
                shell_join([log.display().to_string()])
            ),
            Action::DiscardStaging { staging } => {
                format!(
                    "rm -rf {}   (only if it is still there)",
                    shell_join([staging.display().to_string()])
                )
            }
            Action::ReadSnapshotBack { file } => format!(
                "ETCDCTL_API=3 etcdctl snapshot status {} -w json   (native read of the bbolt pages; etcdctl equivalent)",
                shell_join([path_arg(file)])
            ),
            Action::VerifyBundle { bundle } => {
                format!("lifeboat verify {}", shell_join([path_arg(bundle)]))
            }
            Action::RestoreArchive {
                archive,
                into,
                keep_old,
            } => format!(
                "cd {} && tar cf {} <files it overwrites> && tar xpf {}   (native; entries outside {} refused)",
                shell_join([path_arg(into)]),
                shell_join([path_arg(keep_old)]),
                shell_join([path_arg(archive)]),
                into.display()
            ),
            Action::WaitForEtcd {
                endpoints,
                until,
                timeout_secs,
            } => match until {
                EtcdState::Down => format!(
                    "wait up to {timeout_secs}s until nothing listens on {}",
                    endpoints.join(", ")
                ),
                EtcdState::Healthy => format!(
                    "wait up to {timeout_secs}s for {}   (native; etcdctl equivalent)",
                    shell_join(
                        std::iter::once("etcdctl".to_string())
                            .chain(
                                self.etcdctl_flags
                                    .iter()
                                    .filter(|f| !f.starts_with("--endpoints="))
                                    .cloned()
                            )
                            .chain([
                                format!("--endpoints={}", endpoints.join(",")),
                                "endpoint".into(),
                                "health".into(),
                            ])
                    )
                ),
            },
            Action::MoveAside { from, to } => format!(
                "mv {} {}   (native rename; refuses to overwrite)",
                shell_join([path_arg(from)]),
                shell_join([path_arg(to)])
            ),
            Action::SetConfValue { conf, key, value } => match value {
                Some(value) => format!(
                    "set {key}={value} in {}   (native, atomic rewrite)",
                    conf.display()
                ),
                None => format!(
                    "remove {key} from {}   (native, atomic rewrite)",
                    conf.display()
                ),
            },
            Action::ExportProject {
                namespace,
                kinds,
                secrets,
                out,
                ..
            } => format!(
                "kubectl get {} -n {} -o yaml > {}/{{project,{}serviceaccount,pvc,rolebindings}}.yaml   (native; cleaned, {} kinds)",
                if kinds.len() > 4 {
                    format!(
                        "{},... ",
                        kinds
                            .iter()
                            .take(4)
                            .map(|k| k.key())
                            .collect::<Vec<_>>()
                            .join(",")
                    )
                    .trim_end()
                    .to_string()
                } else {
                    kinds.iter().map(|k| k.key()).collect::<Vec<_>>().join(",")
                },
                shell_join([namespace]),
                shell_join([path_arg(out)]),
                if *secrets { "secret," } else { "" },
                kinds.len()
            ),
            Action::CreateProject {
                name,
                openshift,
                dry_run,
                ..
            } => format!(
                "{} {}{}",
                if *openshift {
                    "oc new-project"
                } else {
                    "kubectl create namespace"
                },
                shell_join([name]),
                if *dry_run { " --dry-run=server" } else { "" }
            ),
            Action::RestoreObjects {
                from,
                source,
                target,
                dry_run,
                ..
            } => format!(
                "kubectl create{} -n {} -f {}/secret.yaml -f serviceaccount.yaml -f pvc.yaml -f rolebindings.yaml -f project.yaml   (native; one object at a time in dependency order{})",
                if *dry_run { " --dry-run=server" } else { "" },
                shell_join([target]),
                shell_join([path_arg(from)]),
                if source != target {
                    format!(", moved from {source} to {target}")
                } else {
                    String::new()
                }
            ),
            Action::CompareWithBundle { revision, keys } => format!(
                "{}   (native; expect revision {revision}{})",
                shell_join(
                    std::iter::once("etcdctl".to_string())
                        .chain(self.etcdctl_flags.iter().cloned())
                        .chain([
                            "get".into(),
                            "--prefix".into(),
                            "".into(),
                            "--count-only".into(),
                            "-w".into(),
                            "json".into()
                        ])
                ),
                keys.map_or(String::new(), |k| format!(", {k} keys"))
            ),
        }
    }

    /// The full `etcdctl` command that does what `call` does, with this plan's connection.
    pub fn etcdctl_command(&self, call: &EtcdCall) -> Vec<String> {
        let own = call.etcdctl_equivalent();
        // A call aimed at one member names its endpoint itself.
        let own_endpoint = own.iter().any(|arg| arg.starts_with("--endpoints="));
        std::iter::once("etcdctl".to_string())
            .chain(
                self.etcdctl_flags
                    .iter()
                    .filter(|flag| !(own_endpoint && flag.starts_with("--endpoints=")))
                    .cloned(),
            )
            .chain(own)
            .collect()
    }
}

fn path_arg(path: &std::path::Path) -> String {
    path.display().to_string()
}
