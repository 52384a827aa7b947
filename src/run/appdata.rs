//! Application data actions, run natively through the Kubernetes API: the probe, the copies
//! through exec, and the restart.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams};
use tokio::sync::mpsc::UnboundedSender;

use super::check::ActionResult;
use super::events::RunEvent;
use crate::exec::OutputStream;
use crate::kube::pod_copy::{Copied, copy_in, copy_out, probe};
use crate::kube::workload::{client, pod_names, ready_pod, scale, wait_until};
use crate::plan::{AppDataAction, RestartHow};

/// Progress for the gauge on every chunk (the channel is cheap), and a line with the file count
/// every two seconds.
struct Reporter<'a> {
    index: usize,
    total: Option<u64>,
    events: &'a UnboundedSender<RunEvent>,
    last_line: Instant,
}

impl Reporter<'_> {
    fn report(&mut self, copied: Copied) {
        let _ = self.events.send(RunEvent::Progress {
            index: self.index,
            done: copied.bytes,
            // An estimate from `du` can be below what really streams.
            total: self.total.map(|t| t.max(copied.bytes)),
        });
        if self.last_line.elapsed() >= Duration::from_secs(2) {
            self.last_line = Instant::now();
            self.line(format!(
                "{} files, {} so far",
                copied.files,
                human(copied.bytes)
            ));
        }
    }

    fn line(&self, line: String) {
        let _ = self.events.send(RunEvent::Output {
            index: self.index,
            stream: OutputStream::Stdout,
            line,
        });
    }
}

fn human(bytes: u64) -> String {
    crate::units::human_bytes_u64(bytes)
}

pub async fn run(
    index: usize,
    action: &AppDataAction,
    events: &UnboundedSender<RunEvent>,
) -> Result<ActionResult, String> {
    let client = client().await?;
    let reporter = |total: Option<u64>| Reporter {
        index,
        total,
        events,
        last_line: Instant::now(),
    };
    match action {
        AppDataAction::ProbePod { at, writable } => {
            let size = probe(&client, at, *writable).await?;
            Ok(ActionResult::Done {
                summary: format!(
                    "pod {} has sh and tar; {} is {}{}",
                    at.pod,
                    at.mount_path,
                    if *writable { "writable" } else { "readable" },
                    size.map_or(String::new(), |s| format!(", about {}", human(s)))
                ),
            })
        }
        AppDataAction::CopyOut {
            at,
            to,
            expected_bytes,
        } => {
            let mut progress = reporter(*expected_bytes);
            let copied = copy_out(&client, at, to, |c| progress.report(c)).await?;
            Ok(ActionResult::Done {
                summary: format!(
                    "{} files and links, {} copied out of {}:{}",
                    copied.files,
                    human(copied.bytes),
                    at.pod,
                    at.mount_path
                ),
            })
        }
        AppDataAction::CopyIn {
            at,
            from,
            total_bytes,
        } => {
            let mut progress = reporter(Some(*total_bytes));
            let copied = copy_in(&client, at, from, |c| progress.report(c)).await?;
            Ok(ActionResult::Done {
                summary: format!(
                    "{} files and links ({} of tar stream) restored into {}:{}",
                    copied.files,
                    human(copied.bytes),
                    at.pod,
                    at.mount_path
                ),
            })
        }
        AppDataAction::Restart { .. } => restart(&client, &reporter(None), action).await,
    }
}

/// Restarts the workload as the action says and waits for a new ready pod.
async fn restart(
    client: &kube::Client,
    say: &Reporter<'_>,
    action: &AppDataAction,
) -> Result<ActionResult, String> {
    let AppDataAction::Restart {
        namespace,
        workload,
        selector,
        how,
        pod,
        replicas,
        timeout_secs,
    } = action
    else {
        return Err(format!("{action:?} is not a restart"));
    };
    let timeout = Duration::from_secs(*timeout_secs);
    match how {
        RestartHow::None => {
            return Ok(ActionResult::Done {
                summary: "not restarted".into(),
            });
        }
        RestartHow::Delete => {
            Api::<Pod>::namespaced(client.clone(), namespace)
                .delete(pod, &DeleteParams::default())
                .await
                .map_err(|e| format!("deleting pod {pod}: {e}"))?;
            say.line(format!("deleted pod {pod}; waiting for its replacement"));
        }
        RestartHow::Scale => {
            scale(client, namespace, workload, 0).await?;
            say.line(format!(
                "scaled {workload} to 0; waiting for its pods to go"
            ));
            wait_until(
                timeout,
                &format!("{workload} scaling to 0"),
                || async move { Ok(pod_names(client, namespace, selector).await?.is_empty()) },
            )
            .await?;
            scale(client, namespace, workload, *replicas).await?;
            say.line(format!("scaled {workload} back to {replicas}"));
        }
    }
    let replacement = || async move {
        Ok::<_, String>(
            ready_pod(client, namespace, selector)
                .await?
                .filter(|name| name != pod),
        )
    };
    wait_until(
        timeout,
        &format!("a new ready pod of {workload}"),
        || async move { Ok(replacement().await?.is_some()) },
    )
    .await?;
    let new_pod = replacement().await?;
    Ok(ActionResult::Done {
        summary: format!(
            "{workload} restarted: pod {} is running and ready",
            new_pod.unwrap_or_default()
        ),
    })
}
