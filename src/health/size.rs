//! The database size rules: the member-add procedure's 700 MB threshold and etcd's backend
//! quota, with what to do above each.

use serde::Serialize;

/// "If the etcd backup is larger than 700 MB ..." (Adding New etcd Hosts, step 5).
pub const MEMBER_ADD_THRESHOLD: u64 = 700 * 1000 * 1000;
/// etcd's default backend quota when `--quota-backend-bytes` is not set.
pub const DEFAULT_QUOTA: u64 = 2 * 1024 * 1024 * 1024;
/// Share of the quota, in tenths, at which to act before NOSPACE stops all writes.
const QUOTA_WARNING_TENTHS: u64 = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SizeLevel {
    Fine,
    /// At or above 700 MB: adding a member needs the procedure's large-database path.
    AboveMemberAddThreshold,
    /// At or above 80 % of the quota: NOSPACE is near.
    NearQuota,
    /// At or above the quota: etcd raises NOSPACE and refuses writes.
    OverQuota,
}

impl SizeLevel {
    pub fn describe(self) -> &'static str {
        match self {
            SizeLevel::Fine => "below the member-add threshold",
            SizeLevel::AboveMemberAddThreshold => "ABOVE the 700 MB member-add threshold",
            SizeLevel::NearQuota => "NEAR the backend quota",
            SizeLevel::OverQuota => "OVER the backend quota: writes are refused",
        }
    }
}

/// Sizes in the procedure's own unit (decimal megabytes), as in "700 MB".
pub fn decimal_mb(bytes: u64) -> String {
    format!("{} MB", bytes / 1_000_000)
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SizeAssessment {
    /// The largest DB size any member reported.
    pub db_size: u64,
    /// Bytes actually in use in that DB; the rest is reclaimable by defragmentation.
    pub db_size_in_use: u64,
    pub quota: u64,
    pub member_add_threshold: u64,
    pub level: SizeLevel,
    pub advice: Vec<String>,
}

pub fn assess_size(
    db_size: u64,
    db_size_in_use: u64,
    quota: u64,
    member_add_threshold: u64,
) -> SizeAssessment {
    let level = if db_size >= quota {
        SizeLevel::OverQuota
    } else if db_size.saturating_mul(10) >= quota.saturating_mul(QUOTA_WARNING_TENTHS) {
        SizeLevel::NearQuota
    } else if db_size >= member_add_threshold {
        SizeLevel::AboveMemberAddThreshold
    } else {
        SizeLevel::Fine
    };
    let mut advice = Vec::new();
    if db_size_in_use < db_size / 2 && db_size > 64 * 1024 * 1024 {
        advice.push(
            "More than half the file is free space: `etcdctl defrag` (one member at a time) gives it back.".into(),
        );
    }
    match level {
        SizeLevel::Fine => {}
        SizeLevel::AboveMemberAddThreshold => advice.push(
            "Above the procedure's 700 MB: before adding a member, prune resources or clear TTL data \
             such as events; a new member joins as a learner and is promoted once caught up."
                .into(),
        ),
        SizeLevel::NearQuota | SizeLevel::OverQuota => {
            advice.push(
                "Compact to the current revision (`etcdctl compact`), defragment each member \
                 (`etcdctl defrag`), prune events and other TTL data."
                    .into(),
            );
            if level == SizeLevel::OverQuota {
                advice.push("Then clear the alarm: `etcdctl alarm disarm`.".into());
            }
        }
    }
    SizeAssessment {
        db_size,
        db_size_in_use,
        quota,
        member_add_threshold,
        level,
        advice,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1000 * 1000;

    #[test]
    fn levels_follow_the_thresholds() {
        let level = |size| assess_size(size, size, DEFAULT_QUOTA, MEMBER_ADD_THRESHOLD).level;
        assert_eq!(level(100 * MB), SizeLevel::Fine);
        assert_eq!(level(700 * MB - 1), SizeLevel::Fine);
        assert_eq!(level(700 * MB), SizeLevel::AboveMemberAddThreshold);
        assert_eq!(
            level((DEFAULT_QUOTA * 8).div_ceil(10) - 1),
            SizeLevel::AboveMemberAddThreshold
        );
        assert_eq!(
            level((DEFAULT_QUOTA * 8).div_ceil(10)),
            SizeLevel::NearQuota
        );
        assert_eq!(level(DEFAULT_QUOTA), SizeLevel::OverQuota);
    }

    #[test]
    fn a_configured_quota_and_threshold_are_used() {
        assert_eq!(
            assess_size(5 * MB, 5 * MB, 6 * MB, MEMBER_ADD_THRESHOLD).level,
            SizeLevel::NearQuota
        );
        assert_eq!(
            assess_size(2 * MB, 2 * MB, DEFAULT_QUOTA, MB).level,
            SizeLevel::AboveMemberAddThreshold
        );
    }

    #[test]
    fn advice_says_what_to_do() {
        let over = assess_size(
            DEFAULT_QUOTA,
            DEFAULT_QUOTA,
            DEFAULT_QUOTA,
            MEMBER_ADD_THRESHOLD,
        );
        assert!(over.advice.iter().any(|a| a.contains("alarm disarm")));
        let fragmented = assess_size(400 * MB, 100 * MB, DEFAULT_QUOTA, MEMBER_ADD_THRESHOLD);
        assert!(fragmented.advice.iter().any(|a| a.contains("defrag")));
        assert_eq!(fragmented.level, SizeLevel::Fine);
    }
}
