use std::time::Duration;

use crate::connection::ConnectionSettings;
use crate::exec::OutputStream;
use crate::health::HealthReport;
use crate::plan::Plan;
use crate::run::{ConfirmRequest, PlanOutcome, StepOutcome};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// Nothing configured: say how to configure a cluster, or rehearse on a local one.
    Welcome,
    Dashboard,
    Wizard,
    /// Application data: pick a workload and its volumes.
    AppData,
    /// Projects, then kinds, for an export.
    ProjectPicker,
    /// Project exports, for a restore.
    BackupPicker,
    /// A cluster backup's projects, read out of its etcd snapshot.
    SnapshotBrowser,
    /// The questions a guided procedure asks before it plans.
    Form,
}

/// Which part of the dashboard the arrow keys move in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Focus {
    #[default]
    Menu,
    Members,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepState {
    Pending,
    AwaitingConfirmation,
    Running,
    Done(StepOutcome),
}

/// A procedure on screen: its plan, where each step stands, and what the runner printed.
#[derive(Debug)]
pub struct Wizard {
    pub plan: Plan,
    pub steps: Vec<StepState>,
    /// The step whose details are shown; follows the runner unless the engineer moves it.
    pub selected: usize,
    pub output: Vec<(usize, OutputStream, String)>,
    pub pending: Option<ConfirmRequest>,
    pub finished: Option<PlanOutcome>,
    /// The latest progress of a long step: `(step, done, total, when the step started)`.
    pub progress: Option<Progress>,
    /// Each object of a project restore and what became of it, for the results table.
    pub objects: Vec<(usize, crate::kube::ObjectOutcome)>,
    /// Shown whole before anything runs; the runner starts when the engineer says so.
    pub previewing: bool,
    /// Every step up to the next destructive one is confirmed without asking.
    pub run_to_destructive: bool,
    /// The steps (instead of the summary) are shown after the plan finished.
    pub show_steps: bool,
    /// The cluster the plan's etcd calls go to.
    pub etcd: Option<crate::connection::Endpoints>,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    pub step: usize,
    /// What `done` and `total` count.
    pub unit: ProgressUnit,
    pub done: u64,
    pub total: Option<u64>,
    pub started: std::time::Instant,
    pub updated: std::time::Instant,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgressUnit {
    Bytes,
    /// A new member's applied raft index against the leader's.
    RaftIndex,
    /// Kinds listed or objects restored.
    Items,
}

impl Wizard {
    pub fn new(plan: Plan) -> Self {
        let steps = vec![StepState::Pending; plan.steps.len()];
        Wizard {
            plan,
            steps,
            selected: 0,
            output: Vec::new(),
            pending: None,
            finished: None,
            progress: None,
            objects: Vec::new(),
            previewing: false,
            run_to_destructive: false,
            show_steps: false,
            etcd: None,
        }
    }

    /// A plan shown in full before its runner starts.
    pub fn preview(plan: Plan) -> Self {
        Wizard {
            previewing: true,
            ..Wizard::new(plan)
        }
    }

    pub fn is_running(&self) -> bool {
        self.finished.is_none()
    }
}

pub struct App {
    pub screen: Screen,
    pub connection: Option<ConnectionSettings>,
    pub health: Option<HealthReport>,
    /// The member table shows URLs instead of raft progress.
    pub show_urls: bool,
    pub refresh_every: Duration,
    pub now: jiff::Timestamp,
    pub menu_selected: usize,
    pub help_open: bool,
    pub wizard: Option<Wizard>,
    pub appdata: super::AppDataPicker,
    pub project_picker: super::ProjectPicker,
    pub backup_picker: super::BackupPicker,
    pub snapshot_browser: super::snapshot_browser::SnapshotBrowser,
    /// A one-line notice at the bottom (a plan that could not start).
    pub notice: Option<String>,
    /// A refusal or error too long for the notice line, shown whole, with the procedures
    /// that apply instead.
    pub message: Option<super::guide::Message>,
    pub palette: Option<super::palette::Palette>,
    pub form: Option<super::form::Form>,
    /// What the wizard on screen was planned from: its command line and its summary.
    pub request: Option<super::form::FormRequest>,
    /// Sizes and digests of what the finished procedure wrote.
    pub artifacts: Vec<super::guide::Artifact>,
    /// A form's request is being gathered and planned: its keys wait.
    pub planning: bool,
    pub focus: Focus,
    pub member_selected: usize,
    pub member_detail: bool,
    /// `q` was pressed while a step runs: the next `q` (or `y`) confirms stopping.
    pub quit_asked: bool,
    pub quit: bool,
}

pub const REFRESH_STEPS: [Duration; 6] = [
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(5),
    Duration::from_secs(10),
    Duration::from_secs(30),
    Duration::from_secs(60),
];

impl App {
    pub fn new(connection: Option<ConnectionSettings>, now: jiff::Timestamp) -> Self {
        App {
            screen: if connection.is_some() {
                Screen::Dashboard
            } else {
                Screen::Welcome
            },
            connection,
            health: None,
            show_urls: false,
            refresh_every: crate::config::current().refresh_interval.value,
            now,
            menu_selected: 0,
            help_open: false,
            wizard: None,
            appdata: super::AppDataPicker::default(),
            project_picker: super::ProjectPicker::default(),
            backup_picker: super::BackupPicker::default(),
            snapshot_browser: Default::default(),
            notice: None,
            message: None,
            palette: None,
            form: None,
            request: None,
            artifacts: Vec::new(),
            planning: false,
            focus: Focus::Menu,
            member_selected: 0,
            member_detail: false,
            quit_asked: false,
            quit: false,
        }
    }

    pub fn selected_entry(&self) -> super::entry::Entry {
        use super::entry::Entry;
        Entry::ALL[self.menu_selected.min(Entry::ALL.len() - 1)]
    }
}
