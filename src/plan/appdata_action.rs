//! The actions of application data backup and restore: copies through a pod's exec stream and
//! the restart after a restore. Plain data, like every action.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

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
