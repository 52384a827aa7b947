use std::time::Duration;

use crossterm::event::KeyEvent;

use crate::health::HealthReport;
use crate::plan::Plan;
use crate::procedures::Procedure;
use crate::run::{ConfirmRequest, RunEvent};

/// Everything that can change the UI's state arrives as one of these, on one channel.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    /// The clock moved: ages on screen are recomputed.
    Tick(jiff::Timestamp),
    Health(Box<HealthReport>),
    PlanReady(Plan),
    PlanFailedToStart(String),
    Run(RunEvent),
    Confirm(Box<ConfirmRequest>),
    /// The workloads of every project, for the application data picker.
    Workloads(Result<Vec<crate::kube::workload::Workload>, String>),
    /// The projects (counts to follow) and kinds, for the project picker.
    ProjectsLoaded(Result<super::ProjectCatalog, String>),
    /// One kind's counts for every project, from the load numbered `load`.
    ProjectCounts {
        load: u64,
        counts: Result<crate::kube::KindCounts, String>,
    },
    BackupsLoaded(Result<Vec<super::BackupEntry>, String>),
    /// Cluster backups that hold a snapshot (the backup browser).
    SnapshotBundles(Result<Vec<super::snapshot_browser::BundleRow>, String>),
    /// The projects of the backup being browsed.
    SnapshotProjects(Result<Vec<super::snapshot_browser::ProjectRow>, String>),
    /// A plan made from a form or the palette, shown in full before it runs.
    Planned {
        plan: Plan,
        etcd: Option<crate::connection::Endpoints>,
    },
    /// Planning refused: the whole reason, and what applies instead.
    Refused(String),
    /// A form whose choices needed the disk (bundles found), ready to show.
    FormReady(Box<super::form::Form>),
    /// What the finished procedure wrote: sizes and digests.
    Artifacts(Vec<super::guide::Artifact>),
}

/// Work that `update` asks the event loop to start; `update` itself never does I/O.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    StartPlan(Procedure),
    LoadWorkloads,
    StartAppData(super::AppDataRequest),
    RefreshNow,
    SetRefreshInterval(Duration),
    /// Ask the cluster for its projects and kinds (the project picker).
    LoadProjects,
    /// Look for project exports (the restore picker).
    LoadBackups,
    StartProjectExport {
        projects: Vec<String>,
        kinds: Vec<crate::kube::KindRef>,
        excluded: std::collections::BTreeMap<String, String>,
    },
    StartProjectRestore {
        from: std::path::PathBuf,
        rename: Option<String>,
        preview: bool,
    },
    /// Look for cluster backups holding a snapshot (the backup browser).
    LoadClusterBackups,
    /// Read a backup's projects, their counts and their difference from the live cluster.
    LoadSnapshotProjects(std::path::PathBuf),
    /// Plan and run the export of one project out of a backup's snapshot.
    StartSnapshotExport {
        source: std::path::PathBuf,
        namespace: String,
    },
    /// Look for cluster backups, then open the restore form.
    OpenRestoreForm {
        disaster_recovery: bool,
    },
    /// Look for join bundles, then open the join form.
    OpenJoinForm,
    /// Gather the facts of a request and plan it (shown as a preview).
    PlanRequest(super::form::FormRequest),
    /// Plan the promotion of a learner chosen on the member table.
    PlanPromote {
        name: String,
        client_url: String,
    },
    /// Start the runner of the previewed plan.
    RunPlan,
    /// Measure and hash what the finished procedure wrote.
    Summarize(Vec<std::path::PathBuf>),
    Quit,
}
