//! The native actions of project export and restore, over the Kubernetes API.

use std::collections::BTreeMap;
use std::path::Path;

use tokio::sync::mpsc::UnboundedSender;

use super::check::ActionResult;
use super::events::RunEvent;
use crate::exec::OutputStream;
use crate::kube::{ExistingPolicy, KindRef, ObjectResult, RestoreRequest};

fn say(events: &UnboundedSender<RunEvent>, index: usize, line: String) {
    let _ = events.send(RunEvent::Output {
        index,
        stream: OutputStream::Stdout,
        line,
    });
}

pub async fn export_project(
    index: usize,
    namespace: &str,
    kinds: &[KindRef],
    excluded: &BTreeMap<String, String>,
    secrets: bool,
    out: &Path,
    events: &UnboundedSender<RunEvent>,
) -> Result<ActionResult, String> {
    let (client, server) = crate::kube::connect().await?;
    let openshift = crate::kube::serves_projects(&client).await;
    let request = crate::kube::ExportRequest {
        namespace,
        kinds,
        secrets,
        out,
        server: &server,
        openshift,
        excluded,
    };
    let mut progress = |listed: crate::kube::KindListed| {
        if listed.objects > 0 {
            say(
                events,
                index,
                format!("{namespace}: {} {}", listed.objects, listed.kind),
            );
        }
        let _ = events.send(RunEvent::Progress {
            index,
            done: listed.done as u64,
            total: Some(listed.total as u64),
        });
    };
    let manifest = crate::kube::export_project(&client, &request, &mut progress).await?;
    let contents = manifest.project.unwrap_or_default();
    for file in &contents.files {
        say(
            events,
            index,
            format!("{:<20} {:>4} objects", file.name, file.objects),
        );
    }
    if !secrets {
        say(
            events,
            index,
            "--no-secrets: secrets were not exported; secret.yaml is left out".into(),
        );
    }
    let removed: u64 = contents.removed.values().sum();
    Ok(ActionResult::Done {
        summary: format!(
            "{namespace}: {} objects of {} kinds in {} ({removed} cluster-owned fields and objects removed)",
            contents.total_objects(),
            contents.counts.len(),
            out.display()
        ),
    })
}

pub async fn create_project(
    name: &str,
    annotations: &BTreeMap<String, String>,
    openshift: bool,
    dry_run: bool,
) -> Result<ActionResult, String> {
    let (client, _) = crate::kube::connect().await?;
    let annotations: serde_json::Map<String, serde_json::Value> = annotations
        .iter()
        .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
        .collect();
    let summary =
        crate::kube::create_project(&client, name, &annotations, openshift, dry_run).await?;
    Ok(ActionResult::Done { summary })
}

pub async fn restore_objects(
    index: usize,
    from: &Path,
    source: &str,
    target: &str,
    existing: ExistingPolicy,
    dry_run: bool,
    events: &UnboundedSender<RunEvent>,
) -> Result<ActionResult, String> {
    let (_, mut objects) = crate::kube::load_export(from)?;
    if source != target {
        crate::kube::rename_namespace(&mut objects, source, target);
    }
    let (client, _) = crate::kube::connect().await?;
    let total = objects.len() as u64;
    let mut done = 0u64;
    let mut failures = Vec::new();
    let mut on_object = |outcome: &crate::kube::ObjectOutcome| {
        done += 1;
        if let ObjectResult::Failed { reason } = &outcome.result {
            failures.push(format!("{} {}: {reason}", outcome.kind, outcome.name));
        }
        let _ = events.send(RunEvent::Object {
            index,
            outcome: outcome.clone(),
        });
        let _ = events.send(RunEvent::Progress {
            index,
            done,
            total: Some(total),
        });
    };
    let request = RestoreRequest {
        target,
        existing,
        dry_run,
    };
    let tally = crate::kube::restore_objects(&client, &objects, &request, &mut on_object).await?;
    if failures.is_empty() {
        Ok(ActionResult::Done {
            summary: tally.summary(),
        })
    } else {
        Err(format!("{}:\n  {}", tally.summary(), failures.join("\n  ")))
    }
}
