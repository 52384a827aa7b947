//! Application data: copies through a pod's exec stream and the restart after a restore,
//! described as the `oc` commands they stand for.

use super::StepContext;
use crate::kube::pod_copy::PodPath;
use crate::plan::{Action, AppDataAction, Plan, RestartHow, shell_join};
use crate::run::check::ActionResult;

/// The command an engineer would type for `action`, or `None` when it is not of this domain.
pub fn describe(_plan: &Plan, action: &Action) -> Option<String> {
    match action {
        Action::AppData(call) => Some(describe_call(call)),
        _ => None,
    }
}

fn exec_prefix(at: &PodPath, interactive: bool) -> Vec<String> {
    let mut argv = vec!["oc".to_string(), "exec".into()];
    if interactive {
        argv.push("-i".into());
    }
    argv.extend([
        "-n".into(),
        at.namespace.clone(),
        at.pod.clone(),
        "-c".into(),
        at.container.clone(),
        "--".into(),
    ]);
    argv
}

/// The commands an engineer would type for the same effect as `action`.
fn describe_call(action: &AppDataAction) -> String {
    match action {
        AppDataAction::ProbePod { at, writable } => {
            let mut argv = exec_prefix(at, false);
            argv.extend([
                "sh".into(),
                "-c".into(),
                format!(
                    "command -v tar && test -d {0}{1} && du -sk {0}",
                    at.mount_path,
                    if *writable {
                        format!(" && touch {}/.lifeboat-write-test", at.mount_path)
                    } else {
                        String::new()
                    }
                ),
            ]);
            format!("{}   (native exec)", shell_join(argv))
        }
        AppDataAction::CopyOut { at, to, .. } => {
            let mut argv = exec_prefix(at, false);
            argv.extend(["tar", "cf", "-", "-C", &at.mount_path, "."].map(String::from));
            format!(
                "{} | tar xf - -C {}   (native exec stream, like oc rsync {}:{} without rsync)",
                shell_join(argv),
                shell_join([to.display().to_string()]),
                at.pod,
                at.mount_path
            )
        }
        AppDataAction::CopyIn { at, from, .. } => {
            let mut argv = exec_prefix(at, true);
            argv.extend(["tar", "xf", "-", "-C", &at.mount_path].map(String::from));
            format!(
                "tar cf - -C {} . | {}   (native exec stream; links out of {} refused)",
                shell_join([from.display().to_string()]),
                shell_join(argv),
                at.mount_path
            )
        }
        AppDataAction::Restart {
            namespace,
            workload,
            selector,
            how,
            pod,
            replicas,
            ..
        } => match how {
            RestartHow::Delete => format!(
                "{}; then wait for a new ready pod with {selector}",
                shell_join(["oc", "delete", "pod", pod, "-n", namespace])
            ),
            RestartHow::Scale => format!(
                "{} && {}; then wait for a ready pod with {selector}",
                shell_join([
                    "oc".to_string(),
                    "scale".into(),
                    "--replicas=0".into(),
                    workload.to_string(),
                    "-n".into(),
                    namespace.clone()
                ]),
                shell_join([
                    "oc".to_string(),
                    "scale".into(),
                    format!("--replicas={replicas}"),
                    workload.to_string(),
                    "-n".into(),
                    namespace.clone()
                ])
            ),
            RestartHow::None => "no restart: the application keeps running".into(),
        },
    }
}

/// Runs `action` when it is an application data one.
pub async fn execute(
    ctx: &StepContext<'_>,
    action: &Action,
) -> Option<Result<ActionResult, String>> {
    match action {
        Action::AppData(call) => Some(crate::run::appdata::run(ctx.index, call, ctx.events).await),
        _ => None,
    }
}
