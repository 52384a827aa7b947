//! The actions of application data backup and restore: copies through a pod's exec stream and
//! the restart after a restore. Plain data, like every action.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::runbook::shell_join;
use crate::kube::pod_copy::PodPath;
use crate::kube::workload::WorkloadRef;

/// How the application is restarted after its data was put back (the procedure's optional
/// step 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum RestartHow {
    /// `oc delete pod`: the controller starts a new one on the same volume.
    Delete,
    /// `oc scale --replicas=0`, then back to the replica count it had.
    Scale,
    /// Leave the application running on the restored files.
    None,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "kebab-case")]
pub enum AppDataAction {
    /// Checks that the pod has `sh` and `tar`, that the mount path is a directory and, when
    /// `writable`, that a file can be written there.
    ProbePod { at: PodPath, writable: bool },
    /// `tar cf - -C MOUNT .` in the pod, unpacked into `to` as it streams.
    CopyOut {
        at: PodPath,
        to: PathBuf,
        /// `du`'s estimate, for the gauge.
        expected_bytes: Option<u64>,
    },
    /// `from` packed and unpacked in the pod with `tar xf - -C MOUNT`; refuses links that
    /// point outside the mount.
    CopyIn {
        at: PodPath,
        from: PathBuf,
        total_bytes: u64,
    },
    /// Restarts the workload as chosen and waits for a new ready pod.
    Restart {
        namespace: String,
        workload: WorkloadRef,
        selector: String,
        how: RestartHow,
        /// The pod the data was copied into (deleted by `Delete`).
        pod: String,
        /// The replica count scaled back to by `Scale`.
        replicas: i32,
        timeout_secs: u64,
    },
}

fn exec_prefix(at: &PodPath, interactive: bool) -> Vec<String> {
    let mut argv = vec!["oc".to_string(), "exec".into()];
    if interactive {
        argv.push("-i".into());
    }
    argv.extend([
        "-n".into(),
        at.namespace.clone(),
        at.pod.clone(),
        "-c".into(),
        at.container.clone(),
        "--".into(),
    ]);
    argv
}

impl AppDataAction {
    /// The commands an engineer would type for the same effect.
    pub fn describe(&self) -> String {
        match self {
            AppDataAction::ProbePod { at, writable } => {
                let mut argv = exec_prefix(at, false);
                argv.extend([
                    "sh".into(),
                    "-c".into(),
                    format!(
                        "command -v tar && test -d {0}{1} && du -sk {0}",
                        at.mount_path,
                        if *writable {
                            format!(" && touch {}/.lifeboat-write-test", at.mount_path)
                        } else {
                            String::new()
                        }
                    ),
                ]);
                format!("{}   (native exec)", shell_join(argv))
            }
            AppDataAction::CopyOut { at, to, .. } => {
                let mut argv = exec_prefix(at, false);
                argv.extend(["tar", "cf", "-", "-C", &at.mount_path, "."].map(String::from));
                format!(
                    "{} | tar xf - -C {}   (native exec stream, like oc rsync {}:{} without rsync)",
                    shell_join(argv),
                    shell_join([to.display().to_string()]),
                    at.pod,
                    at.mount_path
                )
            }
            AppDataAction::CopyIn { at, from, .. } => {
                let mut argv = exec_prefix(at, true);
                argv.extend(["tar", "xf", "-", "-C", &at.mount_path].map(String::from));
                format!(
                    "tar cf - -C {} . | {}   (native exec stream; links out of {} refused)",
                    shell_join([from.display().to_string()]),
                    shell_join(argv),
                    at.mount_path
                )
            }
            AppDataAction::Restart {
                namespace,
                workload,
                selector,
                how,
                pod,
                replicas,
                ..
            } => match how {
                RestartHow::Delete => format!(
                    "{}; then wait for a new ready pod with {selector}",
                    shell_join(["oc", "delete", "pod", pod, "-n", namespace])
                ),
                RestartHow::Scale => format!(
                    "{} && {}; then wait for a ready pod with {selector}",
                    shell_join([
                        "oc".to_string(),
                        "scale".into(),
                        "--replicas=0".into(),
                        workload.to_string(),
                        "-n".into(),
                        namespace.clone()
                    ]),
                    shell_join([
                        "oc".to_string(),
                        "scale".into(),
                        format!("--replicas={replicas}"),
                        workload.to_string(),
                        "-n".into(),
                        namespace.clone()
                    ])
                ),
                RestartHow::None => "no restart: the application keeps running".into(),
            },
        }
    }
}
