//! What makes a plan well-formed, found before it runs rather than at the step that would
//! trip over it: every check can be proved by its action, and every step runs after the steps
//! it needs.

use thiserror::Error;

use super::{Action, Check, EtcdCall, Plan, StepValue};

/// One way a plan is malformed; the step numbers count from 1, as the runbook prints them.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PlanDefect {
    #[error("step {step} ({title}): the check '{check}' cannot be proved by its action")]
    CheckDoesNotFit {
        step: usize,
        title: String,
        check: &'static str,
    },
    #[error("step {step} ({title}) needs {needs}, which no earlier step provides")]
    MissingPredecessor {
        step: usize,
        title: String,
        needs: &'static str,
    },
    #[error("step {step} ({title}) is required but does nothing (a skipped step)")]
    RequiredSkip { step: usize, title: String },
}

impl Check {
    /// Whether what `action` produces can prove this check.
    pub fn fits(&self, action: &Action) -> bool {
        match (self, action) {
            // The runner never executes a skipped step, so its check is never evaluated.
            (_, Action::Skip { .. }) => true,
            (Check::ExitSuccess | Check::SnapshotStatus, Action::Run(_)) => true,
            (Check::MembersStarted, Action::Etcd(EtcdCall::MemberList)) => true,
            (Check::EndpointsHealthy, Action::Etcd(EtcdCall::EndpointStatus)) => true,
            (Check::NoAlarms, Action::Etcd(EtcdCall::AlarmList)) => true,
            (Check::Confirmed, Action::Manual { .. }) => true,
            (Check::SnapshotHash, Action::EtcdSnapshot { .. }) => true,
            (Check::SnapshotStatus, Action::ReadSnapshotBack { .. }) => true,
            (
                Check::Completed,
                Action::Etcd(EtcdCall::MemberList | EtcdCall::EndpointStatus | EtcdCall::AlarmList),
            ) => false,
            (
                Check::Completed,
                Action::Run(_)
                | Action::Manual { .. }
                | Action::EtcdSnapshot { .. }
                | Action::ReadSnapshotBack { .. },
            ) => false,
            (Check::Completed, _) => true,
            _ => false,
        }
    }
}

impl Plan {
    /// Every defect of the plan, or `Ok` when it is well-formed. Called by every planner test
    /// and by `lifeboat plan`.
    pub fn validate(&self) -> Result<(), Vec<PlanDefect>> {
        let mut defects = Vec::new();
        for (index, step) in self.steps.iter().enumerate() {
            let (number, title) = (index + 1, step.title.clone());
            if !step.check.fits(&step.action) {
                defects.push(PlanDefect::CheckDoesNotFit {
                    step: number,
                    title: title.clone(),
                    check: step.check.describe(),
                });
            }
            if step.required && matches!(step.action, Action::Skip { .. }) {
                defects.push(PlanDefect::RequiredSkip {
                    step: number,
                    title: title.clone(),
                });
            }
            let earlier = &self.steps[..index];
            if let Some(needs) = missing_predecessor(&step.action, earlier) {
                defects.push(PlanDefect::MissingPredecessor {
                    step: number,
                    title,
                    needs,
                });
            }
        }
        if defects.is_empty() {
            Ok(())
        } else {
            Err(defects)
        }
    }
}

/// What `action` relies on an earlier step for, when no earlier step provides it.
fn missing_predecessor(action: &Action, earlier: &[super::Step]) -> Option<&'static str> {
    let any = |wanted: &dyn Fn(&Action) -> bool| earlier.iter().any(|s| wanted(&s.action));
    match action {
        Action::Run(spec) => spec.fills.iter().find_map(|(_, value)| match value {
            StepValue::NewMemberId => {
                (!any(&|a| matches!(a, Action::Etcd(EtcdCall::MemberAdd { .. }))))
                    .then_some("the new member's ID (a member add)")
            }
        }),
        Action::SealBundle { staging, .. } => {
            (!any(&|a| matches!(a, Action::PrepareBundle { staging: s, .. } if s == staging)))
                .then_some("the staging directory it seals (prepare the bundle)")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{CommandSpec, Risk, Step};

    fn plan(steps: Vec<Step>) -> Plan {
        Plan {
            procedure: crate::plan::Procedure::HealthCheck,
            title: "test".into(),
            summary: String::new(),
            etcdctl_flags: vec![],
            steps,
        }
    }

    #[test]
    fn a_check_its_action_cannot_prove_is_a_defect() {
        let wrong = Step::new(
            "List members",
            "",
            Risk::ReadOnly,
            Action::Etcd(EtcdCall::MemberList),
            Check::ExitSuccess,
            "",
        );
        let defects = plan(vec![wrong]).validate().expect_err("defect");
        assert!(matches!(
            defects[0],
            PlanDefect::CheckDoesNotFit { step: 1, .. }
        ));
    }

    #[test]
    fn a_command_taking_the_new_members_id_needs_a_member_add_before_it() {
        let backup = Step::new(
            "Back up",
            "",
            Risk::ReadOnly,
            Action::Run(
                CommandSpec::local(["etcdctl", "backup", "--node-id", "${NODE_ID}"])
                    .filled_from(StepValue::NewMemberId),
            ),
            Check::ExitSuccess,
            "",
        );
        let add = Step::new(
            "Add",
            "",
            Risk::Reversible,
            Action::Etcd(EtcdCall::MemberAdd {
                name: "n".into(),
                peer_urls: vec![],
                learner: false,
            }),
            Check::Completed,
            "",
        );
        assert!(matches!(
            plan(vec![backup.clone(), add.clone()])
                .validate()
                .expect_err("defect")[0],
            PlanDefect::MissingPredecessor { step: 1, .. }
        ));
        assert_eq!(plan(vec![add, backup]).validate(), Ok(()));
    }
}
