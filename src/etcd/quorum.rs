//! Quorum arithmetic, done for the engineer instead of in their head at 3 a.m.

use serde::Serialize;

/// Raft needs a majority of voting members; learners do not vote and are not counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Quorum {
    pub voters: usize,
    pub healthy_voters: usize,
    pub majority: usize,
    /// Failures the cluster survives when every voter is healthy.
    pub tolerance_at_full_strength: usize,
    /// Further failures it survives now; `None` once quorum is lost.
    pub tolerance_now: Option<usize>,
}

impl Quorum {
    pub fn new(voters: usize, healthy_voters: usize) -> Self {
        let majority = voters / 2 + 1;
        Quorum {
            voters,
            healthy_voters,
            majority,
            tolerance_at_full_strength: voters.saturating_sub(majority),
            tolerance_now: healthy_voters.checked_sub(majority),
        }
    }

    pub fn has_quorum(&self) -> bool {
        self.voters > 0 && self.tolerance_now.is_some()
    }

    /// One plain sentence for the dashboard.
    pub fn verdict(&self) -> String {
        match self.tolerance_now {
            _ if self.voters == 0 => "no voting members known".to_string(),
            None => format!(
                "QUORUM LOST: {} of {} voters healthy, {} needed; writes are refused",
                self.healthy_voters, self.voters, self.majority
            ),
            Some(0) => format!(
                "quorum held by {} of {} voters; ONE MORE FAILURE LOSES QUORUM",
                self.healthy_voters, self.voters
            ),
            Some(n) => format!(
                "quorum healthy: {} of {} voters, tolerates {n} more failure{}",
                self.healthy_voters,
                self.voters,
                if n == 1 { "" } else { "s" }
            ),
        }
    }
}

/// Whether a member can be removed without losing quorum, and if not, why and what to do.
///
/// A removal is a raft proposal: it needs a majority of the current voters to commit, and the
/// voters that remain must still hold a majority of the smaller cluster afterwards (removing a
/// healthy member of a cluster already at its limit would leave it without one).
pub fn check_removal(
    voters: usize,
    healthy_voters: usize,
    removed_is_healthy_voter: bool,
    removed_is_voter: bool,
    removed_name: &str,
) -> Result<Quorum, String> {
    let now = Quorum::new(voters, healthy_voters);
    if !now.has_quorum() {
        return Err(format!(
            "{}.\n  etcd commits a membership change only with a majority of voters, so {removed_name} \
             cannot be removed and no member was changed. This is the disaster-recovery path: \
             restore etcd from a backup on one host (the procedure's restore: `lifeboat restore \
             cluster`), then add the other hosts back one by one with `lifeboat member replace`. \
             If a failed host can be started again with its data intact, starting it restores \
             quorum instead; if a surviving member's data is current, `lifeboat restore quorum` \
             keeps it, with nothing lost since the last backup.",
            now.verdict()
        ));
    }
    let after = Quorum::new(
        voters - usize::from(removed_is_voter),
        healthy_voters - usize::from(removed_is_healthy_voter),
    );
    if !after.has_quorum() {
        return Err(format!(
            "removing {removed_name} would leave {} of {} voters healthy, {} needed: QUORUM WOULD BE LOST.\n  \
             {removed_name} is answering; bring the failed members back (or replace them) first.",
            after.healthy_voters, after.voters, after.majority
        ));
    }
    Ok(after)
}

/// etcd's rule for promoting a learner (3.4+, `isLearnerReady`): its log must hold at least
/// 90% of the leader's, or `member promote` is refused as "not in sync with leader".
pub fn learner_ready(learner_index: u64, leader_index: u64) -> bool {
    // In integers, as etcd compares `learner >= 0.9 * leader`.
    u128::from(learner_index) * 10 >= u128::from(leader_index) * 9
}

/// The procedure's advice on cluster size, for a cluster about to have `members` members.
pub fn size_advice(members: usize) -> String {
    let quorum = Quorum::new(members, members);
    let mut advice = format!(
        "{members} members: majority {}, tolerates {} failure{}.",
        quorum.majority,
        quorum.tolerance_at_full_strength,
        if quorum.tolerance_at_full_strength == 1 {
            ""
        } else {
            "s"
        }
    );
    if members % 2 == 0 {
        advice.push_str(
            " An even size tolerates no more failures than one member less: add or remove one \
             to make it odd.",
        );
    }
    if members < 7 {
        advice.push_str(
            " The procedure recommends seven etcd hosts in production (majority 4, tolerates 3).",
        );
    }
    advice
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_learner_is_ready_from_ninety_percent_of_the_leaders_log() {
        assert!(learner_ready(900, 1000));
        assert!(!learner_ready(899, 1000));
        assert!(learner_ready(1000, 1000));
        assert!(learner_ready(0, 0));
        assert!(learner_ready(u64::MAX, u64::MAX));
    }

    #[test]
    fn a_failed_member_can_be_removed_while_quorum_holds() {
        let after = check_removal(3, 2, false, true, "etcd-3").expect("2 of 3 healthy");
        assert_eq!((after.voters, after.healthy_voters), (2, 2));
    }

    #[test]
    fn removal_is_refused_with_the_recovery_path_when_quorum_is_lost() {
        let refusal = check_removal(3, 1, false, true, "etcd-3").expect_err("1 of 3");
        assert!(refusal.starts_with("QUORUM LOST: 1 of 3"), "{refusal}");
        assert!(refusal.contains("disaster-recovery path"), "{refusal}");
        assert!(refusal.contains("restore"), "{refusal}");
    }

    #[test]
    fn removing_a_healthy_member_at_the_limit_is_refused() {
        let refusal = check_removal(3, 2, true, true, "etcd-1").expect_err("would lose quorum");
        assert!(refusal.contains("QUORUM WOULD BE LOST"), "{refusal}");
        assert!(check_removal(5, 5, true, true, "etcd-1").is_ok());
    }

    #[test]
    fn size_advice_follows_the_procedure() {
        assert!(size_advice(3).contains("recommends seven"));
        assert!(size_advice(4).contains("even size"));
        assert!(!size_advice(7).contains("recommends"));
    }

    #[test]
    fn majority_and_tolerance_for_sizes_one_to_nine() {
        let expected = [
            (1, 1, 0),
            (2, 2, 0),
            (3, 2, 1),
            (4, 3, 1),
            (5, 3, 2),
            (6, 4, 2),
            (7, 4, 3),
            (8, 5, 3),
            (9, 5, 4),
        ];
        for (voters, majority, tolerance) in expected {
            let quorum = Quorum::new(voters, voters);
            assert_eq!(quorum.majority, majority, "majority of {voters}");
            assert_eq!(
                quorum.tolerance_at_full_strength, tolerance,
                "tolerance of {voters}"
            );
            assert_eq!(quorum.tolerance_now, Some(tolerance));
        }
    }

    #[test]
    fn the_procedures_seven_host_example() {
        let quorum = Quorum::new(7, 7);
        assert_eq!((quorum.majority, quorum.tolerance_at_full_strength), (4, 3));
    }

    #[test]
    fn says_plainly_when_one_more_failure_loses_quorum() {
        let quorum = Quorum::new(3, 2);
        assert_eq!(quorum.tolerance_now, Some(0));
        assert!(quorum.verdict().contains("ONE MORE FAILURE LOSES QUORUM"));
        let lost = Quorum::new(3, 1);
        assert!(!lost.has_quorum());
        assert!(lost.verdict().starts_with("QUORUM LOST"));
    }
}
