//! The part of a manifest that describes a project export.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The procedure's files, in the order its restore creates them, plus the namespace itself.
/// `(file, what it holds)`.
pub const PROJECT_FILES: [(&str, &str); 6] = [
    ("namespace.yaml", "the namespace (project) itself"),
    ("project.yaml", "every other object, like `oc export all`"),
    ("secret.yaml", "secrets (mode 0600)"),
    ("serviceaccount.yaml", "service accounts"),
    ("pvc.yaml", "persistent volume claims"),
    ("rolebindings.yaml", "role bindings"),
];

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectContents {
    pub namespace: String,
    /// The API server the objects were read from.
    pub source_server: String,
    /// `true` when the source served OpenShift's project API.
    pub openshift: bool,
    /// The kinds that were listed, as `plural.group`.
    pub kinds: Vec<String>,
    /// Kinds left out, with the reason.
    pub excluded_kinds: BTreeMap<String, String>,
    /// Objects written, per kind.
    pub counts: BTreeMap<String, u64>,
    pub files: Vec<ExportFile>,
    /// What cleaning removed, per rule (see `kube::clean`).
    pub removed: BTreeMap<String, u64>,
    /// `false` with `--no-secrets`: no `secret.yaml`.
    pub secrets_included: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportFile {
    pub name: String,
    pub objects: u64,
}

impl ProjectContents {
    pub fn total_objects(&self) -> u64 {
        self.counts.values().sum()
    }
}
