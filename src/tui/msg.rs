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
    ProjectsLoaded(Result<super::ProjectCatalog, String>),
    BackupsLoaded(Result<Vec<super::BackupEntry>, String>),
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
    Quit,
}
