//! Which procedure a plan carries out: every planner's, typed, so nothing compares names as
//! text. The menu and `lifeboat plan` offer the ones that need no choices beyond defaults.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Every procedure lifeboat plans. The ones marked `value(skip)` take their choices as flags of
/// their own command (`member replace`, `appdata backup`, ...) and are not offered by
/// `lifeboat plan`; [`Procedure::ALL`] is what the menu shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
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
    /// On a surviving host: the failed member removed, the new one added, its join bundle.
    #[value(skip)]
    MemberReplace,
    /// On the new host: the join bundle unpacked, etcd started, caught up.
    #[value(skip)]
    MemberJoin,
    /// A learner that caught up promoted to a voting member.
    #[value(skip)]
    MemberPromote,
    /// A workload's volumes copied out of its running pod.
    #[value(skip)]
    AppDataBackup,
    /// A workload's volumes copied back into its pod, then the restart chosen.
    #[value(skip)]
    AppDataRestore,
    /// The NOSPACE alarm: compact, defragment every member (leader last), disarm, test write.
    SpaceRecovery,
    /// Members whose file is mostly free space defragmented, leader last.
    Defrag,
    /// Quorum lost with a current survivor: a new one-member cluster forced from its data.
    QuorumRestore,
    /// One project read out of an etcd snapshot into a project export.
    #[value(skip)]
    SnapshotExport,
}

impl Procedure {
    /// The procedures of the menu (and of `lifeboat plan`), in its order.
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
            Procedure::MemberReplace => "Member replace",
            Procedure::MemberJoin => "Member join",
            Procedure::MemberPromote => "Member promote",
            Procedure::AppDataBackup => "Application data backup",
            Procedure::AppDataRestore => "Application data restore",
            Procedure::SpaceRecovery => "Space recovery (NOSPACE)",
            Procedure::Defrag => "Defragmentation",
            Procedure::QuorumRestore => "Quorum restore from the best survivor",
            Procedure::SnapshotExport => "Project export from a cluster backup",
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
                "Restores a cluster backup bundle onto a single-member cluster: verifies it first, puts \
                 the certificates back (keeping the ones they replace), stops etcd, keeps the data \
                 directory as *.orig, restores, starts etcd and checks revision and keys against the \
                 bundle. From the command line: `lifeboat restore cluster --from BUNDLE`."
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
            Procedure::MemberReplace => {
                "On a surviving host: checks that quorum survives the removal, removes the failed \
                 member, adds the new one (as a learner above the 700 MB rule) and writes its join \
                 bundle. From the command line: `lifeboat member replace`."
            }
            Procedure::MemberJoin => {
                "On the new host: opens the ports, unpacks the join bundle, starts etcd and waits \
                 until it has caught up. From the command line: `lifeboat member join`."
            }
            Procedure::MemberPromote => {
                "Waits until a learner has the leader's log, then promotes it to a voting member. \
                 From the command line: `lifeboat member promote NAME`."
            }
            Procedure::AppDataBackup => {
                "Copies a workload's volumes out of its running pod into a verifiable bundle. From \
                 the command line: `lifeboat appdata backup`."
            }
            Procedure::AppDataRestore => {
                "Copies a bundle's volumes back into the workload's pod and restarts it as chosen. \
                 From the command line: `lifeboat appdata restore`."
            }
            Procedure::SpaceRecovery => {
                "When etcd refuses writes with `mvcc: database space exceeded`: compacts to the \
                 current revision, defragments every member one at a time with the leader last, \
                 waiting for health in between, disarms the NOSPACE alarm, proves a write works \
                 and reads the quota gauge again. Refused while a member is unhealthy. From the \
                 command line: `lifeboat maintenance nospace`."
            }
            Procedure::Defrag => {
                "Defragments the members whose file is at least 45% and 100 MB free space \
                 (OpenShift's rule), or the one named, leader last, waiting for health in \
                 between. From the command line: `lifeboat maintenance defrag [--member NAME]`."
            }
            Procedure::QuorumRestore => {
                "When quorum is lost for good but one member's data is current: lists every \
                 reachable member's raft index, takes the highest (or the one chosen, with the \
                 cost shown), stops it, keeps a copy of its data directory, starts it once with \
                 --force-new-cluster, removes the flag and restarts it; then the lost members are \
                 replaced one at a time. Refused while quorum holds. From the command line: \
                 `lifeboat restore quorum [--member NAME]`."
            }
            Procedure::SnapshotExport => {
                "Reads one project's objects straight out of an etcd snapshot (a cluster backup, \
                 a .db file or a stopped member's data directory) and writes them as a project \
                 export, which the project restore brings back without rolling back the \
                 cluster. From the command line: `lifeboat snapshot export`."
            }
        }
    }

    /// The command-line name, e.g. `health-check`: how runbooks and transcripts name it.
    pub fn name(self) -> &'static str {
        match self {
            Procedure::HealthCheck => "health-check",
            Procedure::ClusterBackup => "cluster-backup",
            Procedure::ClusterRestore => "cluster-restore",
            Procedure::ProjectExport => "project-export",
            Procedure::ProjectRestore => "project-restore",
            Procedure::MemberReplace => "member-replace",
            Procedure::MemberPromote => "member-promote",
            Procedure::MemberJoin => "member-join",
            Procedure::AppDataBackup => "app-data-backup",
            Procedure::AppDataRestore => "app-data-restore",
            Procedure::SpaceRecovery => "space-recovery",
            Procedure::Defrag => "defrag",
            Procedure::QuorumRestore => "quorum-restore",
            Procedure::SnapshotExport => "snapshot-export",
        }
    }
}

impl fmt::Display for Procedure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
