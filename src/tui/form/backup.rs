//! Cluster backup: where the bundle goes, how etcd is copied, on this host or in a container.

use std::path::PathBuf;

use super::validate::new_directory;
use super::{Choice, Field, Form, FormRequest, FormSpec, HostProbe, answer};
use crate::procedures::BackupMethod;
use crate::requests::ClusterBackupRequest;

/// What the backup form knows before asking.
#[derive(Clone, Debug, Default)]
pub struct BackupForm {
    /// The largest member database: the room the bundle needs at least.
    pub db_size: Option<u64>,
    /// etcd containers running on this host (from the Docker Engine).
    pub containers: Vec<(String, String)>,
    pub default_out: PathBuf,
}

pub const THIS_HOST: &str = "";

impl BackupForm {
    pub fn form(self, host: &dyn HostProbe) -> Form {
        let mut places = vec![Choice::new(THIS_HOST, "this host (etcd's client URLs)")];
        places.extend(self.containers.iter().map(|(name, image)| {
            Choice::new(name.clone(), format!("docker exec {name} ({image})"))
        }));
        let place = configured_place(&mut places, &self.containers);
        let fields = vec![
            Field::text(
                "out",
                "Bundle directory",
                &self.default_out.display().to_string(),
                "A new directory: the bundle is written beside it as .partial, then renamed whole.",
            ),
            Field::choice(
                "method",
                "etcd data",
                vec![
                    Choice::new(
                        "snapshot",
                        "v3 snapshot streamed from the leader (recommended)",
                    ),
                    Choice::new(
                        "datadir",
                        "etcdctl backup of the data directory (v2 procedure)",
                    ),
                ],
                0,
                "A snapshot needs a member that answers; a data-dir copy reads the files.",
            ),
            Field::choice(
                "where",
                "Run etcdctl",
                places,
                place,
                "Containerized etcd: its etcdctl runs inside the container with docker exec.",
            ),
            Field::choice(
                "stop",
                "Stop etcd",
                vec![
                    Choice::new("no", "no, copy while etcd runs"),
                    Choice::new(
                        "yes",
                        "yes, stop etcd around the copy (started again after)",
                    ),
                ],
                0,
                "Only for a data-dir copy on this host.",
            ),
            Field::text(
                "master",
                "Master config dir",
                crate::requests::DEFAULT_MASTER_DIR,
                "Certificates and keys of the procedure's list; missing files are named, not fatal.",
            ),
        ];
        Form::new("Cluster backup", fields, Box::new(self), host)
    }
}

impl FormSpec for BackupForm {
    fn validate(&self, fields: &[Field], host: &dyn HostProbe) -> Vec<(&'static str, String)> {
        let mut errors = Vec::new();
        // The bundle holds the whole database, and a tenth more covers the certificates.
        let need = self.db_size.map(|size| size + size / 10);
        if let Err(e) = new_directory(&answer(fields, "out"), need, host) {
            errors.push(("out", e));
        }
        let datadir = answer(fields, "method") == "datadir";
        let in_container = answer(fields, "where") != THIS_HOST;
        if answer(fields, "stop") == "yes" {
            if !datadir {
                errors.push((
                    "stop",
                    "a snapshot is streamed from a running member: nothing to stop".into(),
                ));
            } else if in_container {
                errors.push((
                    "stop",
                    "docker exec needs the container running: copy while it runs".into(),
                ));
            }
        }
        errors
    }

    fn request(&self, fields: &[Field]) -> Option<FormRequest> {
        let out = answer(fields, "out");
        if out.is_empty() {
            return None;
        }
        let place = answer(fields, "where");
        Some(FormRequest::Backup(ClusterBackupRequest {
            out: PathBuf::from(out),
            method: match answer(fields, "method").as_str() {
                "datadir" => BackupMethod::Datadir,
                _ => BackupMethod::Snapshot,
            },
            data_dir: None,
            stop_etcd: answer(fields, "stop") == "yes",
            master_dir: PathBuf::from(answer(fields, "master")),
            etcd_config_dir: crate::requests::DEFAULT_ETCD_CONFIG_DIR.into(),
            container: (place != THIS_HOST).then_some(place),
        }))
    }

    fn facts(&self) -> Vec<String> {
        let mut facts = vec![match self.db_size {
            Some(size) => format!(
                "Largest member database: {} (the bundle needs at least that much room).",
                crate::present::human_bytes_u64(size)
            ),
            None => "No member reported its database size.".into(),
        }];
        if !self.containers.is_empty() {
            facts.push(format!(
                "etcd runs in a container here: {}.",
                self.containers
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        facts
    }
}

/// The `docker_container` of lifeboat's settings is chosen first (offered even when the Docker
/// Engine did not list it, e.g. not running yet); without one, the first container found.
fn configured_place(places: &mut Vec<Choice>, containers: &[(String, String)]) -> usize {
    let Some(name) = crate::config::current().docker_container.value.clone() else {
        return usize::from(!containers.is_empty());
    };
    if let Some(index) = places.iter().position(|p| p.value == name) {
        return index;
    }
    places.push(Choice::new(
        name.clone(),
        format!("docker exec {name} (from lifeboat's settings)"),
    ));
    places.len() - 1
}
