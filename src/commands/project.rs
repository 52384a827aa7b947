//! `lifeboat project export|restore`: the flags become a request, the gather layer plans it.

use std::path::Path;
use std::process::ExitCode;

use color_eyre::eyre::{Result, WrapErr};

use super::procedure::run_on_screen_or_headless;
use crate::cli::{ConfirmArgs, ConnectionArgs, ProjectCommand};

pub async fn dispatch(command: ProjectCommand, etcd: &ConnectionArgs) -> Result<ExitCode> {
    // Projects live behind the Kubernetes API; an etcd cluster, when one is configured, only
    // gives the wizard's dashboard something to show.
    let connection = super::resolve_connection(etcd).ok().flatten();
    match command {
        ProjectCommand::Export(args) => {
            let plan = crate::gather::project::plan_export(&args.request()).await?;
            let out = std::path::absolute(&args.out).wrap_err("resolving --out")?;
            let code =
                run_on_screen_or_headless(plan, connection, args.confirm, args.headless).await?;
            if !args.confirm.dry_run {
                print_export_summary(&out, &args.projects);
            }
            Ok(code)
        }
        ProjectCommand::Restore(args) => {
            let plan = crate::gather::project::plan_restore(&args.request()).await?;
            // A dry run only asks the server; nothing is created, so nothing needs asking.
            let confirm = ConfirmArgs {
                yes: args.yes || args.dry_run,
                dry_run: false,
            };
            run_on_screen_or_headless(plan, connection, confirm, args.headless).await
        }
    }
}

/// One line per project from the manifests just written.
fn print_export_summary(out: &Path, projects: &[String]) {
    println!(
        "\n{:<20} {:>8} {:>6} {:>8}  files",
        "project", "objects", "kinds", "removed"
    );
    for project in projects {
        let Ok(manifest) = crate::bundle::verify(&out.join(project)) else {
            println!("{project:<20} (not exported)");
            continue;
        };
        let contents = manifest.project.unwrap_or_default();
        println!(
            "{:<20} {:>8} {:>6} {:>8}  {}",
            project,
            contents.total_objects(),
            contents.counts.len(),
            contents.removed.values().sum::<u64>(),
            contents
                .files
                .iter()
                .map(|f| format!("{} {}", f.name, f.objects))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
}
