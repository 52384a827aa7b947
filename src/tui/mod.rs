//! The full-screen UI. One [`App`] state, one [`Msg`] enum, one [`update`]; views only read
//! the state, and everything slow (etcd calls, the runner, discovery) runs in tasks that
//! report back as messages, so the screen never waits on the network.

mod app;
mod appdata;
pub mod entry;
mod event_loop;
pub mod form;
pub(crate) mod guide;
pub use guide::Artifact;
mod guide_tasks;
pub(crate) mod members;
mod msg;
mod palette;
mod project;
mod project_tasks;
pub mod snapshot_browser;
mod snapshot_tasks;
mod terminal;
mod update;
pub mod view;
mod wizard_update;

pub use app::{App, Focus, Progress, ProgressUnit, Screen, StepState, Wizard};
pub use appdata::{AppDataPicker, AppDataRequest};
pub use entry::Entry;
pub use event_loop::{run, run_wizard};
pub use msg::{Effect, Msg};
pub use project::{
    BackupEntry, BackupPicker, PickerStage, ProjectCatalog, ProjectPicker, find_exports,
};
pub use terminal::install_panic_hook;
pub use update::update;
