//! The member table as a place to act: select a member, read its details, and open the
//! procedure that fits it (a member that is down: replace it).

use crossterm::event::{KeyCode, KeyEvent};

use super::app::{App, Focus};
use super::msg::Effect;
use crate::health::MemberHealth;

/// What can be done about a member, as keys in its details.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberAction {
    /// Down, or holding data that differs from the others': remove it and add a new host in
    /// its place.
    Replace,
    /// A learner within etcd's 90% rule: `etcdctl member promote` (done by `member join`).
    Promote,
}

impl MemberAction {
    pub fn key(self) -> char {
        match self {
            MemberAction::Replace => 'r',
            MemberAction::Promote => 'p',
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            MemberAction::Replace => "replace this member (on a surviving host)",
            MemberAction::Promote => "promote this learner to a voting member",
        }
    }
}

/// The actions that fit a member as the cluster sees it now.
pub fn actions_for(member: &MemberHealth) -> Vec<MemberAction> {
    let mut actions = Vec::new();
    if !member.healthy || member.diverged {
        actions.push(MemberAction::Replace);
    }
    // etcd's own rule, not a full catch-up: on a busy cluster the leader's index keeps moving.
    let ready = member
        .status
        .as_ref()
        .zip(member.lag)
        .is_some_and(|(status, lag)| {
            crate::etcd::learner_ready(status.raft_index, status.raft_index + lag)
        });
    if member.is_learner && member.healthy && ready {
        actions.push(MemberAction::Promote);
    }
    actions
}

pub fn selected_member(app: &App) -> Option<&MemberHealth> {
    app.health.as_ref()?.members.get(app.member_selected)
}

/// Keys while the table has focus; `None` leaves the key to the dashboard.
pub fn on_table_key(app: &mut App, key: KeyEvent) -> Option<Vec<Effect>> {
    let count = app.health.as_ref().map_or(0, |h| h.members.len());
    match key.code {
        KeyCode::Up | KeyCode::Char('k') => {
            app.member_selected = app.member_selected.saturating_sub(1);
        }
        KeyCode::Down | KeyCode::Char('j') => {
            app.member_selected = (app.member_selected + 1).min(count.saturating_sub(1));
        }
        KeyCode::Enter if count > 0 => app.member_detail = true,
        KeyCode::Esc => app.focus = Focus::Menu,
        _ => return None,
    }
    Some(vec![])
}

/// Keys while a member's details are open: its actions, or Esc back to the table.
pub fn on_detail_key(app: &mut App, key: KeyEvent) -> Vec<Effect> {
    let Some(member) = selected_member(app) else {
        app.member_detail = false;
        return vec![];
    };
    let (id, actions) = (member.id, actions_for(member));
    let name = member.name.clone();
    let client_url = member.client_urls.first().cloned().unwrap_or_default();
    match key.code {
        KeyCode::Esc | KeyCode::Char('q') | KeyCode::Enter => {
            app.member_detail = false;
            vec![]
        }
        KeyCode::Char(c) => match actions.iter().find(|a| a.key() == c) {
            Some(MemberAction::Replace) => {
                app.member_detail = false;
                super::guide::open_replace(app, Some(id))
            }
            Some(MemberAction::Promote) => {
                app.member_detail = false;
                app.request = None;
                vec![Effect::PlanPromote { name, client_url }]
            }
            None => vec![],
        },
        _ => vec![],
    }
}
