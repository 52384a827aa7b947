//! Replace a failed member, on a surviving host: which member failed (pre-selected when exactly
//! one is down), and the new host's name, address and ports.

use std::path::PathBuf;

use super::validate::{
    directory_with, existing_file, host as parse_host, is_this_host, new_member_name, port,
    url_authority, url_owner,
};
use super::{Choice, Field, Form, FormRequest, FormSpec, HostProbe, answer};
use crate::requests::{
    DEFAULT_CLIENT_PORT, DEFAULT_LEARNER_THRESHOLD, DEFAULT_PEER_PORT, MemberReplaceRequest,
};

/// A member as the replace form lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberChoice {
    pub name: String,
    pub id: u64,
    pub healthy: bool,
    pub peer_urls: Vec<String>,
    pub client_urls: Vec<String>,
    /// Why it is down, when it is.
    pub error: Option<String>,
    /// It answers, but holds other data than the majority (hashkv): replace it too.
    pub diverged: bool,
}

impl MemberChoice {
    /// Down, or answering with the wrong data: either way it is the one to replace.
    fn needs_replacing(&self) -> bool {
        !self.healthy || self.diverged
    }
}

#[derive(Clone, Debug, Default)]
pub struct ReplaceForm {
    pub members: Vec<MemberChoice>,
    pub db_size: Option<u64>,
    /// A member to pre-select (chosen on the member table).
    pub preselect: Option<u64>,
    pub etcd_conf: PathBuf,
    pub ca_dir: PathBuf,
    pub default_out: PathBuf,
    /// Members run by a supervisor: an empty etcd.conf means a surviving member's.
    pub process_cluster: Option<PathBuf>,
}

/// The first `PREFIX-N` no member has, after the failed member's own name.
pub fn suggest_name(failed: &str, taken: &[&str]) -> String {
    let stem = failed.trim_end_matches(|c: char| c.is_ascii_digit());
    let stem = if stem.is_empty() { "etcd-" } else { stem };
    (1..)
        .map(|n| format!("{stem}{n}"))
        .find(|name| name != failed && !taken.contains(&name.as_str()))
        .unwrap_or_else(|| format!("{failed}-new"))
}

impl ReplaceForm {
    /// The member chosen on the member table, or the only one that is down.
    fn preselected(&self) -> usize {
        let down: Vec<usize> = (0..self.members.len())
            .filter(|i| self.members[*i].needs_replacing())
            .collect();
        self.preselect
            .and_then(|id| self.members.iter().position(|m| m.id == id))
            .or_else(|| (down.len() == 1).then(|| down[0]))
            .unwrap_or(0)
    }

    fn member_options(&self) -> Vec<Choice> {
        self.members
            .iter()
            .map(|m| {
                let state = match (&m.error, m.healthy) {
                    (_, true) if m.diverged => "DIFFERS: holds other data than the rest".into(),
                    (_, true) => "healthy".to_string(),
                    (Some(e), false) => format!("DOWN: {e}"),
                    (None, false) => "DOWN".to_string(),
                };
                Choice::new(m.name.clone(), format!("{} ({:x}) {state}", m.name, m.id))
            })
            .collect()
    }

    pub fn form(self, host: &dyn HostProbe) -> Form {
        let selected = self.preselected();
        let taken: Vec<&str> = self.members.iter().map(|m| m.name.as_str()).collect();
        let suggested = self
            .members
            .get(selected)
            .map(|m| suggest_name(&m.name, &taken))
            .unwrap_or_else(|| "etcd-new".into());
        let options = self.member_options();
        let fields = vec![
            Field::choice(
                "failed",
                "Failed member",
                options,
                selected,
                "←/→ to choose; it is removed from the cluster first.",
            ),
            Field::text(
                "name",
                "New member name",
                &suggested,
                "ETCD_NAME and the CN of its certificates; no member may have it.",
            ),
            Field::text(
                "host",
                "New host",
                "",
                "The new host's IP address or DNS name (its certificates' SAN).",
            ),
            Field::text(
                "client",
                "Client port",
                &DEFAULT_CLIENT_PORT.to_string(),
                "Where clients reach the new member.",
            ),
            Field::text(
                "peer",
                "Peer port",
                &DEFAULT_PEER_PORT.to_string(),
                "Where members reach the new member.",
            ),
            Field::text(
                "out",
                "Join bundle dir",
                &self.default_out.display().to_string(),
                "NAME.tgz is written here, 0600: copy it to the new host.",
            ),
            Field::choice(
                "learner",
                "Join as learner",
                with_configured_threshold(vec![
                    Choice::new(
                        "700MB",
                        "when the database is over 700 MB (the procedure's rule)",
                    ),
                    Choice::new("0", "always (safest on a busy cluster)"),
                    Choice::new("1000GB", "never: a voting member at once"),
                ]),
                0,
                "A learner catches up without counting towards quorum, then is promoted.",
            ),
            Field::text(
                "conf",
                "This host's etcd.conf",
                &self.etcd_conf.display().to_string(),
                "The new member's etcd.conf is made from it.",
            ),
            Field::text(
                "ca",
                "etcd CA dir",
                &self.ca_dir.display().to_string(),
                "ca.crt and ca.key sign the new host's certificates.",
            ),
        ];
        Form::new("Replace a failed member", fields, Box::new(self), host)
    }

    fn urls_except(&self, failed: &str) -> Vec<(String, Vec<String>)> {
        self.members
            .iter()
            .filter(|m| m.name != failed)
            .map(|m| {
                let mut urls = m.peer_urls.clone();
                urls.extend(m.client_urls.iter().cloned());
                (m.name.clone(), urls)
            })
            .collect()
    }

    fn check_ports(
        &self,
        fields: &[Field],
        host: &dyn HostProbe,
        errors: &mut Vec<(&'static str, String)>,
    ) {
        let new_host = parse_host(&answer(fields, "host")).ok();
        let urls = self.urls_except(&answer(fields, "failed"));
        let mut ports = Vec::new();
        for key in ["client", "peer"] {
            match port(&answer(fields, key)) {
                Err(e) => errors.push((key, e)),
                Ok(p) => {
                    if ports.contains(&p) {
                        errors.push((key, "the client and peer ports must differ".into()));
                    } else if let Some(owner) = new_host
                        .as_ref()
                        .and_then(|h| url_owner(&url_authority(h, p), &urls))
                    {
                        errors.push((key, format!("{owner} already uses port {p} on that host")));
                    } else if new_host.as_ref().is_some_and(is_this_host) && host.port_in_use(p) {
                        errors.push((key, format!("port {p} is in use on this host")));
                    }
                    ports.push(p);
                }
            }
        }
    }
}

impl FormSpec for ReplaceForm {
    fn validate(&self, fields: &[Field], host: &dyn HostProbe) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        let failed = answer(fields, "failed");
        if self.members.is_empty() {
            errors.push((
                "failed",
                "no member list: member replacement needs a working majority".into(),
            ));
        }
        let taken: Vec<&str> = self
            .members
            .iter()
            .filter(|m| m.name != failed)
            .map(|m| m.name.as_str())
            .collect();
        let name = answer(fields, "name");
        if let Err(e) = new_member_name(&name, &taken) {
            errors.push(("name", e));
        }
        if let Err(e) = parse_host(&answer(fields, "host")) {
            errors.push(("host", e));
        }
        self.check_ports(fields, host, &mut errors);
        let bundle = PathBuf::from(answer(fields, "out")).join(format!("{name}.tgz"));
        if host.exists(&bundle) {
            errors.push((
                "out",
                format!(
                    "{} already exists: move it away or choose another directory",
                    bundle.display()
                ),
            ));
        }
        let conf = answer(fields, "conf");
        let may_be_empty = self.process_cluster.is_some() && conf.is_empty();
        if let Err(e) = existing_file(&conf, "etcd.conf", host)
            .or_else(|e| if may_be_empty { Ok(()) } else { Err(e) })
        {
            errors.push(("conf", e));
        }
        if let Err(e) = directory_with(&answer(fields, "ca"), &["ca.crt", "ca.key"], host) {
            errors.push(("ca", e));
        }
        errors
    }

    fn request(&self, fields: &[Field]) -> Option<FormRequest> {
        let failed = answer(fields, "failed");
        let id = self.members.iter().find(|m| m.name == failed).map(|m| m.id);
        Some(FormRequest::Replace(MemberReplaceRequest {
            // An unstarted member has no name: its hex ID names it.
            failed: if failed.is_empty() {
                format!("{:x}", id?)
            } else {
                failed
            },
            new_name: answer(fields, "name"),
            new_host: answer(fields, "host"),
            client_port: port(&answer(fields, "client")).unwrap_or(DEFAULT_CLIENT_PORT),
            peer_port: port(&answer(fields, "peer")).unwrap_or(DEFAULT_PEER_PORT),
            out: PathBuf::from(answer(fields, "out")),
            learner_threshold: crate::procedures::parse_size(&answer(fields, "learner"))
                .unwrap_or(DEFAULT_LEARNER_THRESHOLD),
            ca_dir: Some(PathBuf::from(answer(fields, "ca"))),
            etcd_conf: Some(answer(fields, "conf"))
                .filter(|c| !c.is_empty())
                .map(PathBuf::from),
            process_cluster: self.process_cluster.clone(),
        }))
    }

    fn facts(&self) -> Vec<String> {
        let down: Vec<&str> = self
            .members
            .iter()
            .filter(|m| m.needs_replacing())
            .map(|m| m.name.as_str())
            .collect();
        let mut facts = vec![match down.len() {
            0 => "Every member is healthy: replacing one costs a failure of tolerance while it joins.".to_string(),
            1 if self.members.iter().any(|m| m.diverged) => format!(
                "{} holds different data from the other members: it is chosen below.",
                down[0]
            ),
            1 => format!("{} is down: it is chosen below.", down[0]),
            n => format!("{n} members are down ({}): replace them one at a time.", down.join(", ")),
        }];
        if let Some(size) = self.db_size {
            facts.push(format!(
                "Database: {} (above 700 MB the new member joins as a learner first).",
                crate::present::human_bytes_u64(size)
            ));
        }
        facts
    }
}

/// The `learner_threshold` of lifeboat's settings as the first (pre-selected) choice.
fn with_configured_threshold(mut choices: Vec<Choice>) -> Vec<Choice> {
    let value = crate::requests::format_size(crate::config::current().learner_threshold.value);
    match choices.iter().position(|c| c.value == value) {
        Some(index) => {
            let chosen = choices.remove(index);
            choices.insert(0, chosen);
        }
        None => choices.insert(
            0,
            Choice::new(
                value.clone(),
                format!("when the database is over {value} (lifeboat's settings)"),
            ),
        ),
    }
    choices
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_suggested_name_is_the_next_free_one() {
        assert_eq!(
            suggest_name("etcd-3", &["etcd-1", "etcd-2", "etcd-3"]),
            "etcd-4"
        );
        assert_eq!(
            suggest_name("master-2", &["master-1", "master-2"]),
            "master-3"
        );
        assert_eq!(suggest_name("", &["etcd-1"]), "etcd-2");
    }
}
