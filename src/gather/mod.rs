//! The gather layer: a request plus this host become the facts a planner takes.
//!
//! One module per procedure. Everything that can make a plan impossible is refused here,
//! before a plan exists, with what to do instead. The CLI and the TUI both call these; neither
//! imports the other.

pub mod app_data;
pub mod backups;
pub mod cluster_backup;
pub mod cluster_restore;
pub mod defaults;
mod host_layout;
pub mod maintenance;
pub mod member;
pub mod project;
pub mod quorum_restore;
pub mod snapshot;

pub use host_layout::{HostLayout, host_layout};
