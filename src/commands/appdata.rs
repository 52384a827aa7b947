//! `lifeboat appdata`: the flags become a request, the gather layer plans it, and the plan
//! runs headless.

use std::process::ExitCode;

use color_eyre::eyre::{Result, eyre};

use super::procedure::run_plan_on;
use crate::cli::AppDataCommand;
use crate::kube::workload::{client, list_workloads};

pub async fn dispatch(command: AppDataCommand) -> Result<ExitCode> {
    match command {
        AppDataCommand::Backup(args) => {
            let plan = crate::gather::app_data::plan_backup(&args.request()).await?;
            run_plan_on(plan, None, args.confirm).await
        }
        AppDataCommand::Restore(args) => {
            let plan = crate::gather::app_data::plan_restore(&args.request()).await?;
            run_plan_on(plan, None, args.confirm).await
        }
        AppDataCommand::List { namespace } => {
            let client = client().await.map_err(|e| eyre!(e))?;
            let workloads = list_workloads(&client, &namespace)
                .await
                .map_err(|e| eyre!(e))?;
            if workloads.is_empty() {
                println!("No DeploymentConfig or Deployment in project {namespace}.");
            }
            for workload in workloads {
                println!("{}  (pods: {})", workload.reference, workload.selector);
                for volume in &workload.volumes {
                    println!("  {}", crate::gather::app_data::describe_volume(volume));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
