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

#[cfg(test)]
mod tests {
    use super::*;

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
