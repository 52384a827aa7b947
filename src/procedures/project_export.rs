//! Project export (the procedure's "Project Backup"): per project, every object of the chosen
//! kinds, cleaned so that it can be created again, in the procedure's files.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::kube::KindRef;
use crate::plan::{Action, Check, Plan, Risk, Step};

#[derive(Clone, Debug)]
pub struct ProjectExportFacts {
    pub projects: Vec<String>,
    pub kinds: Vec<KindRef>,
    /// Kinds left out, with the reason.
    pub excluded: BTreeMap<String, String>,
    pub secrets: bool,
    /// Each project goes to `out/<project>`.
    pub out: PathBuf,
    pub server: String,
}

pub fn plan_project_export(facts: &ProjectExportFacts) -> Plan {
    let steps = facts
        .projects
        .iter()
        .map(|project| {
            Step::new(
                format!("Export project {project}"),
                "\"To back up API objects at the project level\": everything of the project \
                 (`oc export all`), its role bindings, service accounts, secrets and persistent \
                 volume claims, each in its own file, cleaned of what the cluster assigned so \
                 that `create -f` works again.",
                Risk::ReadOnly,
                Action::ExportProject {
                    namespace: project.clone(),
                    kinds: facts.kinds.clone(),
                    excluded: facts.excluded.clone(),
                    secrets: facts.secrets,
                    out: facts.out.join(project),
                },
                Check::Completed,
                "Nothing in the cluster was changed and the unfinished export was removed; \
                 fix the error (permissions to list the kind named, disk space) and run again.",
            )
        })
        .collect();
    let excluded = if facts.excluded.is_empty() {
        String::new()
    } else {
        format!(
            " Left out: {}.",
            facts
                .excluded
                .iter()
                .map(|(kind, why)| format!("{kind} ({why})"))
                .collect::<Vec<_>>()
                .join("; ")
        )
    };
    Plan {
        procedure: crate::plan::Procedure::ProjectExport,
        title: "Project export".into(),
        summary: format!(
            "Exports {} from {} into {}: {} kinds{}.{excluded}",
            facts.projects.join(", "),
            facts.server,
            facts.out.display(),
            facts.kinds.len(),
            if facts.secrets {
                ", secrets included (secret.yaml is 0600)"
            } else {
                ", without secrets (--no-secrets)"
            }
        ),
        etcdctl_flags: vec![],
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The planner, with every plan these tests look at validated first (`Plan::validate`).
    fn plan_project_export(facts: &ProjectExportFacts) -> Plan {
        crate::procedures::validated(super::plan_project_export(facts))
    }

    #[test]
    fn one_read_only_step_per_project_into_its_own_folder() {
        let plan = plan_project_export(&ProjectExportFacts {
            projects: vec!["ci".into(), "shop".into()],
            kinds: vec![KindRef::new("", "v1", "ConfigMap", "configmaps")],
            excluded: [("events".to_string(), "recorded".to_string())].into(),
            secrets: false,
            out: "/backups/p".into(),
            server: "https://api:6443".into(),
        });
        assert_eq!(plan.steps.len(), 2);
        assert_eq!(plan.highest_risk(), Risk::ReadOnly);
        assert!(matches!(&plan.steps[1].action,
            Action::ExportProject { out, secrets: false, .. } if out == &PathBuf::from("/backups/p/shop")));
        assert!(
            plan.summary.contains("without secrets") && plan.summary.contains("events (recorded)")
        );
    }
}
