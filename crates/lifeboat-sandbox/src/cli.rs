use std::path::PathBuf;
use std::process::ExitCode;

use color_eyre::eyre::Result;

use crate::cli::{SandboxCommand, SandboxDir};
use crate::sandbox::{self, SandboxState, is_running};

fn dir_of(dir: SandboxDir) -> Result<PathBuf> {
    match dir.dir {
        Some(dir) => Ok(std::path::absolute(&dir)?),
        None => crate::paths::default_sandbox_dir(),
    }
}

pub async fn dispatch(command: SandboxCommand) -> Result<ExitCode> {
    match command {
        SandboxCommand::Up { dir, members } => {
            let dir = dir_of(dir)?;
            eprintln!(
                "Starting {members} etcd members with TLS in {} ...",
                dir.display()
            );
            let state = sandbox::up(&dir, usize::from(members)).await?;
            print_members(&state);
            println!(
                "\nUse it with etcdctl and kubectl:  eval \"$(lifeboat sandbox env --dir {})\"",
                dir.display()
            );
        }
        SandboxCommand::Down { dir } => {
            let dir = dir_of(dir)?;
            sandbox::down(&dir)?;
            println!(
                "Stopped the sandbox in {} (its data is kept).",
                dir.display()
            );
        }
        SandboxCommand::Status { dir } => {
            let dir = dir_of(dir)?;
            match SandboxState::load_if_present(&dir)? {
                Some(state) => print_members(&state),
                None => println!("No sandbox in {}.", dir.display()),
            }
        }
        SandboxCommand::Env { dir } => {
            let dir = dir_of(dir)?;
            let state = SandboxState::load_if_present(&dir)?
                .ok_or_else(|| sandbox::SandboxError::NotFound(dir.display().to_string()))?;
            print!("{}", state.env_exports(&dir));
        }
        SandboxCommand::Kill { dir, member, wipe } => {
            let dir = dir_of(dir)?;
            let killed = sandbox::kill_member(&dir, &member, wipe)?;
            println!(
                "Killed {}{}.",
                killed.name,
                if wipe {
                    " and wiped its data directory"
                } else {
                    ""
                }
            );
        }
        SandboxCommand::ServeKube { dir, port } => {
            let dir = dir_of(dir)?;
            sandbox::kube_api::serve(&dir, port).await?;
        }
        SandboxCommand::Stop { dir, member } => {
            let dir = dir_of(dir)?;
            let stopped = sandbox::stop_member(&dir, &member)?;
            println!("Stopped {}.", stopped.name);
        }
        SandboxCommand::Start {
            dir,
            member,
            no_wait,
        } => {
            let dir = dir_of(dir)?;
            let started = sandbox::start_member(&dir, &member, !no_wait).await?;
            match no_wait {
                true => println!(
                    "{} started, serving on {}.",
                    started.name,
                    started.client_url()
                ),
                false => println!("{} is up on {}.", started.name, started.client_url()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_members(state: &SandboxState) {
    println!(
        "{:<10} {:<8} {:<8} {:<26} DATA",
        "MEMBER", "PID", "STATE", "CLIENT URL"
    );
    for member in &state.members {
        let running = member.pid.is_some_and(is_running);
        println!(
            "{:<10} {:<8} {:<8} {:<26} {}",
            member.name,
            member.pid.map_or("-".to_string(), |p| p.to_string()),
            if running { "running" } else { "stopped" },
            member.client_url(),
            member.data_dir().display()
        );
    }
    if let Some(kube_api) = &state.kube_api {
        let running = sandbox::kube_api::is_running(kube_api);
        println!(
            "{:<10} {:<8} {:<8} {:<26} emulated Kubernetes/OpenShift API server (a stand-in for tests and rehearsal)",
            "kube-api",
            kube_api.pid.map_or("-".to_string(), |p| p.to_string()),
            if running { "running" } else { "stopped" },
            kube_api.url(),
        );
    }
}
