//! Interruption: Ctrl-C, SIGTERM or quitting the TUI asks a run to stop, and the runner stops
//! between steps, never in the middle of one, so the always-run steps (the cleanup of a staging
//! directory, starting etcd again after a `--stop-etcd` backup) still run.
//!
//! Ending the process on the first signal would leave etcd stopped and a half-written bundle
//! behind; so lifeboat catches SIGINT and SIGTERM for as long as a plan runs, and further
//! signals only repeat what is happening (SIGKILL still ends it at once).

use std::sync::Arc;

use tokio::sync::watch;

/// A cancellation token: triggered once, observed by the runner between steps and by long
/// actions that can stop part-way without harm (a snapshot streamed into a staging directory).
#[derive(Clone, Debug)]
pub struct Interrupt {
    sender: Arc<watch::Sender<bool>>,
}

impl Default for Interrupt {
    fn default() -> Self {
        Interrupt::new()
    }
}

impl Interrupt {
    pub fn new() -> Self {
        let (sender, _) = watch::channel(false);
        Interrupt {
            sender: Arc::new(sender),
        }
    }

    /// Asks the run to stop after its current step.
    pub fn trigger(&self) {
        self.sender.send_replace(true);
    }

    pub fn is_set(&self) -> bool {
        *self.sender.borrow()
    }

    /// Resolves once the run was asked to stop.
    pub async fn triggered(&self) {
        let mut receiver = self.sender.subscribe();
        // The sender lives as long as `self`, so this only ends when the value is true.
        let _ = receiver.wait_for(|stop| *stop).await;
    }

    /// Triggers on SIGINT and SIGTERM for as long as the returned task runs; `say` is told of
    /// every signal (the CLI prints it; the TUI, whose screen would be garbled, does not).
    pub fn on_signals(
        &self,
        say: impl Fn(&str) + Send + 'static,
    ) -> std::io::Result<tokio::task::JoinHandle<()>> {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        let this = self.clone();
        Ok(tokio::spawn(async move {
            loop {
                let name = tokio::select! {
                    Some(()) = interrupt.recv() => "SIGINT",
                    Some(()) = terminate.recv() => "SIGTERM",
                    else => break,
                };
                let again = this.is_set();
                this.trigger();
                say(&if again {
                    format!(
                        "{name}: still stopping: the current step ends, then the cleanup steps run"
                    )
                } else {
                    format!(
                        "{name}: stopping after the current step; the cleanup steps (always run) \
                         run next"
                    )
                });
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_trigger_is_seen_by_every_clone_and_wakes_waiters() {
        let interrupt = Interrupt::new();
        let waiter = {
            let interrupt = interrupt.clone();
            tokio::spawn(async move { interrupt.triggered().await })
        };
        assert!(!interrupt.is_set());
        interrupt.clone().trigger();
        assert!(interrupt.is_set());
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("joins");
    }
}
