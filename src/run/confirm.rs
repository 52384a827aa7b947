use tokio::sync::{mpsc, oneshot};

use crate::plan::Step;

/// The answer to "run this step?".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Run,
    Skip,
    /// Stop the plan here; after this step only the always-run steps (cleanup, restarting
    /// what was stopped) run, without asking.
    Abort,
}

/// A question from the runner to whoever is in front of the screen.
#[derive(Debug)]
pub struct ConfirmRequest {
    pub index: usize,
    pub step: Step,
    reply: oneshot::Sender<Decision>,
}

impl ConfirmRequest {
    pub fn new(index: usize, step: Step) -> (Self, oneshot::Receiver<Decision>) {
        let (reply, answer) = oneshot::channel();
        (ConfirmRequest { index, step, reply }, answer)
    }

    pub fn answer(self, decision: Decision) {
        // The runner only stops listening when it is gone; then nobody needs the answer.
        let _ = self.reply.send(decision);
    }
}

/// Who decides whether each step runs.
pub enum ConfirmPolicy {
    /// Ask before every step: the TUI shows a confirm bar, the CLI a prompt on stdin.
    Ask(mpsc::Sender<ConfirmRequest>),
    /// `--yes`: run every step; manual checklist items are accepted and the transcript says so.
    AssumeYes,
    /// `--dry-run`: show every step, execute none.
    DryRun,
}
