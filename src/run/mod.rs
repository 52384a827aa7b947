//! The runner: the one place where plans turn into changes on a host.
//!
//! It asks a confirm policy before every step, executes the step's action, checks the result,
//! streams [`RunEvent`]s to whoever renders them (TUI, CLI, tests) and appends every executed
//! action to the transcript. A failed step stops the plan.

pub mod actions;
mod appdata;
mod check;
mod confirm;
mod events;
mod interrupt;
mod kube;
mod member_calls;
mod native;
mod native_files;
mod outputs;
mod readonly;
mod restore;
mod runner;
mod snapshot_export;
mod transcript;

pub use actions::describe_action;
pub use check::{ActionResult, parse_snapshot_status};
pub use confirm::{ConfirmPolicy, ConfirmRequest, Decision};
pub use events::{PlanOutcome, RunEvent, StepOutcome};
pub use interrupt::Interrupt;
pub use outputs::StepOutputs;
pub use runner::Runner;
pub use transcript::{Transcript, TranscriptRecord};

#[cfg(test)]
mod tests;
