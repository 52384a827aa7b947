//! Forms: the questions a wizard asks before it plans, as state plus pure validation.
//!
//! A form holds its fields and where the focus is; each procedure's module builds its form from
//! what lifeboat discovered, checks the answers ([`FormSpec::validate`]) and turns them into a
//! request. Drawing is in `view::form`; nothing here touches a terminal, so the rules are
//! unit-tested on plain values.

mod backup;
mod field;
mod join;
mod probe;
mod quorum;
mod replace;
mod restore;
pub mod validate;

pub use backup::BackupForm;
pub use field::{Choice, Field, Input};
pub use join::JoinForm;
pub use probe::{HostProbe, RealHost};
pub use quorum::{QuorumForm, SurvivorChoice};
pub use replace::{MemberChoice, ReplaceForm};
pub use restore::{BundleChoice, RestoreForm};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::requests::CommandLine;

/// What the answers become once every one is valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormRequest {
    Backup(crate::requests::ClusterBackupRequest),
    Restore(crate::requests::ClusterRestoreRequest),
    Replace(crate::requests::MemberReplaceRequest),
    Join(crate::requests::MemberJoinRequest),
    Quorum(crate::requests::QuorumRestoreRequest),
}

impl FormRequest {
    pub fn command_line(&self) -> String {
        match self {
            FormRequest::Backup(r) => r.command_line(),
            FormRequest::Restore(r) => r.command_line(),
            FormRequest::Replace(r) => r.command_line(),
            FormRequest::Join(r) => r.command_line(),
            FormRequest::Quorum(r) => r.command_line(),
        }
    }
}

/// One procedure's rules: which answers are wrong, and the request the answers make.
pub trait FormSpec: std::fmt::Debug + Send {
    /// An error per field key, for every answer that is wrong given the others.
    fn validate(&self, fields: &[Field], host: &dyn HostProbe) -> Vec<(&'static str, String)>;
    /// The request the answers make; `None` while an answer cannot be read at all.
    fn request(&self, fields: &[Field]) -> Option<FormRequest>;
    /// Lines above the fields: what lifeboat found that the answers depend on.
    fn facts(&self) -> Vec<String> {
        Vec::new()
    }
}

#[derive(Debug)]
pub struct Form {
    pub title: String,
    pub fields: Vec<Field>,
    pub focus: usize,
    pub spec: Box<dyn FormSpec>,
    /// The answers were submitted with an error: errors are shown even on untouched fields.
    pub tried: bool,
}

/// What a key did to the form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FormEvent {
    Editing,
    /// Every answer is valid: plan this.
    Submit(FormRequest),
    /// Esc: back to where the form was opened from.
    Cancel,
}

pub fn value_of<'a>(fields: &'a [Field], key: &str) -> Option<&'a Field> {
    fields.iter().find(|f| f.key == key)
}

/// The answer of `key`, empty when the form has no such field.
pub fn answer(fields: &[Field], key: &str) -> String {
    value_of(fields, key).map(Field::value).unwrap_or_default()
}

impl Form {
    pub fn new(
        title: impl Into<String>,
        fields: Vec<Field>,
        spec: Box<dyn FormSpec>,
        host: &dyn HostProbe,
    ) -> Self {
        let mut form = Form {
            title: title.into(),
            fields,
            focus: 0,
            spec,
            tried: false,
        };
        form.revalidate(host);
        form
    }

    /// Re-checks every answer; errors depend on each other (a port against the other port).
    pub fn revalidate(&mut self, host: &dyn HostProbe) {
        let errors = self.spec.validate(&self.fields, host);
        for field in &mut self.fields {
            field.error = errors
                .iter()
                .find(|(key, _)| *key == field.key)
                .map(|(_, e)| e.clone());
        }
    }

    pub fn is_valid(&self) -> bool {
        self.fields.iter().all(|f| f.error.is_none())
    }

    /// The command line the answers make so far, for the line under the form.
    pub fn command_line(&self) -> Option<String> {
        self.spec.request(&self.fields).map(|r| r.command_line())
    }

    pub fn on_key(&mut self, key: KeyEvent, host: &dyn HostProbe) -> FormEvent {
        let last = self.fields.len().saturating_sub(1);
        let back_tab = key.code == KeyCode::BackTab
            || (key.code == KeyCode::Tab && key.modifiers.contains(KeyModifiers::SHIFT));
        match key.code {
            KeyCode::Esc => return FormEvent::Cancel,
            _ if back_tab => self.focus = self.focus.checked_sub(1).unwrap_or(last),
            KeyCode::Up => self.focus = self.focus.saturating_sub(1),
            KeyCode::Tab | KeyCode::Down => self.focus = (self.focus + 1).min(last),
            KeyCode::Enter if self.focus < last => self.focus += 1,
            KeyCode::Enter => return self.submit(),
            _ => {
                if let Some(field) = self.fields.get_mut(self.focus) {
                    if field.on_key(key) {
                        self.revalidate(host);
                    }
                }
            }
        }
        FormEvent::Editing
    }

    /// Enter on the last field: the request when every answer is valid, otherwise the focus
    /// goes to the first wrong answer and every error is shown.
    pub fn submit(&mut self) -> FormEvent {
        match self.fields.iter().position(|f| f.error.is_some()) {
            Some(wrong) => {
                self.tried = true;
                self.focus = wrong;
                FormEvent::Editing
            }
            None => match self.spec.request(&self.fields) {
                Some(request) => FormEvent::Submit(request),
                None => FormEvent::Editing,
            },
        }
    }
}

#[cfg(test)]
mod tests;
