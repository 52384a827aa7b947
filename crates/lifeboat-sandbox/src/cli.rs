//! The `lifeboat-sandbox` command line: start, stop, break and join members of the local
//! cluster, and print how lifeboat, etcdctl and kubectl reach it.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use color_eyre::eyre::Result;

use crate::kube_api::BulkSeed;
use crate::{SandboxMember, SandboxState, is_running};

/// A local etcd cluster of real processes with TLS, and an emulated Kubernetes API server:
/// for rehearsal (`make demo`) and lifeboat's tests. Not part of lifeboat itself.
#[derive(Debug, Parser)]
#[command(name = "lifeboat-sandbox", version)]
pub struct Cli {
    #[command(subcommand)]
    pub command: SandboxCommand,
}

#[derive(Debug, Args, Clone)]
pub struct SandboxDir {
    /// The sandbox directory [default: the user's data dir, lifeboat/sandbox]
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum SandboxCommand {
    /// Start N etcd members with TLS and an emulated Kubernetes API server on free 127.0.0.1
    /// ports (or restart a stopped sandbox)
    Up {
        #[command(flatten)]
        dir: SandboxDir,
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u16).range(1..=9))]
        members: u16,
        /// Use a sandbox that is already running instead of refusing (`make demo`)
        #[arg(long)]
        reuse: bool,
        /// Each member's backend quota in bytes (ETCD_QUOTA_BACKEND_BYTES), to rehearse the
        /// NOSPACE alarm; only for a new sandbox
        #[arg(long, value_name = "BYTES")]
        quota_backend_bytes: Option<u64>,
        #[command(flatten)]
        seed: SeedArgs,
    },
    /// Stop every member the sandbox started; its data stays
    Down {
        #[command(flatten)]
        dir: SandboxDir,
    },
    /// Members, pids and URLs
    Status {
        #[command(flatten)]
        dir: SandboxDir,
    },
    /// Print `export` lines for etcdctl, kubectl and lifeboat: eval "$(lifeboat-sandbox env)"
    Env {
        #[command(flatten)]
        dir: SandboxDir,
    },
    /// Failure drill: kill one member (SIGKILL), optionally deleting its data
    Kill {
        #[command(flatten)]
        dir: SandboxDir,
        #[arg(long)]
        member: String,
        /// Also delete the member's data directory, as if its disk were lost
        #[arg(long)]
        wipe: bool,
    },
    /// Stop one member cleanly (SIGTERM), as `systemctl stop etcd` would
    Stop {
        #[command(flatten)]
        dir: SandboxDir,
        #[arg(long)]
        member: String,
    },
    /// Start one stopped member again
    Start {
        #[command(flatten)]
        dir: SandboxDir,
        #[arg(long)]
        member: String,
        /// Return once the process runs, without waiting for it to answer (a restored member
        /// of a larger cluster answers only once enough others have started)
        #[arg(long)]
        no_wait: bool,
    },
    /// Register a member that joined the cluster from outside (lifeboat's `member join`), drop
    /// the members it replaces, start it and wait until it answers
    Join {
        #[command(flatten)]
        dir: SandboxDir,
        #[arg(long)]
        member: String,
        #[arg(long)]
        client_port: u16,
        #[arg(long)]
        peer_port: u16,
        #[arg(long)]
        replaces: Vec<String>,
    },
    /// Run the emulated Kubernetes API server in the foreground (`up` starts it)
    #[command(hide = true)]
    ServeKube {
        #[command(flatten)]
        dir: SandboxDir,
        #[arg(long)]
        port: u16,
        #[command(flatten)]
        seed: SeedArgs,
    },
}

/// Benchmarks: a large cluster for the emulated API server, seeded once when it is new.
#[derive(Debug, Args, Clone, Copy)]
pub struct SeedArgs {
    /// Benchmarks: seed a new sandbox's API server with this many extra projects
    /// (`bench-0000` ...)
    #[arg(long, default_value_t = 0, value_name = "N")]
    seed_projects: usize,
    /// Benchmarks: this many objects spread over the seeded projects (config maps,
    /// secrets, headless services)
    #[arg(
        long,
        default_value_t = 0,
        value_name = "N",
        requires = "seed_projects"
    )]
    seed_objects: usize,
}

impl SeedArgs {
    fn bulk(self) -> Result<BulkSeed> {
        seed(self.seed_projects, self.seed_objects)
    }
}

fn dir_of(dir: SandboxDir) -> Result<PathBuf> {
    match dir.dir {
        Some(dir) => Ok(std::path::absolute(&dir)?),
        None => crate::default_dir(),
    }
}

pub async fn dispatch(command: SandboxCommand) -> Result<ExitCode> {
    match command {
        SandboxCommand::Up {
            dir,
            members,
            reuse,
            quota_backend_bytes,
            seed,
        } => {
            let bulk = seed.bulk()?;
            up(dir_of(dir)?, members, reuse, quota_backend_bytes, &bulk).await?
        }
        SandboxCommand::Down { dir } => {
            let dir = dir_of(dir)?;
            crate::down(&dir)?;
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
                .ok_or_else(|| crate::SandboxError::NotFound(dir.display().to_string()))?;
            print!("{}", state.env_exports(&dir));
        }
        SandboxCommand::Kill { dir, member, wipe } => {
            let dir = dir_of(dir)?;
            let killed = crate::kill_member(&dir, &member, wipe)?;
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
        SandboxCommand::Join {
            dir,
            member,
            client_port,
            peer_port,
            replaces,
        } => join(dir_of(dir)?, member, client_port, peer_port, replaces).await?,
        SandboxCommand::ServeKube { dir, port, seed } => {
            let dir = dir_of(dir)?;
            // The server keeps its objects in the sandbox's etcd, as a real one does.
            let etcd = crate::state::SandboxState::load_if_present(&dir)?
                .ok_or_else(|| color_eyre::eyre::eyre!("no sandbox in {}", dir.display()))?
                .connection(&dir)
                .target;
            let bulk = seed.bulk()?;
            crate::kube_api::serve_seeded(&dir, port, etcd, &bulk).await?;
        }
        SandboxCommand::Stop { dir, member } => {
            let dir = dir_of(dir)?;
            let stopped = crate::stop_member(&dir, &member)?;
            println!("Stopped {}.", stopped.name);
        }
        SandboxCommand::Start {
            dir,
            member,
            no_wait,
        } => {
            let dir = dir_of(dir)?;
            let started = crate::start_member(&dir, &member, !no_wait).await?;
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

fn seed(projects: usize, objects: usize) -> Result<BulkSeed> {
    if objects > 0 && projects == 0 {
        color_eyre::eyre::bail!("--seed-objects needs --seed-projects: the projects to hold them");
    }
    Ok(BulkSeed { projects, objects })
}

/// `up`: starts (or, with `reuse`, keeps) the sandbox and says how to reach it.
async fn up(
    dir: PathBuf,
    members: u16,
    reuse: bool,
    quota: Option<u64>,
    bulk: &BulkSeed,
) -> Result<()> {
    if reuse && running(&dir)? {
        eprintln!("Using the sandbox already running in {}.", dir.display());
        return Ok(());
    }
    eprintln!(
        "Starting {members} etcd members with TLS in {} ...",
        dir.display()
    );
    let state = crate::up_seeded(&dir, usize::from(members), quota, bulk).await?;
    print_members(&state);
    println!(
        "\nUse it with lifeboat, etcdctl and kubectl:  eval \"$(lifeboat-sandbox env --dir {})\"",
        dir.display()
    );
    Ok(())
}

/// `join`: registers a member lifeboat's `member join` set up, and starts it.
async fn join(
    dir: PathBuf,
    member: String,
    client_port: u16,
    peer_port: u16,
    replaces: Vec<String>,
) -> Result<()> {
    let joining = SandboxMember {
        home: dir.join(&member),
        name: member,
        client_port,
        peer_port,
        pid: None,
    };
    let started = crate::join_member(&dir, joining, &replaces).await?;
    println!(
        "{} runs as pid {} in the sandbox {}{}",
        started.name,
        started.pid.unwrap_or(0),
        dir.display(),
        if replaces.is_empty() {
            String::new()
        } else {
            format!(", which no longer lists {}", replaces.join(", "))
        }
    );
    Ok(())
}

/// Whether any member of the sandbox in `dir` runs.
fn running(dir: &std::path::Path) -> Result<bool> {
    Ok(SandboxState::load_if_present(dir)?
        .is_some_and(|state| state.members.iter().any(|m| m.pid.is_some_and(is_running))))
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
        let running = crate::kube_api::is_running(kube_api);
        println!(
            "{:<10} {:<8} {:<8} {:<26} emulated Kubernetes/OpenShift API server (a stand-in for tests and rehearsal)",
            "kube-api",
            kube_api.pid.map_or("-".to_string(), |p| p.to_string()),
            if running { "running" } else { "stopped" },
            kube_api.url(),
        );
    }
}
