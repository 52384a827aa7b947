//! Whether a step's action achieved what its [`Check`] asks; pure, so each rule is unit-tested.

use crate::etcd::{Alarm, EndpointReport, MemberInfo};
use crate::exec::CommandOutcome;
use crate::plan::Check;

/// What an action produced, for its check and the transcript.
#[derive(Clone, Debug)]
pub enum ActionResult {
    Command(CommandOutcome),
    Members(Vec<MemberInfo>),
    Endpoints(Vec<EndpointReport>),
    Alarms(Vec<Alarm>),
    /// A manual step: `by_flag` when `--yes` accepted it rather than a person.
    Confirmed {
        by_flag: bool,
    },
    /// A native action that did its work; the summary says what.
    Done {
        summary: String,
    },
    /// A member added to the cluster: its ID is what later steps take.
    MemberAdded {
        member: MemberInfo,
        summary: String,
    },
    /// What was read back from a snapshot's pages.
    SnapshotRead(crate::bundle::SnapshotStats),
    /// A snapshot on disk, with whether its trailing hash matched.
    Snapshot {
        bytes: u64,
        hash: Result<(), String>,
        /// SHA-256 of the whole file, computed as it was written, for the manifest.
        sha256: String,
    },
}

impl ActionResult {
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            ActionResult::Command(outcome) => outcome.exit_code,
            _ => None,
        }
    }
}

/// `Ok(summary)` when the check holds, `Err(reason)` when it does not.
pub fn evaluate(check: &Check, result: &ActionResult) -> Result<String, String> {
    match (check, result) {
        (Check::ExitSuccess, ActionResult::Command(outcome)) => match outcome.exit_code {
            Some(0) => Ok("exited with status 0".into()),
            Some(code) => Err(format!("exited with status {code}")),
            None => Err("was killed by a signal".into()),
        },
        (Check::MembersStarted, ActionResult::Members(members)) => {
            super::actions::etcd_checks::members_started(members)
        }
        (Check::EndpointsHealthy, ActionResult::Endpoints(reports)) => {
            super::actions::etcd_checks::endpoints_healthy(reports)
        }
        (Check::NoAlarms, ActionResult::Alarms(alarms)) => {
            super::actions::etcd_checks::no_alarms(alarms)
        }
        (Check::Confirmed, ActionResult::Confirmed { by_flag }) => Ok(if *by_flag {
            "accepted by --yes without a person confirming".into()
        } else {
            "confirmed by the engineer".into()
        }),
        (Check::Completed, ActionResult::Done { summary })
        | (Check::Completed, ActionResult::MemberAdded { summary, .. }) => Ok(summary.clone()),
        (Check::SnapshotHash, ActionResult::Snapshot { bytes, hash, .. }) => match hash {
            Ok(()) => Ok(format!("{bytes} bytes, etcd's SHA-256 matches")),
            Err(error) => Err(error.clone()),
        },
        (Check::SnapshotStatus, ActionResult::SnapshotRead(stats)) => {
            if stats.total_keys > 0 {
                Ok(format!(
                    "revision {}, {} keys, {} bytes",
                    stats.revision, stats.total_keys, stats.total_size
                ))
            } else {
                Err("the snapshot holds no keys".into())
            }
        }
        (Check::SnapshotStatus, ActionResult::Command(outcome)) => {
            if !outcome.succeeded() {
                return Err(format!(
                    "etcdctl could not read the snapshot (exit {:?})",
                    outcome.exit_code
                ));
            }
            match parse_snapshot_status(&outcome.tail) {
                Some(stats) if stats.total_keys > 0 => Ok(format!(
                    "revision {}, {} keys, {} bytes",
                    stats.revision, stats.total_keys, stats.total_size
                )),
                Some(_) => Err("the snapshot holds no keys".into()),
                None => Err("etcdctl printed no snapshot status".into()),
            }
        }
        (check, _) => Err(format!(
            "the plan pairs the check '{}' with an action that cannot prove it",
            check.describe()
        )),
    }
}

/// The JSON line of `etcdctl snapshot status -w json`:
/// `{"hash":..,"revision":..,"totalKey":..,"totalSize":..}`.
pub fn parse_snapshot_status(lines: &[String]) -> Option<crate::bundle::SnapshotStats> {
    lines.iter().rev().find_map(|line| {
        let value: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
        Some(crate::bundle::SnapshotStats {
            revision: value.get("revision")?.as_i64()?,
            total_keys: value.get("totalKey")?.as_u64()?,
            total_size: value.get("totalSize")?.as_u64()?,
            keys: None,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etcd::EndpointStatus;

    fn member(id: u64, name: &str, started: bool) -> MemberInfo {
        MemberInfo {
            id,
            name: name.into(),
            peer_urls: vec![format!("https://h{id}:2380")],
            client_urls: if started {
                vec![format!("https://h{id}:2379")]
            } else {
                vec![]
            },
            is_learner: false,
        }
    }

    fn healthy(endpoint: &str, leader: u64) -> EndpointReport {
        EndpointReport {
            endpoint: endpoint.into(),
            result: Ok(EndpointStatus {
                member_id: 1,
                cluster_id: 9,
                version: "3.4.23".into(),
                db_size: 1,
                db_size_in_use: 1,
                leader,
                raft_term: 2,
                raft_index: 3,
                raft_applied_index: 3,
                revision: 1,
                is_learner: false,
                errors: vec![],
            }),
        }
    }

    #[test]
    fn exit_status_decides_commands() {
        let ok = ActionResult::Command(CommandOutcome {
            exit_code: Some(0),
            tail: vec![],
        });
        let bad = ActionResult::Command(CommandOutcome {
            exit_code: Some(2),
            tail: vec![],
        });
        assert!(evaluate(&Check::ExitSuccess, &ok).is_ok());
        assert_eq!(
            evaluate(&Check::ExitSuccess, &bad),
            Err("exited with status 2".into())
        );
    }

    #[test]
    fn an_unstarted_member_fails_the_member_check() {
        let result = ActionResult::Members(vec![member(1, "a", true), member(0xab, "", false)]);
        assert_eq!(
            evaluate(&Check::MembersStarted, &result),
            Err("members not started: ab".into())
        );
    }

    #[test]
    fn endpoints_need_every_member_and_one_leader() {
        let all = ActionResult::Endpoints(vec![healthy("a", 7), healthy("b", 7)]);
        assert!(evaluate(&Check::EndpointsHealthy, &all).is_ok());
        let split = ActionResult::Endpoints(vec![healthy("a", 7), healthy("b", 8)]);
        assert!(evaluate(&Check::EndpointsHealthy, &split).is_err());
        let down = ActionResult::Endpoints(vec![
            healthy("a", 7),
            EndpointReport {
                endpoint: "b".into(),
                result: Err("connection refused".into()),
            },
        ]);
        let error = evaluate(&Check::EndpointsHealthy, &down).expect_err("b is down");
        assert!(error.contains("b (connection refused)"), "{error}");
    }

    #[test]
    fn alarms_fail_the_alarm_check() {
        let result = ActionResult::Alarms(vec![Alarm {
            member_id: 0x1f,
            alarm: "NOSPACE".into(),
        }]);
        assert_eq!(
            evaluate(&Check::NoAlarms, &result),
            Err("alarms raised: NOSPACE on 1f".into())
        );
    }

    #[test]
    fn snapshot_status_needs_a_revision_and_keys() {
        let status = |line: &str| {
            ActionResult::Command(CommandOutcome {
                exit_code: Some(0),
                tail: vec![line.to_string()],
            })
        };
        let good = status(r#"{"hash":3839021325,"revision":42,"totalKey":17,"totalSize":24576}"#);
        assert_eq!(
            evaluate(&Check::SnapshotStatus, &good),
            Ok("revision 42, 17 keys, 24576 bytes".into())
        );
        let empty = status(r#"{"hash":1,"revision":1,"totalKey":0,"totalSize":24576}"#);
        assert!(evaluate(&Check::SnapshotStatus, &empty).is_err());
        assert!(
            evaluate(
                &Check::SnapshotStatus,
                &status("Error: snapshot file has wrong size")
            )
            .is_err()
        );
    }

    #[test]
    fn a_mismatched_check_is_a_failure_not_a_pass() {
        let result = ActionResult::Alarms(vec![]);
        assert!(evaluate(&Check::ExitSuccess, &result).is_err());
    }
}
