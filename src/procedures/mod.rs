//! One pure planner per procedure: facts and choices in, a [`Plan`](crate::plan::Plan) out.

mod app_data_backup;
mod app_data_restore;
mod cluster_backup;
mod cluster_restore;
mod etcd_service;
mod health_check;
mod member_input;
mod member_join;
mod member_promote;
mod member_replace;
mod project_export;
mod project_restore;
mod quorum_restore;
mod snapshot_export;
mod space_recovery;

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
pub use member_input::{NewHost, parse_size, render_new_member_conf, validate_member_name};
pub use member_join::{
    FIREWALL_CHAIN, Firewall, JoinStart, MemberJoinFacts, accept_rule, plan_member_join,
    relocate_conf,
};
pub use member_promote::{MemberPromoteFacts, plan_member_promote};
pub use member_replace::{
    DatadirBackup, JOIN_MANIFEST, JoinManifest, JoinPath, LEARNER_THRESHOLD, MemberReplaceFacts,
    choose_join_path, plan_member_replace,
};

pub use project_export::{ProjectExportFacts, plan_project_export};
pub use project_restore::{ProjectRestoreFacts, plan_project_restore};
pub use quorum_restore::{
    LocalMember, QuorumRestoreFacts, Survivor, best_survivor, plan_quorum_restore,
};
pub use snapshot_export::{SnapshotExportFacts, plan_snapshot_export};
pub use space_recovery::{
    DEFRAG_FREE_BYTES, DEFRAG_FREE_SHARE, MemberSpace, SpaceFacts, SpaceStatus, plan_defrag,
    plan_space_recovery,
};

pub use crate::plan::Procedure;

/// `plan`, after asserting that it is well-formed: every planner test goes through it.
#[cfg(test)]
pub(crate) fn validated(plan: crate::plan::Plan) -> crate::plan::Plan {
    if let Err(defects) = plan.validate() {
        let list: Vec<String> = defects.iter().map(ToString::to_string).collect();
        panic!("{} is malformed:\n{}", plan.procedure, list.join("\n"));
    }
    plan
}
