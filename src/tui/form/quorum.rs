//! Quorum restore: which surviving member a new cluster is forced from. The one with the
//! highest raft index is chosen; choosing another says what it costs before anything is
//! planned.

use super::{Choice, Field, Form, FormRequest, FormSpec, HostProbe, answer};
use crate::requests::QuorumRestoreRequest;

/// A voting member that still answers, as the dashboard last saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SurvivorChoice {
    pub name: String,
    pub raft_index: u64,
}

#[derive(Clone, Debug, Default)]
pub struct QuorumForm {
    pub survivors: Vec<SurvivorChoice>,
    pub voters: usize,
}

impl QuorumForm {
    /// The survivors, highest raft index first: the first is the one to keep.
    fn ranked(&self) -> Vec<&SurvivorChoice> {
        let mut ranked: Vec<&SurvivorChoice> = self.survivors.iter().collect();
        ranked.sort_by(|a, b| b.raft_index.cmp(&a.raft_index).then(a.name.cmp(&b.name)));
        ranked
    }

    pub fn form(self, host: &dyn HostProbe) -> Form {
        let ranked = self.ranked();
        let best = ranked.first().map_or(0, |s| s.raft_index);
        let options = ranked
            .iter()
            .map(|s| {
                let behind = best - s.raft_index;
                let cost = if behind == 0 {
                    "the highest: nothing it applied is lost".to_string()
                } else {
                    format!("{behind} entries behind: the writes in between are lost")
                };
                Choice::new(
                    s.name.clone(),
                    format!("{} — raft index {} ({cost})", s.name, s.raft_index),
                )
            })
            .collect();
        let fields = vec![Field::choice(
            "survivor",
            "Keep the data of",
            options,
            0,
            "Its data becomes a new one-member cluster; the other members are added back after.",
        )];
        Form::new(
            "Restore quorum from a survivor",
            fields,
            Box::new(self),
            host,
        )
    }
}

impl FormSpec for QuorumForm {
    fn validate(&self, fields: &[Field], _host: &dyn HostProbe) -> Vec<(&'static str, String)> {
        if answer(fields, "survivor").is_empty() {
            return vec![(
                "survivor",
                "no voting member answers: restore every member from a backup (:dr)".into(),
            )];
        }
        Vec::new()
    }

    fn request(&self, fields: &[Field]) -> Option<FormRequest> {
        let chosen = answer(fields, "survivor");
        let best = self.ranked().first().map(|s| s.name.clone());
        // The best survivor is the default: the command line names only another choice.
        Some(FormRequest::Quorum(QuorumRestoreRequest {
            member: (Some(&chosen) != best.as_ref()).then_some(chosen),
            etcd_conf: None,
        }))
    }

    fn facts(&self) -> Vec<String> {
        vec![
            format!(
                "{} of {} voting members answer: quorum is lost.",
                self.survivors.len(),
                self.voters
            ),
            "The plan checks again that it is still lost before anything changes, and copies the \
             survivor's data directory first."
                .into(),
        ]
    }
}
