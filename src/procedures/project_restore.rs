//! Project restore (the procedure's "Project Restore"): verify the export, recreate the
//! project, then its objects in an order that works; optionally a server-side dry run first.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::kube::ExistingPolicy;
use crate::plan::{Action, Check, Plan, Risk, Step};

#[derive(Clone, Debug)]
pub struct ProjectRestoreFacts {
    pub from: PathBuf,
    /// The project the export was taken from.
    pub source: String,
    /// The project to restore into (`--as`), the source's name by default.
    pub target: String,
    /// The export's namespace annotations (display name, description).
    pub annotations: BTreeMap<String, String>,
    /// The target cluster serves OpenShift's project API.
    pub openshift: bool,
    pub existing: ExistingPolicy,
    /// Check every object with a server-side dry run before creating any.
    pub preview: bool,
    /// Only the dry run: nothing is created.
    pub dry_run: bool,
    pub objects: u64,
}

/// The restore in its phases: the export verified, the project created, its objects checked
/// (dry run) and recreated.
pub fn plan_project_restore(facts: &ProjectRestoreFacts) -> Plan {
    let mut steps = vec![Step::new(
        "Verify the export",
        "A damaged export is refused before anything is created: every file must match the \
         SHA-256 its manifest recorded.",
        Risk::ReadOnly,
        Action::VerifyBundle {
            bundle: facts.from.clone(),
        },
        Check::Completed,
        "The export changed after it was written; nothing was created. Use another export.",
    )];
    steps.push(Step::new(
        format!("Create project {}", facts.target),
        "\"To restore a project, recreate the project\" (`oc new-project`): on OpenShift a \
         ProjectRequest, which also gives the project its service accounts; a Namespace \
         elsewhere. A project that exists already is used as it is.",
        if facts.dry_run {
            Risk::ReadOnly
        } else {
            Risk::Reversible
        },
        Action::CreateProject {
            name: facts.target.clone(),
            annotations: facts.annotations.clone(),
            openshift: facts.openshift,
            dry_run: facts.dry_run,
        },
        Check::Completed,
        "Nothing was created. Check that you may create projects, then run again.",
    ));
    steps.extend(object_steps(facts));
    Plan {
        procedure: crate::plan::Procedure::ProjectRestore,
        title: "Project restore".into(),
        summary: format!(
            "Restores {} objects of project {} from {} into {}{}; objects already there are {}.{}",
            facts.objects,
            facts.source,
            facts.from.display(),
            facts.target,
            if facts.target != facts.source {
                " (every namespace reference moved with it)"
            } else {
                ""
            },
            match facts.existing {
                ExistingPolicy::Skip => "left as they are",
                ExistingPolicy::Update => "replaced by the export's version",
            },
            if facts.dry_run {
                " Server-side dry run: nothing is created."
            } else {
                ""
            }
        ),
        etcdctl_flags: vec![],
        steps,
    }
}

/// The server-side dry run when asked (or as a preview), then the objects recreated unless
/// only a dry run was asked for.
fn object_steps(facts: &ProjectRestoreFacts) -> Vec<Step> {
    let mut steps = Vec::new();
    let restore = |dry_run: bool| Action::RestoreObjects {
        from: facts.from.clone(),
        source: facts.source.clone(),
        target: facts.target.clone(),
        existing: facts.existing,
        dry_run,
    };
    if facts.preview || facts.dry_run {
        steps.push(Step::new(
            "Check every object with a server-side dry run",
            "The server validates and admits each object without storing it, so a real \
             failure shows before anything is created.",
            Risk::ReadOnly,
            restore(true),
            Check::Completed,
            "Nothing was created. The objects named would fail: fix them in the export (and \
             its manifest) or restore without them.",
        ));
    }
    if !facts.dry_run {
        steps.push(Step::new(
            format!("Recreate the {} objects", facts.objects),
            "\"Recreate all of the objects that were exported\", in the procedure's order \
             (secrets, service accounts, PVCs, role bindings) and then config maps before \
             workloads and services before routes. Each object is created on its own: one \
             that fails does not stop the others.",
            Risk::Reversible,
            restore(false),
            Check::Completed,
            format!(
                "The objects that failed are named with the API's reason; the others were \
                 created. Fix them and restore again with --existing skip, or undo everything \
                 with `kubectl delete namespace {}`.",
                facts.target
            ),
        ));
    }
    steps
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The planner, with every plan these tests look at validated first (`Plan::validate`).
    fn plan_project_restore(facts: &ProjectRestoreFacts) -> Plan {
        crate::procedures::validated(super::plan_project_restore(facts))
    }

    fn facts() -> ProjectRestoreFacts {
        ProjectRestoreFacts {
            from: "/b/shop".into(),
            source: "shop".into(),
            target: "shop".into(),
            annotations: BTreeMap::new(),
            openshift: true,
            existing: ExistingPolicy::Skip,
            preview: false,
            dry_run: false,
            objects: 12,
        }
    }

    #[test]
    fn verify_then_project_then_objects() {
        let plan = plan_project_restore(&facts());
        let titles: Vec<&str> = plan.steps.iter().map(|s| s.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Verify the export",
                "Create project shop",
                "Recreate the 12 objects"
            ]
        );
    }

    #[test]
    fn a_dry_run_creates_nothing_and_checks_every_object_on_the_server() {
        let plan = plan_project_restore(&ProjectRestoreFacts {
            dry_run: true,
            ..facts()
        });
        assert_eq!(plan.highest_risk(), Risk::ReadOnly);
        assert!(plan.steps.iter().all(|s| match &s.action {
            Action::CreateProject { dry_run, .. } | Action::RestoreObjects { dry_run, .. } =>
                *dry_run,
            _ => true,
        }));
        let preview = plan_project_restore(&ProjectRestoreFacts {
            preview: true,
            ..facts()
        });
        assert_eq!(preview.steps.len(), 4);
    }

    #[test]
    fn a_new_name_is_the_target_of_every_step() {
        let plan = plan_project_restore(&ProjectRestoreFacts {
            target: "shop-copy".into(),
            ..facts()
        });
        assert!(matches!(&plan.steps[2].action,
            Action::RestoreObjects { source, target, .. } if source == "shop" && target == "shop-copy"));
    }
}
