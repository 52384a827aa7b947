//! The background work of the project pickers; results come back as messages.
//!
//! The project list comes first (one paged list of namespaces, with discovery alongside), so
//! the picker shows it at once; each kind's counts follow as their own message, a few kinds
//! listed at a time, so a cluster of thousands of projects fills its counts in while keys work.

use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt;
use tokio::sync::mpsc;

use super::msg::Msg;
use super::project::{ProjectCatalog, find_exports};
use crate::kube::{
    KindRef, choose_kinds, count_kind, discover_namespaced_kinds, is_system_namespace,
    list_namespaces,
};

/// Kinds counted at once: enough to overlap the round trips, few enough not to crowd a busy
/// API server during an outage.
const COUNTING_AT_ONCE: usize = 4;

pub fn load_projects(tx: mpsc::UnboundedSender<Msg>) {
    static LOADS: AtomicU64 = AtomicU64::new(0);
    let load = LOADS.fetch_add(1, Ordering::Relaxed) + 1;
    tokio::spawn(async move {
        let listed = async {
            let (client, _) = crate::kube::connect().await?;
            let (kinds, projects) =
                tokio::join!(discover_namespaced_kinds(&client), list_namespaces(&client));
            let kinds = kinds?;
            let counted = choose_kinds(&kinds, None)?;
            let projects = projects?
                .into_iter()
                .filter(|p| !is_system_namespace(&p.name))
                .collect();
            let catalog = ProjectCatalog {
                projects,
                kinds,
                load,
                counting: counted.len(),
                count_error: None,
            };
            Ok::<_, String>((client, counted, catalog))
        }
        .await;
        match listed {
            Ok((client, counted, catalog)) => {
                if tx.send(Msg::ProjectsLoaded(Ok(catalog))).is_ok() {
                    count_kinds(client, counted, load, tx).await;
                }
            }
            Err(error) => {
                let _ = tx.send(Msg::ProjectsLoaded(Err(error)));
            }
        }
    });
}

/// Counts every kind, `COUNTING_AT_ONCE` at a time, sending each kind's counts as they come;
/// stops when the UI has gone.
async fn count_kinds(
    client: kube::Client,
    kinds: Vec<KindRef>,
    load: u64,
    tx: mpsc::UnboundedSender<Msg>,
) {
    let mut counted = futures::stream::iter(kinds)
        .map(|kind| {
            let client = client.clone();
            async move { count_kind(&client, &kind).await }
        })
        .buffer_unordered(COUNTING_AT_ONCE);
    while let Some(counts) = counted.next().await {
        if tx.send(Msg::ProjectCounts { load, counts }).is_err() {
            return;
        }
    }
}

pub fn load_backups(tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let result = crate::paths::backups_dir()
            .map(|dir| find_exports(&dir))
            .map_err(|e| format!("{e:#}"));
        let _ = tx.send(Msg::BackupsLoaded(result));
    });
}
