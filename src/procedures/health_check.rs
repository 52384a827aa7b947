use std::path::PathBuf;

use crate::connection::ConnectionSettings;
use crate::plan::{Action, Check, CommandSpec, EtcdCall, Plan, Risk, Step, Target};

/// What the health check needs to know; built by discovery, or by hand in tests.
#[derive(Clone, Debug)]
pub struct HealthCheckFacts {
    pub connection: ConnectionSettings,
    /// The installed etcdctl, for the cross-check; `None` leaves that step out.
    pub etcdctl: Option<PathBuf>,
    /// Where etcdctl runs: here, or inside the etcd container of a container-based install.
    pub target: Target,
}

const NO_CHANGE: &str = "Nothing was changed.";

/// The check in two parts: lifeboat's own calls (members, statuses, alarms), then etcdctl's
/// verdict as a second opinion where it is installed.
pub fn plan_health_check(facts: &HealthCheckFacts) -> Plan {
    let mut steps = native_steps();
    steps.extend(cross_check_step(facts));
    Plan {
        procedure: crate::plan::Procedure::HealthCheck,
        title: "etcd health check".into(),
        summary: format!(
            "Read-only look at the etcd cluster reached through {}: members, each member's status, \
             alarms{}.",
            facts.connection.source,
            if facts.etcdctl.is_some() {
                ", and etcdctl's own verdict"
            } else {
                " (etcdctl is not installed, so no cross-check)"
            }
        ),
        etcdctl_flags: facts.connection.etcdctl_flags(),
        steps,
    }
}

/// The member list, every member's status and the alarms, over etcd's gRPC API.
fn native_steps() -> Vec<Step> {
    vec![
        Step {
            title: "List the members".into(),
            reason: "Every recovery starts from the member list: names, IDs and URLs show which \
                     hosts the cluster expects and which of them never started."
                .into(),
            risk: Risk::ReadOnly,
            action: Action::Etcd(EtcdCall::MemberList),
            check: Check::MembersStarted,
            always_run: false,
            required: false,
            if_failed: format!(
                "{NO_CHANGE} If no endpoint answered, quorum may be lost or the connection settings are \
                 wrong: check that etcd runs on the hosts (`systemctl status etcd` or `docker ps`) and \
                 that the endpoints and certificates are right. An unstarted member was added but never \
                 joined: start it or remove it."
            ),
        },
        Step {
            title: "Ask every member for its status".into(),
            reason:
                "A member can be listed and still be down or behind: each one is asked on its own \
                     client URL for its version, DB size, leader and raft index."
                    .into(),
            risk: Risk::ReadOnly,
            action: Action::Etcd(EtcdCall::EndpointStatus),
            check: Check::EndpointsHealthy,
            always_run: false,
            required: false,
            if_failed: format!(
                "{NO_CHANGE} A member that does not answer is down or cut off: if the cluster still has \
                 quorum, replace it with the member recovery procedure; if members disagree on the \
                 leader, an election is under way: run the check again in a few seconds."
            ),
        },
        Step {
            title: "Check for alarms".into(),
            reason:
                "A raised NOSPACE alarm makes etcd refuse writes; CORRUPT means a member's data \
                     differs from the others'."
                    .into(),
            risk: Risk::ReadOnly,
            action: Action::Etcd(EtcdCall::AlarmList),
            check: Check::NoAlarms,
            always_run: false,
            required: false,
            if_failed: format!(
                "{NO_CHANGE} For NOSPACE: compact and defragment (`etcdctl compact`, `etcdctl defrag`), \
                 prune events and other TTL data, then `etcdctl alarm disarm`. For CORRUPT: take the \
                 member out and recover it from a healthy one."
            ),
        },
    ]
}

/// `etcdctl endpoint health --cluster` with the same connection, when etcdctl is installed.
fn cross_check_step(facts: &HealthCheckFacts) -> Option<Step> {
    let etcdctl = facts.etcdctl.as_ref()?;
    let program = match facts.target {
        Target::Local => etcdctl.display().to_string(),
        // Inside a container the host's path means nothing; the image puts etcdctl on PATH.
        Target::DockerExec { .. } => "etcdctl".into(),
    };
    let mut spec = CommandSpec::local([program.as_str(), "endpoint", "health", "--cluster"])
        .on(facts.target.clone());
    spec.env = facts.connection.etcdctl_env();
    Some(Step {
        title: "Cross-check with etcdctl".into(),
        reason: "A second opinion from the tool the procedure uses, with the same endpoints and \
                     certificates: if it disagrees with lifeboat, trust neither and look closer."
            .into(),
        risk: Risk::ReadOnly,
        action: Action::Run(spec),
        check: Check::ExitSuccess,
        always_run: false,
        required: false,
        if_failed: format!(
            "{NO_CHANGE} etcdctl's own output above names the unhealthy endpoints; compare it with \
                 the status step."
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The planner, with every plan these tests look at validated first (`Plan::validate`).
    fn plan_health_check(facts: &HealthCheckFacts) -> Plan {
        crate::procedures::validated(super::plan_health_check(facts))
    }
    use crate::connection::{Endpoints, Source};

    fn facts(etcdctl: Option<&str>, target: Target) -> HealthCheckFacts {
        HealthCheckFacts {
            connection: ConnectionSettings {
                target: Endpoints {
                    endpoints: vec!["https://10.0.0.1:2379".into()],
                    cacert: Some("/etc/etcd/ca.crt".into()),
                    cert: Some("/etc/etcd/peer.crt".into()),
                    key: Some("/etc/etcd/peer.key".into()),
                },
                source: Source::Flags,
            },
            etcdctl: etcdctl.map(PathBuf::from),
            target,
        }
    }

    #[test]
    fn every_step_is_read_only() {
        let plan = plan_health_check(&facts(Some("/usr/bin/etcdctl"), Target::Local));
        assert_eq!(plan.steps.len(), 4);
        assert!(plan.steps.iter().all(|s| s.risk == Risk::ReadOnly));
        assert_eq!(plan.highest_risk(), Risk::ReadOnly);
    }

    #[test]
    fn the_cross_check_uses_the_same_connection_through_etcdctl_variables() {
        let plan = plan_health_check(&facts(Some("/usr/bin/etcdctl"), Target::Local));
        let Action::Run(spec) = &plan.steps[3].action else {
            panic!("the last step runs etcdctl");
        };
        assert_eq!(
            spec.argv,
            ["/usr/bin/etcdctl", "endpoint", "health", "--cluster"]
        );
        let env: Vec<(&str, &str)> = spec
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            env,
            [
                ("ETCDCTL_API", "3"),
                ("ETCDCTL_ENDPOINTS", "https://10.0.0.1:2379"),
                ("ETCDCTL_CACERT", "/etc/etcd/ca.crt"),
                ("ETCDCTL_CERT", "/etc/etcd/peer.crt"),
                ("ETCDCTL_KEY", "/etc/etcd/peer.key"),
            ]
        );
    }

    #[test]
    fn in_a_container_etcdctl_runs_through_docker_exec() {
        let target = Target::DockerExec {
            container: "etcd_container".into(),
        };
        let plan = plan_health_check(&facts(Some("/usr/bin/etcdctl"), target.clone()));
        let Action::Run(spec) = &plan.steps[3].action else {
            panic!("the last step runs etcdctl");
        };
        assert_eq!(spec.target, target);
        assert_eq!(spec.argv[0], "etcdctl");
    }

    #[test]
    fn without_etcdctl_the_cross_check_is_left_out_and_the_summary_says_so() {
        let plan = plan_health_check(&facts(None, Target::Local));
        assert_eq!(plan.steps.len(), 3);
        assert!(plan.summary.contains("no cross-check"));
    }
}
