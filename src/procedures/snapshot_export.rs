//! A project brought back from last night's cluster backup without rolling back the cluster:
//! its objects read straight out of the etcd snapshot into a project export, which the
//! project restore then recreates through the API.

use std::path::PathBuf;

use crate::plan::{Action, Check, Plan, Procedure, Risk, Step};

#[derive(Clone, Debug)]
pub struct SnapshotExportFacts {
    pub source: PathBuf,
    pub namespace: String,
    pub out: PathBuf,
    pub revision: i64,
    /// Objects the snapshot holds for the project (the namespace included).
    pub objects: usize,
    /// What cannot be brought over, one line each (encrypted, no schema).
    pub unreadable: Vec<String>,
    /// Objects with fields newer than the schemas, exported without them (chosen).
    pub accept_unknown_fields: bool,
}

pub fn plan_snapshot_export(facts: &SnapshotExportFacts) -> Plan {
    let step = Step::new(
        format!("Read project {} out of the snapshot", facts.namespace),
        "The snapshot holds every object of the project as the API server stored it: read \
         back without etcd and without touching the cluster, cleaned of what the cluster \
         assigned (as a project export is), so that `project restore` can create it again.",
        Risk::ReadOnly,
        Action::ExportFromSnapshot {
            source: facts.source.clone(),
            namespace: facts.namespace.clone(),
            out: facts.out.clone(),
            accept_unknown_fields: facts.accept_unknown_fields,
        },
        Check::Completed,
        "Nothing in the cluster was changed and the unfinished export was removed; fix the \
         error (disk space, a damaged snapshot: `lifeboat verify`) and run again.",
    );
    let unreadable = if facts.unreadable.is_empty() {
        String::new()
    } else {
        format!(" Not brought over: {}.", facts.unreadable.join("; "))
    };
    Plan {
        procedure: Procedure::SnapshotExport,
        title: "Project export from a cluster backup".into(),
        summary: format!(
            "Exports project {} as it was at revision {} of {} ({} objects) into {}; then \
             `lifeboat project restore --from {}` brings it back.{unreadable}",
            facts.namespace,
            facts.revision,
            facts.source.display(),
            facts.objects,
            facts.out.display(),
            facts.out.display(),
        ),
        etcdctl_flags: vec![],
        steps: vec![step],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_snapshot_export(facts: &SnapshotExportFacts) -> Plan {
        crate::procedures::validated(super::plan_snapshot_export(facts))
    }

    #[test]
    fn one_read_only_step_that_names_what_cannot_come_back() {
        let plan = plan_snapshot_export(&SnapshotExportFacts {
            source: "/backups/b1".into(),
            namespace: "shop".into(),
            out: "/tmp/x/shop".into(),
            revision: 42,
            objects: 7,
            unreadable: vec!["Secret/db: encrypted at rest by aescbc with key key1".into()],
            accept_unknown_fields: false,
        });
        assert_eq!(plan.steps.len(), 1);
        assert_eq!(plan.highest_risk(), Risk::ReadOnly);
        assert!(plan.summary.contains("revision 42"));
        assert!(plan.summary.contains("Secret/db: encrypted"));
    }
}
