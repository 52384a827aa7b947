//! The etcd domain's checks: what a member list, the members' statuses and the alarms must
//! show for the health check's steps to pass. `run::check::evaluate` routes to them.

use crate::etcd::{Alarm, EndpointReport, MemberInfo};

/// Every listed member has started and advertises client URLs.
pub(crate) fn members_started(members: &[MemberInfo]) -> Result<String, String> {
    let unstarted: Vec<String> = members
        .iter()
        .filter(|m| m.name.is_empty() || m.client_urls.is_empty())
        .map(|m| format!("{:x}", m.id))
        .collect();
    if members.is_empty() {
        Err("the member list is empty".into())
    } else if unstarted.is_empty() {
        Ok(match members.len() {
            1 => "1 member, started".to_string(),
            n => format!("{n} members, all started"),
        })
    } else {
        Err(format!("members not started: {}", unstarted.join(", ")))
    }
}

/// Every member answered and exactly one leader is seen.
pub(crate) fn endpoints_healthy(reports: &[EndpointReport]) -> Result<String, String> {
    let failed: Vec<String> = reports
        .iter()
        .filter_map(|r| {
            r.result
                .as_ref()
                .err()
                .map(|e| format!("{} ({e})", r.endpoint))
        })
        .collect();
    let leaders: std::collections::BTreeSet<u64> = reports
        .iter()
        .filter_map(|r| r.result.as_ref().ok())
        .map(|s| s.leader)
        .collect();
    if !failed.is_empty() {
        Err(format!("unreachable: {}", failed.join("; ")))
    } else if leaders.len() != 1 || leaders.contains(&0) {
        Err(format!(
            "members do not agree on one leader ({} seen)",
            leaders.len()
        ))
    } else {
        Ok(format!("{} endpoints healthy, one leader", reports.len()))
    }
}

/// No alarm is raised on any member.
pub(crate) fn no_alarms(alarms: &[Alarm]) -> Result<String, String> {
    if alarms.is_empty() {
        Ok("no alarms".into())
    } else {
        let list: Vec<String> = alarms
            .iter()
            .map(|a| format!("{} on {:x}", a.alarm, a.member_id))
            .collect();
        Err(format!("alarms raised: {}", list.join(", ")))
    }
}
