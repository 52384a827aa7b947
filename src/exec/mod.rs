//! Executors: how a [`CommandSpec`] becomes a process on the right host.
//!
//! Each executor only decides the invocation (program, arguments, environment); starting the
//! process and streaming its output is shared, so that `docker exec` behaves exactly like a
//! local run apart from where it lands. An ssh executor would be one more implementation.

pub mod detached;
mod stream;

pub use stream::{CommandOutcome, OutputLine, OutputStream, run_streaming};

use crate::plan::{CommandSpec, Target, shell_join};

/// The process lifeboat really starts for a command: shown to the engineer before it runs and
/// written to the transcript after.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invocation {
    pub program: String,
    pub args: Vec<String>,
    pub env: Vec<(String, String)>,
}

impl Invocation {
    pub fn of(spec: &CommandSpec) -> Self {
        executor_for(&spec.target).invocation(&spec.argv, &spec.env)
    }

    /// The invocation as one line that can be pasted into a shell.
    pub fn display(&self) -> String {
        let env = self
            .env
            .iter()
            .map(|(key, value)| shell_join([format!("{key}={value}")]))
            .collect::<Vec<_>>();
        let command = shell_join(std::iter::once(&self.program).chain(&self.args));
        if env.is_empty() {
            command
        } else {
            format!("{} {command}", env.join(" "))
        }
    }
}

/// Turns an argv meant for some host into the process that runs it there.
pub trait Executor {
    fn invocation(&self, argv: &[String], env: &[(String, String)]) -> Invocation;
}

/// Runs on this host.
pub struct Local;

impl Executor for Local {
    fn invocation(&self, argv: &[String], env: &[(String, String)]) -> Invocation {
        let (program, args) = argv
            .split_first()
            .map_or((String::new(), Vec::new()), |(p, rest)| {
                (p.clone(), rest.to_vec())
            });
        Invocation {
            program,
            args,
            env: env.to_vec(),
        }
    }
}

/// Runs inside a container with `docker exec`; the environment goes in as `-e` flags so it
/// reaches the process in the container, not the docker client.
pub struct DockerExec<'a> {
    pub container: &'a str,
}

impl Executor for DockerExec<'_> {
    fn invocation(&self, argv: &[String], env: &[(String, String)]) -> Invocation {
        let mut args = vec!["exec".to_string()];
        for (key, value) in env {
            args.push("-e".to_string());
            args.push(format!("{key}={value}"));
        }
        args.push(self.container.to_string());
        args.extend(argv.iter().cloned());
        Invocation {
            program: "docker".to_string(),
            args,
            env: Vec::new(),
        }
    }
}

pub fn executor_for(target: &Target) -> Box<dyn Executor + '_> {
    match target {
        Target::Local => Box::new(Local),
        Target::DockerExec { container } => Box::new(DockerExec { container }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_invocation_keeps_arguments_apart() {
        let spec =
            CommandSpec::local(["etcdctl", "get", "a key; rm -rf /"]).with_env("ETCDCTL_API", "3");
        let invocation = Invocation::of(&spec);
        assert_eq!(invocation.program, "etcdctl");
        assert_eq!(invocation.args, ["get", "a key; rm -rf /"]);
        assert_eq!(
            invocation.display(),
            "ETCDCTL_API=3 etcdctl get 'a key; rm -rf /'"
        );
    }

    #[test]
    fn docker_exec_passes_environment_into_the_container() {
        let spec = CommandSpec::local(["etcdctl", "backup"])
            .with_env("ETCDCTL_API", "2")
            .on(Target::DockerExec {
                container: "etcd_container".into(),
            });
        let invocation = Invocation::of(&spec);
        assert_eq!(invocation.program, "docker");
        assert_eq!(
            invocation.args,
            [
                "exec",
                "-e",
                "ETCDCTL_API=2",
                "etcd_container",
                "etcdctl",
                "backup"
            ]
        );
        assert!(invocation.env.is_empty());
    }
}
