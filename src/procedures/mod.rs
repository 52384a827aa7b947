//! One pure planner per procedure: facts and choices in, a [`Plan`](crate::plan::Plan) out.

mod app_data_backup;
mod app_data_restore;
mod cluster_backup;
mod cluster_restore;
mod etcd_service;
mod health_check;
mod member_input;
mod member_join;
mod member_replace;
mod project_export;
mod project_restore;

pub use app_data_backup::{
    APP_DATA_KIND, APP_DATA_RECORD, AppDataBackupFacts, AppDataRecord, plan_app_data_backup,
    pod_path, volume_dir,
};
pub use app_data_restore::{AppDataRestoreFacts, plan_app_data_restore};
pub use cluster_backup::{
    BackupMethod, ClusterBackupFacts, INSTALLATION_FILES, MASTER_FILES, plan_cluster_backup,
};
pub use cluster_restore::{
    CertificatesRestore, ClusterRestoreFacts, FORCE_NEW_CLUSTER, RestoreData, RestoreMember,
    free_keep_name, plan_cluster_restore,
};
pub use etcd_service::EtcdService;
pub use health_check::{HealthCheckFacts, plan_health_check};
pub use member_input::{NewHost, parse_size, validate_member_name};
pub use member_join::{
    FIREWALL_CHAIN, Firewall, JoinStart, MemberJoinFacts, accept_rule, plan_member_join,
    relocate_conf,
};
pub use member_replace::{
    DatadirBackup, JOIN_MANIFEST, JoinManifest, JoinPath, LEARNER_THRESHOLD, MemberReplaceFacts,
    choose_join_path, plan_member_replace, render_new_member_conf,
};

pub use project_export::{ProjectExportFacts, plan_project_export};
pub use project_restore::{ProjectRestoreFacts, plan_project_restore};

use serde::Serialize;

/// The procedures lifeboat can plan and run, as shown in the menu and taken by `lifeboat plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Procedure {
    /// Members, per-member status and alarms, cross-checked with etcdctl.
    HealthCheck,
    /// Certificates, installation files, /etc/etcd and an etcd snapshot, as a sealed bundle.
    ClusterBackup,
    /// A verified bundle back into a single-member cluster, keeping what it replaces.
    ClusterRestore,
    /// Projects exported over the API, cleaned so that they can be created again.
    ProjectExport,
    /// A project recreated from its export, in an order that works.
    ProjectRestore,
}

impl Procedure {
    pub const ALL: [Procedure; 5] = [
        Procedure::HealthCheck,
        Procedure::ClusterBackup,
        Procedure::ClusterRestore,
        Procedure::ProjectExport,
        Procedure::ProjectRestore,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Procedure::HealthCheck => "Health check",
            Procedure::ClusterBackup => "Cluster backup",
            Procedure::ClusterRestore => "Cluster restore",
            Procedure::ProjectExport => "Project export",
            Procedure::ProjectRestore => "Project restore",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Procedure::HealthCheck => {
                "Lists the members, asks each one for its status and raised alarms, and cross-checks \
                 with `etcdctl endpoint health --cluster`. Read-only: run it first, and again after \
                 any change."
            }
            Procedure::ClusterBackup => {
                "Saves the master certificates and keys, the installation files and /etc/etcd when \
                 present, and streams a v3 snapshot from the most up-to-date member, checked against \
                 etcd's own hash and read back. Everything lands in a bundle with a manifest of \
                 SHA-256 sums, under lifeboat's data dir; `lifeboat verify` re-checks it."
            }
            Procedure::ClusterRestore => {
                "Restores the newest cluster backup bundle onto a single-member cluster: verifies it                  first, puts the certificates back (keeping the ones they replace), stops etcd, keeps                  the data directory as *.orig, restores, starts etcd and checks revision and keys                  against the bundle. From the command line: `lifeboat restore cluster --from BUNDLE`."
            }
            Procedure::ProjectExport => {
                "Pick projects and kinds; each project is exported into its own folder with the \
                 procedure's files (project.yaml, rolebindings.yaml, serviceaccount.yaml, \
                 secret.yaml 0600, pvc.yaml) and a manifest, cleaned of what the cluster assigned \
                 (uids, versions, status, cluster IPs, bound volumes, token secrets) so that \
                 `create -f` works again. From the command line: `lifeboat project export`."
            }
            Procedure::ProjectRestore => {
                "Pick an export; it is verified, the project is created, then secrets, service \
                 accounts, PVCs, role bindings and the rest in dependency order, one object at a \
                 time. Expected failures (the project's own service accounts, controller-owned \
                 pods) are told apart from real ones. From the command line: `lifeboat project \
                 restore --from DIR`."
            }
        }
    }
}

/// `plan`, after asserting that it is well-formed: every planner test goes through it.
#[cfg(test)]
pub(crate) fn validated(plan: crate::plan::Plan) -> crate::plan::Plan {
    if let Err(defects) = plan.validate() {
        let list: Vec<String> = defects.iter().map(ToString::to_string).collect();
        panic!("{} is malformed:\n{}", plan.procedure, list.join("\n"));
    }
    plan
}
