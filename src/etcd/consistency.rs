//! Do the members hold the same data? `etcdctl endpoint hashkv` on every member at one
//! revision, and the judgement of what the hashes say.
//!
//! etcd 3.5.0–3.5.2 could lose committed transactions on one member after a crash, and a
//! member whose disk flipped bytes keeps serving them: nothing else on the dashboard shows
//! it. The hash of the key-value store at one revision is the same on every member that holds
//! the same data, provided they compacted at the same revision (etcd's own corruption check
//! compares only those).

use std::collections::BTreeMap;

use futures::future::join_all;
use serde::Serialize;

use super::client::{EtcdError, call, connect};
use super::status::{ClusterSnapshot, format_id};
use crate::connection::Endpoints;

/// One member's hash of its key-value store up to the checked revision.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct KvHash {
    pub hash: u32,
    /// Hashes are comparable only between members compacted at the same revision.
    pub compact_revision: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MemberHash {
    #[serde(serialize_with = "hex_id")]
    pub member_id: u64,
    pub name: String,
    #[serde(flatten, serialize_with = "crate::serde_fields::result_as_fields")]
    pub result: Result<KvHash, String>,
}

/// What the hashes say, in the terms the engineer acts on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "consistency", rename_all = "kebab-case")]
pub enum Consistency {
    /// Every member that answered holds the same data.
    Agree { members: usize },
    /// These members hold different data from the majority: replace them.
    Disagree { odd: Vec<u64> },
    /// Two groups of the same size: the hashes say the data differs, not which side is right.
    Split { groups: Vec<Vec<u64>> },
    /// Nothing to compare: fewer than two answers, or compactions in between.
    Unknown { reason: String },
}

/// The check as `lifeboat status` and the dashboard show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ConsistencyReport {
    pub revision: i64,
    #[serde(flatten)]
    pub verdict: Consistency,
    pub hashes: Vec<MemberHash>,
}

impl ConsistencyReport {
    /// The member IDs whose data differs from the majority's.
    pub fn odd_members(&self) -> &[u64] {
        match &self.verdict {
            Consistency::Disagree { odd } => odd,
            _ => &[],
        }
    }

    /// The hash column of one member: its hash in hex, or why there is none.
    pub fn cell(&self, member_id: u64) -> String {
        match self.hashes.iter().find(|h| h.member_id == member_id) {
            Some(MemberHash { result: Ok(h), .. }) if self.odd_members().contains(&member_id) => {
                format!("{:08x} DIFFERS", h.hash)
            }
            Some(MemberHash { result: Ok(h), .. }) => format!("{:08x}", h.hash),
            Some(MemberHash { result: Err(_), .. }) | None => "-".to_string(),
        }
    }

    /// One line for the verdict's reasons; `None` when there is nothing to act on.
    pub fn problem(&self) -> Option<String> {
        let named = |ids: &[u64]| {
            ids.iter()
                .map(|id| self.name_of(*id))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match &self.verdict {
            Consistency::Disagree { odd } => Some(format!(
                "{} holds different data from the other members (hashkv at revision {}): replace it \
                 (`lifeboat member replace {}`)",
                named(odd),
                self.revision,
                self.name_of(odd[0]),
            )),
            Consistency::Split { groups } => Some(format!(
                "the members' data differs at revision {} and no majority agrees ({}): compare \
                 them with `etcdctl endpoint hashkv --cluster` and restore from a backup",
                self.revision,
                groups
                    .iter()
                    .map(|g| named(g))
                    .collect::<Vec<_>>()
                    .join(" vs ")
            )),
            Consistency::Agree { .. } | Consistency::Unknown { .. } => None,
        }
    }

    fn name_of(&self, member_id: u64) -> String {
        self.hashes
            .iter()
            .find(|h| h.member_id == member_id && !h.name.is_empty())
            .map_or_else(|| format_id(member_id), |h| h.name.clone())
    }
}

/// Judges the hashes: the largest group of equal hashes is the majority, the rest are odd.
/// Members that did not answer, or compacted at another revision than most, are left out.
pub fn judge(hashes: &[MemberHash]) -> Consistency {
    let answered: Vec<(u64, KvHash)> = hashes
        .iter()
        .filter_map(|h| h.result.as_ref().ok().map(|kv| (h.member_id, *kv)))
        .collect();
    let Some(compact_revision) = most_common(answered.iter().map(|(_, kv)| kv.compact_revision))
    else {
        return Consistency::Unknown {
            reason: "no member answered hashkv".into(),
        };
    };
    let mut groups: BTreeMap<u32, Vec<u64>> = BTreeMap::new();
    for (id, kv) in answered
        .iter()
        .filter(|(_, kv)| kv.compact_revision == compact_revision)
    {
        groups.entry(kv.hash).or_default().push(*id);
    }
    let compared: usize = groups.values().map(Vec::len).sum();
    if compared < 2 {
        return Consistency::Unknown {
            reason: "fewer than two members could be compared".into(),
        };
    }
    let mut sizes: Vec<Vec<u64>> = groups.into_values().collect();
    sizes.sort_by_key(|g| std::cmp::Reverse(g.len()));
    match sizes.as_slice() {
        [_] => Consistency::Agree { members: compared },
        [first, second, ..] if first.len() == second.len() => Consistency::Split { groups: sizes },
        [_, rest @ ..] => Consistency::Disagree {
            odd: rest.iter().flatten().copied().collect(),
        },
        [] => Consistency::Unknown {
            reason: "no hashes".into(),
        },
    }
}

fn most_common(values: impl Iterator<Item = i64>) -> Option<i64> {
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for value in values {
        *counts.entry(value).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by_key(|(value, count)| (*count, *value))
        .map(|(value, _)| value)
}

/// Asks every member that answered the status for its hash at the lowest revision any of them
/// reported, which every one of them has applied. `None` when no member answered.
pub async fn check_consistency(
    target: &Endpoints,
    snapshot: &ClusterSnapshot,
) -> Option<ConsistencyReport> {
    let answered: Vec<_> = snapshot
        .endpoints
        .iter()
        .filter_map(|r| r.result.as_ref().ok().map(|s| (r.endpoint.as_str(), s)))
        .collect();
    let revision = answered.iter().map(|(_, s)| s.revision).min()?;
    let names: BTreeMap<u64, String> = snapshot
        .members
        .as_deref()
        .unwrap_or_default()
        .iter()
        .map(|m| (m.id, m.name.clone()))
        .collect();
    let hashes = join_all(answered.iter().map(|(endpoint, status)| async {
        MemberHash {
            member_id: status.member_id,
            name: names.get(&status.member_id).cloned().unwrap_or_default(),
            result: hash_kv(target, endpoint, revision)
                .await
                .map_err(|e| e.to_string()),
        }
    }))
    .await;
    Some(ConsistencyReport {
        revision,
        verdict: judge(&hashes),
        hashes,
    })
}

async fn hash_kv(target: &Endpoints, endpoint: &str, revision: i64) -> Result<KvHash, EtcdError> {
    let mut client = connect(target, &[endpoint.to_string()]).await?;
    let response = call(endpoint, client.hash_kv(revision)).await?;
    Ok(KvHash {
        hash: response.hash(),
        compact_revision: response.compact_version(),
    })
}

fn hex_id<S: serde::Serializer>(id: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(&format_id(*id))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hashed(member_id: u64, hash: u32, compact_revision: i64) -> MemberHash {
        MemberHash {
            member_id,
            name: format!("etcd-{member_id}"),
            result: Ok(KvHash {
                hash,
                compact_revision,
            }),
        }
    }

    fn silent(member_id: u64) -> MemberHash {
        MemberHash {
            member_id,
            name: format!("etcd-{member_id}"),
            result: Err("no answer".into()),
        }
    }

    #[test]
    fn equal_hashes_agree() {
        let hashes = [hashed(1, 7, 0), hashed(2, 7, 0), hashed(3, 7, 0)];
        assert_eq!(judge(&hashes), Consistency::Agree { members: 3 });
    }

    #[test]
    fn the_member_outside_the_majority_is_named() {
        let hashes = [hashed(1, 7, 5), hashed(2, 9, 5), hashed(3, 7, 5)];
        assert_eq!(judge(&hashes), Consistency::Disagree { odd: vec![2] });
        let report = ConsistencyReport {
            revision: 42,
            verdict: judge(&hashes),
            hashes: hashes.to_vec(),
        };
        let problem = report.problem().expect("a disagreement is a problem");
        assert!(
            problem.starts_with("etcd-2 holds different data"),
            "{problem}"
        );
        assert!(problem.contains("revision 42"), "{problem}");
        assert_eq!(report.cell(2), "00000009 DIFFERS");
        assert_eq!(report.cell(1), "00000007");
    }

    #[test]
    fn a_tie_names_no_culprit() {
        let hashes = [hashed(1, 7, 0), hashed(2, 9, 0)];
        assert!(matches!(judge(&hashes), Consistency::Split { .. }));
    }

    #[test]
    fn members_compacted_elsewhere_are_not_compared() {
        // Member 3 compacted at another revision: its hash covers other history, not other data.
        let hashes = [hashed(1, 7, 10), hashed(2, 7, 10), hashed(3, 9, 12)];
        assert_eq!(judge(&hashes), Consistency::Agree { members: 2 });
    }

    #[test]
    fn silent_members_leave_too_little_to_compare() {
        let hashes = [hashed(1, 7, 0), silent(2), silent(3)];
        assert!(matches!(judge(&hashes), Consistency::Unknown { .. }));
        assert!(matches!(judge(&[silent(1)]), Consistency::Unknown { .. }));
    }
}
