//! The background work of the project pickers; results come back as messages.

use tokio::sync::mpsc;

use super::msg::Msg;
use super::project::{ProjectCatalog, find_exports};
use crate::kube::{choose_kinds, discover_namespaced_kinds, is_system_namespace, list_projects};

pub fn load_projects(tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let result = async {
            let (client, _) = crate::kube::connect().await?;
            let kinds = discover_namespaced_kinds(&client).await?;
            let counted = choose_kinds(&kinds, None)?;
            let projects = list_projects(&client, &counted)
                .await?
                .into_iter()
                .filter(|p| !is_system_namespace(&p.name))
                .collect();
            Ok::<_, String>(ProjectCatalog { projects, kinds })
        }
        .await;
        let _ = tx.send(Msg::ProjectsLoaded(result));
    });
}

pub fn load_backups(tx: mpsc::UnboundedSender<Msg>) {
    tokio::spawn(async move {
        let result = crate::paths::backups_dir()
            .map(|dir| find_exports(&dir))
            .map_err(|e| format!("{e:#}"));
        let _ = tx.send(Msg::BackupsLoaded(result));
    });
}
