//! Application data restore (the procedure's "Application Data Restore"): a verified bundle
//! copied back into a running pod's volumes, then the restart the engineer chose.

use std::path::PathBuf;

use super::app_data_backup::{pod_path, volume_dir};
use crate::kube::workload::{Workload, WorkloadVolume};
use crate::plan::{Action, AppDataAction, Check, Plan, RestartHow, Risk, Step};

#[derive(Clone, Debug)]
pub struct AppDataRestoreFacts {
    pub bundle: PathBuf,
    pub workload: Workload,
    /// A running, ready pod of the workload.
    pub pod: String,
    /// The bundle's volumes to put back, with the live mount path, and the bytes of each.
    pub volumes: Vec<(WorkloadVolume, u64)>,
    pub restart: RestartHow,
    pub timeout_secs: u64,
}

/// The restore in its phases: the bundle verified, each volume probed and copied in, the
/// application restarted as chosen.
pub fn plan_app_data_restore(facts: &AppDataRestoreFacts) -> Plan {
    let namespace = &facts.workload.namespace;
    let workload = facts.workload.reference.to_string();
    let mut steps = vec![Step::new(
        "Verify the backup",
        "The procedure's first step (`ls -la /tmp/jenkins-backup/`), made exact: every file's \
         size and SHA-256 and every link's target against the manifest.",
        Risk::ReadOnly,
        Action::VerifyBundle {
            bundle: facts.bundle.clone(),
        },
        Check::Completed,
        "Nothing was changed. Use another bundle: this one is damaged or incomplete.",
    )];
    steps.extend(copy_steps(facts));
    steps.push(restart_step(facts));
    Plan {
        procedure: crate::plan::Procedure::AppDataRestore,
        title: "Application data restore".into(),
        summary: format!(
            "Copies {} from the bundle {} into the running pod {} of {workload} in project \
             {namespace}, then restarts it ({}).",
            facts
                .volumes
                .iter()
                .map(|(v, _)| v.mount_path.clone())
                .collect::<Vec<_>>()
                .join(", "),
            facts.bundle.display(),
            facts.pod,
            match facts.restart {
                RestartHow::Delete => "delete the pod",
                RestartHow::Scale => "scale to 0 and back",
                RestartHow::None => "no restart",
            }
        ),
        etcdctl_flags: Vec::new(),
        steps,
    }
}

/// Each volume's pod checked for a writable mount, then each volume copied in.
fn copy_steps(facts: &AppDataRestoreFacts) -> Vec<Step> {
    let namespace = &facts.workload.namespace;
    let mut steps = Vec::new();
    for (volume, _) in &facts.volumes {
        steps.push(Step::new(
            format!("Check {} in {} is writable", volume.mount_path, facts.pod),
            "Restoring needs a running pod with sh and tar, and the volume mounted read-write.",
            Risk::ReadOnly,
            Action::AppData(AppDataAction::ProbePod {
                at: pod_path(namespace, &facts.pod, volume),
                writable: true,
            }),
            Check::Completed,
            "Nothing was changed.",
        ));
    }
    for (volume, bytes) in &facts.volumes {
        steps.push(Step::new(
            format!(
                "Copy the backup into {} of {}",
                volume.mount_path, facts.pod
            ),
            format!(
                "The procedure's `oc rsync <backup> {}:{}`, through tar over exec: files in the \
                 backup replace the pod's; files only in the pod stay. Links that would point \
                 outside {} are refused before anything is sent.",
                facts.pod, volume.mount_path, volume.mount_path
            ),
            Risk::Destructive,
            Action::AppData(AppDataAction::CopyIn {
                at: pod_path(namespace, &facts.pod, volume),
                from: volume_dir(&facts.bundle, &volume.name),
                total_bytes: *bytes,
            }),
            Check::Completed,
            "Some files may already be replaced: fix the cause and run the restore again (it \
             copies everything again).",
        ));
    }
    steps
}

/// The restart chosen with --restart, or a skipped step saying there is none.
fn restart_step(facts: &AppDataRestoreFacts) -> Step {
    let namespace = &facts.workload.namespace;
    let workload = facts.workload.reference.to_string();
    match facts.restart {
        RestartHow::None => Step::skipped(
            "Restart the application",
            "--restart none: the application keeps running on the restored files",
        ),
        how => Step::new(
            "Restart the application",
            "Depending on the application, it must be restarted to read the restored data: \
             delete the pod, or scale to 0 and back up.",
            Risk::Reversible,
            Action::AppData(AppDataAction::Restart {
                namespace: namespace.clone(),
                workload: facts.workload.reference.clone(),
                selector: facts.workload.selector.clone(),
                how,
                pod: facts.pod.clone(),
                replicas: facts.workload.replicas.max(1),
                timeout_secs: facts.timeout_secs,
            }),
            Check::Completed,
            format!(
                "The data is restored. Check the pods with `oc get po -n {namespace} --selector={}`; \
                 if the workload stayed at 0, `oc scale --replicas={} {workload} -n {namespace}`.",
                facts.workload.selector,
                facts.workload.replicas.max(1)
            ),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The planner, with every plan these tests look at validated first (`Plan::validate`).
    fn plan_app_data_restore(facts: &AppDataRestoreFacts) -> Plan {
        crate::procedures::validated(super::plan_app_data_restore(facts))
    }
    use crate::kube::workload::{WorkloadKind, WorkloadRef};

    fn facts(restart: RestartHow) -> AppDataRestoreFacts {
        let volume = WorkloadVolume {
            name: "jenkins-data".into(),
            container: "jenkins".into(),
            mount_path: "/var/lib/jenkins".into(),
            claim: Some("jenkins".into()),
            source: "persistentVolumeClaim".into(),
            read_only: false,
        };
        AppDataRestoreFacts {
            bundle: "/backups/jenkins".into(),
            workload: Workload {
                namespace: "ci".into(),
                reference: WorkloadRef {
                    kind: WorkloadKind::DeploymentConfig,
                    name: "jenkins".into(),
                },
                replicas: 2,
                selector: "deploymentconfig=jenkins".into(),
                volumes: vec![volume.clone()],
            },
            pod: "jenkins-1-abcde".into(),
            volumes: vec![(volume, 1000)],
            restart,
            timeout_secs: 120,
        }
    }

    #[test]
    fn verifies_first_probes_then_copies_then_restarts() {
        let plan = plan_app_data_restore(&facts(RestartHow::Scale));
        assert!(matches!(plan.steps[0].action, Action::VerifyBundle { .. }));
        assert!(matches!(
            plan.steps[1].action,
            Action::AppData(AppDataAction::ProbePod { writable: true, .. })
        ));
        match &plan.steps[2].action {
            Action::AppData(AppDataAction::CopyIn { from, at, .. }) => {
                assert_eq!(
                    from,
                    &PathBuf::from("/backups/jenkins/volumes/jenkins-data")
                );
                assert_eq!(at.mount_path, "/var/lib/jenkins");
            }
            other => panic!("expected the copy, got {other:?}"),
        }
        assert_eq!(plan.steps[2].risk, Risk::Destructive);
        let restart = crate::run::describe_action(&plan, &plan.steps[3].action);
        assert!(
            restart.contains("oc scale --replicas=0 dc/jenkins -n ci"),
            "{restart}"
        );
        assert!(restart.contains("--replicas=2"), "{restart}");
    }

    #[test]
    fn no_restart_is_a_visible_skipped_step() {
        let plan = plan_app_data_restore(&facts(RestartHow::None));
        assert!(matches!(
            plan.steps.last().map(|s| &s.action),
            Some(Action::Skip { .. })
        ));
    }
}
