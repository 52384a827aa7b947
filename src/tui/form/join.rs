//! Join this host as the new member: the join bundle `member replace` wrote, and how etcd
//! starts here.

use std::path::PathBuf;

use super::validate::{existing_file, seconds};
use super::{Choice, Field, Form, FormRequest, FormSpec, HostProbe, answer};
use crate::requests::{DEFAULT_ETC_DIR, DEFAULT_WAIT_SECS, JoinStartChoice, MemberJoinRequest};

#[derive(Clone, Debug, Default)]
pub struct JoinForm {
    /// Join bundles found under the backups directory, newest first.
    pub bundles: Vec<PathBuf>,
    /// The host runs systemd (so etcd starts as its unit by default).
    pub systemd: bool,
    /// A process cluster's supervisor can start the new member (`LIFEBOAT_PROCESS_CLUSTER`).
    pub process_cluster: Option<PathBuf>,
}

const SUPERVISOR: &str = "supervisor";

impl JoinForm {
    pub fn form(self, host: &dyn HostProbe) -> Form {
        let first = self
            .bundles
            .first()
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let mut starts = vec![
            Choice::new("systemd", "systemd: systemctl enable etcd --now"),
            Choice::new("container", "OpenShift's etcd_container unit"),
            Choice::new("process", "a detached etcd process (no systemd)"),
        ];
        let mut start = if self.systemd { 0 } else { 2 };
        if let Some(file) = &self.process_cluster {
            starts.insert(
                0,
                Choice::new(
                    SUPERVISOR,
                    format!("the process cluster's supervisor ({})", file.display()),
                ),
            );
            start = 0;
        }
        let fields = vec![
            Field::text(
                "bundle",
                "Join bundle",
                &first,
                "NAME.tgz as `member replace` wrote it, copied to this host.",
            ),
            Field::choice(
                "start",
                "Start etcd with",
                starts,
                start,
                "How etcd runs on this host.",
            ),
            Field::text(
                "etc",
                "etcd config dir",
                DEFAULT_ETC_DIR,
                "etcd.conf and the certificates go here; what is there is kept.",
            ),
            Field::text(
                "wait",
                "Catch-up wait (s)",
                &DEFAULT_WAIT_SECS.to_string(),
                "How long to wait for the new member to catch up.",
            ),
        ];
        Form::new(
            "Join this host as the new member",
            fields,
            Box::new(self),
            host,
        )
    }
}

impl FormSpec for JoinForm {
    fn validate(&self, fields: &[Field], host: &dyn HostProbe) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        if let Err(e) = existing_file(&answer(fields, "bundle"), "join bundle", host) {
            errors.push(("bundle", e));
        }
        if let Err(e) = seconds(&answer(fields, "wait")) {
            errors.push(("wait", e));
        }
        if answer(fields, "etc").is_empty() {
            errors.push(("etc", "a directory is needed".into()));
        }
        errors
    }

    fn request(&self, fields: &[Field]) -> Option<FormRequest> {
        let bundle = answer(fields, "bundle");
        if bundle.is_empty() {
            return None;
        }
        let chosen = answer(fields, "start");
        let supervised = chosen == SUPERVISOR;
        let start = match chosen.as_str() {
            "container" => JoinStartChoice::Container,
            "process" => JoinStartChoice::Process,
            _ => JoinStartChoice::Systemd,
        };
        Some(FormRequest::Join(MemberJoinRequest {
            bundle: PathBuf::from(bundle),
            start: (!supervised).then_some(start),
            etc_dir: PathBuf::from(answer(fields, "etc")),
            wait_timeout_secs: seconds(&answer(fields, "wait")).unwrap_or(DEFAULT_WAIT_SECS),
            process_cluster: supervised.then(|| self.process_cluster.clone()).flatten(),
        }))
    }

    fn facts(&self) -> Vec<String> {
        vec![format!(
            "{} join bundle(s) found under the backups directory.",
            self.bundles.len()
        )]
    }
}
