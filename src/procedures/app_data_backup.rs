//! Application data backup (the procedure's "Application Data Backup", the Jenkins example):
//! the volumes of a workload's running pod, copied through exec with tar into a sealed bundle.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::bundle::{BundleIdentity, staging_dir};
use crate::kube::pod_copy::PodPath;
use crate::kube::workload::{Workload, WorkloadVolume};
use crate::plan::{Action, AppDataAction, Check, Plan, Risk, Step};

/// What the bundle says about where its data came from, in `appdata.json`.
pub const APP_DATA_RECORD: &str = "appdata.json";
/// The bundle kind in `manifest.json`.
/// The bundle kind of application data (`BundleKind::AppData`).
pub const APP_DATA_KIND: crate::bundle::BundleKind = crate::bundle::BundleKind::AppData;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppDataRecord {
    pub namespace: String,
    /// `dc/jenkins`.
    pub workload: String,
    pub pod: String,
    /// The volumes copied, each under `volumes/<name>/` of the bundle.
    pub volumes: Vec<WorkloadVolume>,
}

/// Where a volume's files are in a bundle.
pub fn volume_dir(bundle: &Path, volume: &str) -> PathBuf {
    bundle.join("volumes").join(volume)
}

#[derive(Clone, Debug)]
pub struct AppDataBackupFacts {
    pub workload: Workload,
    /// A running, ready pod of the workload.
    pub pod: String,
    /// The volumes chosen, with `du`'s size estimate of each.
    pub volumes: Vec<(WorkloadVolume, Option<u64>)>,
    pub out: PathBuf,
    pub host: String,
}

pub fn pod_path(namespace: &str, pod: &str, volume: &WorkloadVolume) -> PodPath {
    PodPath {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        container: volume.container.clone(),
        mount_path: volume.mount_path.clone(),
    }
}

const NOTHING_CHANGED: &str =
    "Nothing in the pod was changed; the unfinished bundle is removed by the last step.";

/// The backup in its phases: the bundle prepared, each volume probed and copied out, the
/// bundle recorded and sealed (and discarded if anything failed).
pub fn plan_app_data_backup(facts: &AppDataBackupFacts) -> Plan {
    let staging = staging_dir(&facts.out);
    let namespace = &facts.workload.namespace;
    let workload = facts.workload.reference.to_string();
    let mut steps = vec![Step::new(
        "Prepare the bundle directory",
        "The bundle is assembled under a temporary name and renamed only when complete, so a \
         failed copy can never be mistaken for a backup.",
        Risk::ReadOnly,
        Action::PrepareBundle {
            staging: staging.clone(),
            out: facts.out.clone(),
        },
        Check::Completed,
        "Choose another --out, or remove the directory named in the error.",
    )];
    steps.extend(copy_steps(facts, &staging));
    steps.extend(seal_steps(facts, staging));
    Plan {
        procedure: crate::plan::Procedure::AppDataBackup,
        title: "Application data backup".into(),
        summary: format!(
            "Copies {} of {workload} in project {namespace} out of its running pod {} into the \
             bundle {}.",
            facts
                .volumes
                .iter()
                .map(|(v, _)| format!(
                    "{} ({})",
                    v.mount_path,
                    v.claim.as_deref().unwrap_or(&v.source)
                ))
                .collect::<Vec<_>>()
                .join(", "),
            facts.pod,
            facts.out.display()
        ),
        etcdctl_flags: Vec::new(),
        steps,
    }
}

/// Each volume's pod checked for what the copy needs, then each volume copied out.
fn copy_steps(facts: &AppDataBackupFacts, staging: &Path) -> Vec<Step> {
    let namespace = &facts.workload.namespace;
    let mut steps = Vec::new();
    for (volume, _) in &facts.volumes {
        steps.push(Step::new(
            format!("Check pod {} can copy {}", facts.pod, volume.mount_path),
            "This type of application data backup can only be performed while an application \
             pod is running; the copy needs sh and tar in its image, and the volume mounted.",
            Risk::ReadOnly,
            Action::AppData(AppDataAction::ProbePod {
                at: pod_path(namespace, &facts.pod, volume),
                writable: false,
            }),
            Check::Completed,
            NOTHING_CHANGED,
        ));
    }
    for (volume, expected) in &facts.volumes {
        steps.push(Step::new(
            format!("Copy {} out of {}", volume.mount_path, facts.pod),
            format!(
                "The procedure's `oc rsync {}:{} /tmp/`, through a tar stream over exec since \
                 images often lack rsync: every file with its mode, links kept as links.",
                facts.pod, volume.mount_path
            ),
            Risk::ReadOnly,
            Action::AppData(AppDataAction::CopyOut {
                at: pod_path(namespace, &facts.pod, volume),
                to: volume_dir(staging, &volume.name),
                expected_bytes: *expected,
            }),
            Check::Completed,
            NOTHING_CHANGED,
        ));
    }
    steps
}

/// Where the data came from recorded, the bundle sealed, an unfinished one removed.
fn seal_steps(facts: &AppDataBackupFacts, staging: PathBuf) -> Vec<Step> {
    let namespace = &facts.workload.namespace;
    let workload = facts.workload.reference.to_string();
    let mut steps = Vec::new();
    let record = AppDataRecord {
        namespace: namespace.clone(),
        workload: workload.clone(),
        pod: facts.pod.clone(),
        volumes: facts.volumes.iter().map(|(v, _)| v.clone()).collect(),
    };
    steps.push(Step::new(
        "Record where the data came from",
        "A restore reads the workload, its volumes and mount paths from the bundle.",
        Risk::ReadOnly,
        Action::WriteFile {
            path: staging.join(APP_DATA_RECORD),
            contents: serde_json::to_string_pretty(&record).unwrap_or_default(),
            mode: 0o644,
        },
        Check::Completed,
        NOTHING_CHANGED,
    ));
    steps.push(Step::new(
        "Seal the bundle",
        "Every file's size, mode and SHA-256 (and every link's target) goes into manifest.json, \
         then the directory is synced and renamed: it exists whole or not at all.",
        Risk::ReadOnly,
        Action::SealBundle {
            staging: staging.clone(),
            out: facts.out.clone(),
            identity: BundleIdentity {
                kind: crate::bundle::BundleKind::AppData,
                method: "exec-tar".into(),
                host: facts.host.clone(),
                source_endpoint: format!("{namespace}/{}", facts.pod),
                notes: vec![format!("{workload} in project {namespace}")],
                ..BundleIdentity::default()
            },
        },
        Check::Completed,
        NOTHING_CHANGED,
    ));
    let mut discard = Step::new(
        "Remove an unfinished bundle",
        "If any step failed, the unfinished bundle directory is removed so that nothing on disk \
         looks like a backup that is not one.",
        Risk::Reversible,
        Action::DiscardStaging { staging },
        Check::Completed,
        "Remove the .partial directory by hand.",
    );
    discard.always_run = true;
    steps.push(discard);
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The planner, with every plan these tests look at validated first (`Plan::validate`).
    fn plan_app_data_backup(facts: &AppDataBackupFacts) -> Plan {
        crate::procedures::validated(super::plan_app_data_backup(facts))
    }
    use crate::kube::workload::{WorkloadKind, WorkloadRef};

    pub fn jenkins() -> Workload {
        Workload {
            namespace: "ci".into(),
            reference: WorkloadRef {
                kind: WorkloadKind::DeploymentConfig,
                name: "jenkins".into(),
            },
            replicas: 1,
            selector: "deploymentconfig=jenkins".into(),
            volumes: vec![WorkloadVolume {
                name: "jenkins-data".into(),
                container: "jenkins".into(),
                mount_path: "/var/lib/jenkins".into(),
                claim: Some("jenkins".into()),
                source: "persistentVolumeClaim".into(),
                read_only: false,
            }],
        }
    }

    #[test]
    fn copies_each_chosen_volume_into_staging_and_seals() {
        let workload = jenkins();
        let plan = plan_app_data_backup(&AppDataBackupFacts {
            volumes: vec![(workload.volumes[0].clone(), Some(3 << 20))],
            workload,
            pod: "jenkins-1-abcde".into(),
            out: "/backups/jenkins".into(),
            host: "bastion".into(),
        });
        let copy = plan
            .steps
            .iter()
            .find_map(|s| match &s.action {
                Action::AppData(AppDataAction::CopyOut { at, to, .. }) => Some((at, to)),
                _ => None,
            })
            .expect("a copy step");
        assert_eq!(copy.0.mount_path, "/var/lib/jenkins");
        assert_eq!(copy.0.pod, "jenkins-1-abcde");
        assert_eq!(
            copy.1,
            &PathBuf::from("/backups/jenkins.partial/volumes/jenkins-data")
        );
        assert!(matches!(plan.steps[0].action, Action::PrepareBundle { .. }));
        assert!(plan.steps.last().is_some_and(|s| s.always_run));
        assert!(plan.steps.iter().all(|s| s.risk != Risk::Destructive));
        assert!(
            crate::run::describe_action(&plan, &plan.steps[2].action)
                .contains("tar cf - -C /var/lib/jenkins .")
        );
    }
}
