//! One pure planner per procedure: facts and choices in, a [`Plan`](crate::plan::Plan) out.

mod health_check;

pub use health_check::{HealthCheckFacts, plan_health_check};

use serde::Serialize;

/// The procedures lifeboat can plan and run, as shown in the menu and taken by `lifeboat plan`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Procedure {
    /// Members, per-member status and alarms, cross-checked with etcdctl.
    HealthCheck,
}

impl Procedure {
    pub const ALL: [Procedure; 1] = [Procedure::HealthCheck];

    pub fn title(self) -> &'static str {
        match self {
            Procedure::HealthCheck => "Health check",
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Procedure::HealthCheck => {
                "Lists the members, asks each one for its status and raised alarms, and cross-checks \
                 with `etcdctl endpoint health --cluster`. Read-only: run it first, and again after \
                 any change."
            }
        }
    }
}
