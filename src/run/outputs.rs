//! What steps produce for later steps, as typed values rather than runner fields or text: the
//! snapshot's statistics and digests for the seal step, the new member's ID for the data copy.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::check::{ActionResult, parse_snapshot_status};
use crate::bundle::SnapshotStats;
use crate::plan::{Action, Check, CommandSpec, StepValue};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepOutputs {
    /// What the snapshot status step read back, for the manifest the seal step writes.
    pub snapshot: Option<SnapshotStats>,
    /// Digests of files this run wrote and hashed on the way, so sealing need not re-read them.
    pub digests: BTreeMap<PathBuf, String>,
    /// The ID etcd gave the member this run added.
    pub new_member_id: Option<u64>,
}

impl StepOutputs {
    /// Keeps what a step that passed its check produced.
    pub fn record(&mut self, action: &Action, check: &Check, result: &ActionResult) {
        match (check, result) {
            (Check::SnapshotStatus, ActionResult::Command(outcome)) => {
                self.snapshot = parse_snapshot_status(&outcome.tail);
            }
            (Check::SnapshotStatus, ActionResult::SnapshotRead(stats)) => {
                self.snapshot = Some(*stats);
            }
            (Check::SnapshotHash, ActionResult::Snapshot { sha256, .. }) => {
                if let Action::EtcdSnapshot { to, .. } = action {
                    self.digests.insert(to.clone(), sha256.clone());
                }
            }
            (_, ActionResult::MemberAdded { member, .. }) => {
                self.new_member_id = Some(member.id);
            }
            _ => {}
        }
    }

    /// `spec` with the arguments it takes from earlier steps filled in; an error names the
    /// value no earlier step produced rather than passing its placeholder on.
    pub fn fill(&self, spec: &CommandSpec) -> Result<CommandSpec, String> {
        let mut filled = spec.clone();
        for (at, value) in &spec.fills {
            let text = self.value(*value)?;
            match filled.argv.get_mut(*at) {
                Some(arg) => *arg = text,
                None => return Err(format!("the plan fills argument {at} of a shorter command")),
            }
        }
        Ok(filled)
    }

    /// A failed step's advice with the values earlier steps produced: "remove the new member
    /// with `etcdctl member remove ${NODE_ID}`" names the real ID. A value not produced keeps
    /// its placeholder, which still says what goes there.
    pub fn fill_text(&self, text: &str) -> String {
        let value = StepValue::NewMemberId;
        match self.value(value) {
            Ok(id) => text.replace(value.placeholder(), &id),
            Err(_) => text.to_string(),
        }
    }

    fn value(&self, value: StepValue) -> Result<String, String> {
        match value {
            StepValue::NewMemberId => self
                .new_member_id
                .map(crate::etcd::format_id)
                .ok_or_else(|| "the new member's ID is not known: no earlier step added it".into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advice_names_the_new_members_id_once_it_is_known() {
        let mut outputs = StepOutputs::default();
        let advice = "remove it with `etcdctl member remove ${NODE_ID}`";
        assert_eq!(outputs.fill_text(advice), advice);
        outputs.new_member_id = Some(0xabc);
        assert_eq!(
            outputs.fill_text(advice),
            "remove it with `etcdctl member remove abc`"
        );
    }

    #[test]
    fn a_command_takes_the_new_members_id_and_refuses_without_one() {
        let spec = CommandSpec::local(["etcdctl", "backup", "--node-id", "${NODE_ID}"])
            .filled_from(StepValue::NewMemberId);
        let mut outputs = StepOutputs::default();
        assert!(outputs.fill(&spec).is_err());
        outputs.new_member_id = Some(0xabc);
        assert_eq!(
            outputs.fill(&spec).expect("filled").argv,
            ["etcdctl", "backup", "--node-id", "abc"]
        );
    }
}
