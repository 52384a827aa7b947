//! Etcd calls: native gRPC against the members, each described as the etcdctl command it stands for.

use super::path_arg;
use crate::plan::{Action, EtcdState, Plan, shell_join};

/// The command an engineer would type for `action`, or `None` when it is not of this domain.
pub fn describe(plan: &Plan, action: &Action) -> Option<String> {
    Some(match action {
        Action::Etcd(call) => format!(
            "{}   (native gRPC; etcdctl equivalent)",
            shell_join(plan.etcdctl_command(call))
        ),
        Action::EtcdSnapshot { endpoint, to, .. } => {
            let mut argv = vec!["etcdctl".to_string()];
            argv.extend(
                plan.etcdctl_flags
                    .iter()
                    .filter(|f| !f.starts_with("--endpoints="))
                    .cloned(),
            );
            argv.push(format!("--endpoints={endpoint}"));
            argv.extend([
                "snapshot".to_string(),
                "save".to_string(),
                to.display().to_string(),
            ]);
            format!(
                "{}   (native gRPC stream; etcdctl equivalent)",
                shell_join(argv)
            )
        }
        Action::WaitForEtcd {
            endpoints,
            until,
            timeout_secs,
        } => match until {
            EtcdState::Down => format!(
                "wait up to {timeout_secs}s until nothing listens on {}",
                endpoints.join(", ")
            ),
            EtcdState::Healthy => format!(
                "wait up to {timeout_secs}s for {}   (native; etcdctl equivalent)",
                shell_join(
                    std::iter::once("etcdctl".to_string())
                        .chain(
                            plan.etcdctl_flags
                                .iter()
                                .filter(|f| !f.starts_with("--endpoints="))
                                .cloned()
                        )
                        .chain([
                            format!("--endpoints={}", endpoints.join(",")),
                            "endpoint".into(),
                            "health".into(),
                        ])
                )
            ),
        },
        Action::CompareWithBundle { revision, keys } => format!(
            "{}   (native; expect revision {revision}{})",
            shell_join(
                std::iter::once("etcdctl".to_string())
                    .chain(plan.etcdctl_flags.iter().cloned())
                    .chain([
                        "get".into(),
                        "--prefix".into(),
                        "".into(),
                        "--count-only".into(),
                        "-w".into(),
                        "json".into()
                    ])
            ),
            keys.map_or(String::new(), |k| format!(", {k} keys"))
        ),
        Action::ReadSnapshotBack { file } => format!(
            "ETCDCTL_API=3 etcdctl snapshot status {} -w json   (native read of the bbolt pages; etcdctl equivalent)",
            shell_join([path_arg(file)])
        ),
        _ => return None,
    })
}
