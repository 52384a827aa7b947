//! The native action of a snapshot export: one project read out of an etcd snapshot and
//! written as a project export (`stored` reads, `kube::write_export` cleans and seals).

use std::path::Path;

use tokio::sync::mpsc::UnboundedSender;

use super::check::ActionResult;
use super::events::RunEvent;
use crate::exec::OutputStream;

fn say(events: &UnboundedSender<RunEvent>, index: usize, line: String) {
    let _ = events.send(RunEvent::Output {
        index,
        stream: OutputStream::Stdout,
        line,
    });
}

pub async fn export_from_snapshot(
    index: usize,
    source: &Path,
    namespace: &str,
    out: &Path,
    accept_unknown_fields: bool,
    events: &UnboundedSender<RunEvent>,
) -> Result<ActionResult, String> {
    let shown = out.display().to_string();
    let (source, namespace, out) = (
        source.to_path_buf(),
        namespace.to_string(),
        out.to_path_buf(),
    );
    // Reading a snapshot is file I/O of up to gigabytes: off the async threads.
    let (manifest, notes) =
        tokio::task::spawn_blocking(move || {
            let snapshot = crate::stored::SnapshotObjects::open(&source)?;
            let project = snapshot.project(&namespace)?;
            if !project.unknown_fields.is_empty() && !accept_unknown_fields {
                return Err(format!(
                    "{} objects have fields newer than lifeboat's schemas; \
                 --accept-unknown-fields exports them without those fields",
                    project.unknown_fields.len()
                ));
            }
            let mut notes: Vec<String> = project
                .unreadable
                .iter()
                .map(|line| format!("not brought over: {line}"))
                .collect();
            notes.extend(project.unknown_fields.iter().map(|(object, fields)| {
                format!("{object}: exported without {}", fields.join(", "))
            }));
            let export = crate::kube::ExportSource {
                namespace: namespace.clone(),
                source: format!("etcd snapshot {}", source.display()),
                method: "snapshot".into(),
                revision: snapshot.revision(),
                openshift: project.openshift,
                excluded: project.excluded.clone(),
                notes: notes.clone(),
            };
            let manifest = crate::kube::write_export(project.objects, &export, &out)?;
            Ok((manifest, notes))
        })
        .await
        .map_err(|e| format!("reading the snapshot stopped: {e}"))??;
    for note in &notes {
        say(events, index, note.clone());
    }
    let contents = manifest.project.unwrap_or_default();
    for file in &contents.files {
        say(
            events,
            index,
            format!("{:<20} {:>4} objects", file.name, file.objects),
        );
    }
    Ok(ActionResult::Done {
        summary: format!(
            "{}: {} objects of {} kinds from revision {} in {}",
            contents.namespace,
            contents.total_objects(),
            contents.counts.len(),
            manifest.snapshot.map(|s| s.revision).unwrap_or_default(),
            shown
        ),
    })
}
