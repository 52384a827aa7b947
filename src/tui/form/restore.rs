//! Cluster restore: which bundle (from the list, with its manifest), one member or every
//! member (disaster recovery), on this host or in a container.

use std::path::PathBuf;

use super::validate::existing_file;
use super::{Choice, Field, Form, FormRequest, FormSpec, HostProbe, answer};
use crate::requests::ClusterRestoreRequest;

/// A cluster backup found under the backups directory, as the list shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BundleChoice {
    pub path: PathBuf,
    /// When, from which cluster, revision, keys, size.
    pub summary: String,
    /// Holds a v3 snapshot (disaster recovery needs one) rather than a data-dir copy.
    pub snapshot: bool,
}

#[derive(Clone, Debug, Default)]
pub struct RestoreForm {
    pub bundles: Vec<BundleChoice>,
    /// Members the cluster lists now; `None` when it does not answer.
    pub live_members: Option<usize>,
    pub containers: Vec<(String, String)>,
    /// etcd.conf found on this host, proposed for the member's name and URLs.
    pub etcd_conf: Option<PathBuf>,
    pub backups_dir: PathBuf,
    /// Opened as "Disaster recovery": every member is proposed.
    pub disaster_recovery: bool,
}

const SINGLE: &str = "single";
const EVERY: &str = "disaster-recovery";

impl RestoreForm {
    pub fn form(self, host: &dyn HostProbe) -> Form {
        let bundles: Vec<Choice> = self
            .bundles
            .iter()
            .map(|b| Choice::new(b.path.display().to_string(), b.summary.clone()))
            .collect();
        let mut places = vec![Choice::new("", "this host")];
        places.extend(
            self.containers.iter().map(|(name, image)| {
                Choice::new(name.clone(), format!("container {name} ({image})"))
            }),
        );
        // More than one member: the single-member restore does not apply, so propose the one
        // that does; the engineer still chooses.
        let scope = usize::from(self.disaster_recovery || self.live_members.is_some_and(|n| n > 1));
        let fields = vec![
            Field::choice(
                "bundle",
                "Bundle",
                bundles,
                0,
                "←/→ through the backups, newest first; each is verified again before anything stops.",
            ),
            Field::choice(
                "scope",
                "Restore",
                vec![
                    Choice::new(SINGLE, "this member (a single-member cluster)"),
                    Choice::new(
                        EVERY,
                        "every member from this snapshot, as a new cluster (disaster recovery)",
                    ),
                ],
                scope,
                "Disaster recovery loses every write since the backup; use it when quorum is lost for good.",
            ),
            Field::choice(
                "where",
                "etcd runs",
                places,
                0,
                "A container's data dir must be mounted from the host.",
            ),
            Field::text(
                "conf",
                "etcd.conf",
                &self
                    .etcd_conf
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default(),
                "The member's name, URLs and data dir; empty: /etc/etcd/etcd.conf or the container's environment.",
            ),
            Field::text(
                "data",
                "Data dir",
                "",
                "Empty: ETCD_DATA_DIR of etcd.conf. It is kept as DIR.orig, never deleted.",
            ),
            Field::text(
                "master",
                "Master config dir",
                crate::requests::DEFAULT_MASTER_DIR,
                "Where the certificates and keys go back.",
            ),
        ];
        let title = if self.disaster_recovery {
            "Disaster recovery"
        } else {
            "Cluster restore"
        };
        Form::new(title, fields, Box::new(self), host)
    }

    fn chosen(&self, fields: &[Field]) -> Option<&BundleChoice> {
        let path = answer(fields, "bundle");
        self.bundles
            .iter()
            .find(|b| b.path.display().to_string() == path)
    }
}

impl FormSpec for RestoreForm {
    fn validate(&self, fields: &[Field], host: &dyn HostProbe) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        let every = answer(fields, "scope") == EVERY;
        match self.chosen(fields) {
            None => errors.push((
                "bundle",
                format!(
                    "no cluster backup under {}: take one first (:backup)",
                    self.backups_dir.display()
                ),
            )),
            Some(b) if every && !b.snapshot => errors.push((
                "bundle",
                "a data-dir backup cannot restore every member; choose a snapshot bundle".into(),
            )),
            Some(_) => {}
        }
        if let Some(n) = self.live_members.filter(|n| *n > 1 && !every) {
            errors.push((
                "scope",
                format!(
                    "this cluster has {n} members: restoring one would only make it diverge. A lost \
                     member is replaced without downtime (:replace); choose disaster recovery only \
                     when quorum is lost for good"
                ),
            ));
        }
        let conf = answer(fields, "conf");
        if !conf.is_empty() {
            if let Err(e) = existing_file(&conf, "etcd.conf", host) {
                errors.push(("conf", e));
            }
        }
        errors
    }

    fn request(&self, fields: &[Field]) -> Option<FormRequest> {
        let bundle = self.chosen(fields)?;
        let text = |key| Some(answer(fields, key)).filter(|v| !v.is_empty());
        Some(FormRequest::Restore(ClusterRestoreRequest {
            bundle: bundle.path.clone(),
            data_dir: text("data").map(PathBuf::from),
            etcd_conf: text("conf").map(PathBuf::from),
            master_dir: PathBuf::from(answer(fields, "master")),
            disaster_recovery: answer(fields, "scope") == EVERY,
            container: text("where"),
        }))
    }

    fn facts(&self) -> Vec<String> {
        vec![
            match self.live_members {
                Some(n) => format!("The cluster lists {n} member(s) now."),
                None => "The cluster does not answer: a restore is what it needs.".into(),
            },
            format!(
                "{} cluster backup(s) under {}.",
                self.bundles.len(),
                self.backups_dir.display()
            ),
        ]
    }
}
