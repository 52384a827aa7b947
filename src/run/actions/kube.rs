//! Kubernetes: project export, creation and object restore over the API, described as the kubectl/oc commands they stand for.

use super::StepContext;
use super::path_arg;
use crate::plan::{Action, Plan, shell_join};
use crate::run::check::ActionResult;
use crate::run::kube;

/// The command an engineer would type for `action`, or `None` when it is not of this domain.
pub fn describe(_plan: &Plan, action: &Action) -> Option<String> {
    Some(match action {
        Action::ExportProject {
            namespace,
            kinds,
            secrets,
            out,
            ..
        } => format!(
            "kubectl get {} -n {} -o yaml > {}/{{project,{}serviceaccount,pvc,rolebindings}}.yaml   (native; cleaned, {} kinds)",
            if kinds.len() > 4 {
                format!(
                    "{},... ",
                    kinds
                        .iter()
                        .take(4)
                        .map(|k| k.key())
                        .collect::<Vec<_>>()
                        .join(",")
                )
                .trim_end()
                .to_string()
            } else {
                kinds.iter().map(|k| k.key()).collect::<Vec<_>>().join(",")
            },
            shell_join([namespace]),
            shell_join([path_arg(out)]),
            if *secrets { "secret," } else { "" },
            kinds.len()
        ),
        Action::ExportFromSnapshot {
            source,
            namespace,
            out,
            ..
        } => format!(
            "lifeboat snapshot export {} --namespace {} --out {}   (native; read from the etcd snapshot, cleaned)",
            shell_join([path_arg(source)]),
            shell_join([namespace]),
            shell_join([path_arg(out.parent().unwrap_or(out))]),
        ),
        Action::CreateProject {
            name,
            openshift,
            dry_run,
            ..
        } => format!(
            "{} {}{}",
            if *openshift {
                "oc new-project"
            } else {
                "kubectl create namespace"
            },
            shell_join([name]),
            if *dry_run { " --dry-run=server" } else { "" }
        ),
        Action::RestoreObjects {
            from,
            source,
            target,
            dry_run,
            ..
        } => format!(
            "kubectl create{} -n {} -f {}/secret.yaml -f serviceaccount.yaml -f pvc.yaml -f rolebindings.yaml -f project.yaml   (native; one object at a time in dependency order{})",
            if *dry_run { " --dry-run=server" } else { "" },
            shell_join([target]),
            shell_join([path_arg(from)]),
            if source != target {
                format!(", moved from {source} to {target}")
            } else {
                String::new()
            }
        ),
        _ => return None,
    })
}

/// Runs `action` when it is a Kubernetes one.
pub async fn execute(
    ctx: &StepContext<'_>,
    action: &Action,
) -> Option<Result<ActionResult, String>> {
    let index = ctx.index;
    Some(match action {
        Action::ExportProject {
            namespace,
            kinds,
            excluded,
            secrets,
            out,
        } => {
            kube::export_project(index, namespace, kinds, excluded, *secrets, out, ctx.events).await
        }
        Action::ExportFromSnapshot {
            source,
            namespace,
            out,
            accept_unknown_fields,
        } => {
            crate::run::snapshot_export::export_from_snapshot(
                index,
                source,
                namespace,
                out,
                *accept_unknown_fields,
                ctx.events,
            )
            .await
        }
        Action::CreateProject {
            name,
            annotations,
            openshift,
            dry_run,
        } => kube::create_project(name, annotations, *openshift, *dry_run).await,
        Action::RestoreObjects {
            from,
            source,
            target,
            existing,
            dry_run,
        } => {
            kube::restore_objects(index, from, source, target, *existing, *dry_run, ctx.events)
                .await
        }
        _ => return None,
    })
}
