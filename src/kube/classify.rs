//! What became of each object of a restore, and which failures are expected.
//!
//! The procedure warns that "some resources can fail to be created (for example, pods and
//! default service accounts)". Those are told apart here from real failures: a pod or replica
//! set owned by a controller (the controller makes it again), the service accounts every
//! project gets by itself, and service-account token secrets (the new accounts get new ones).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::clean::{PROJECT_SERVICE_ACCOUNTS, controller_of, is_service_account_token};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum ObjectResult {
    Created,
    /// A server-side dry run accepted it.
    WouldCreate,
    /// It was there already: left alone, or replaced with the export's version.
    Exists {
        updated: bool,
    },
    /// Not created, and that is how it should be.
    Expected {
        reason: String,
    },
    Failed {
        reason: String,
    },
}

impl ObjectResult {
    pub fn label(&self) -> &'static str {
        match self {
            ObjectResult::Created => "created",
            ObjectResult::WouldCreate => "accepted (dry run)",
            ObjectResult::Exists { updated: false } => "already exists",
            ObjectResult::Exists { updated: true } => "updated",
            ObjectResult::Expected { .. } => "expected",
            ObjectResult::Failed { .. } => "FAILED",
        }
    }

    pub fn detail(&self) -> &str {
        match self {
            ObjectResult::Expected { reason } | ObjectResult::Failed { reason } => reason,
            _ => "",
        }
    }
}

/// One object of a restore and what became of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectOutcome {
    pub kind: String,
    pub namespace: String,
    pub name: String,
    pub result: ObjectResult,
}

/// Counts for the summary line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub created: usize,
    pub accepted: usize,
    pub existed: usize,
    pub updated: usize,
    pub expected: usize,
    pub failed: usize,
}

impl Tally {
    pub fn add(&mut self, result: &ObjectResult) {
        match result {
            ObjectResult::Created => self.created += 1,
            ObjectResult::WouldCreate => self.accepted += 1,
            ObjectResult::Exists { updated: false } => self.existed += 1,
            ObjectResult::Exists { updated: true } => self.updated += 1,
            ObjectResult::Expected { .. } => self.expected += 1,
            ObjectResult::Failed { .. } => self.failed += 1,
        }
    }

    /// "12 created, 3 already existed, 2 expected failures, 1 failed".
    pub fn summary(&self) -> String {
        let parts = [
            (self.created, "created"),
            (self.accepted, "accepted by the server's dry run"),
            (self.existed, "already existed (skipped)"),
            (self.updated, "updated"),
            (self.expected, "expected failures"),
            (self.failed, "FAILED"),
        ];
        let text: Vec<String> = parts
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, what)| format!("{n} {what}"))
            .collect();
        if text.is_empty() {
            "no objects".into()
        } else {
            text.join(", ")
        }
    }
}

/// Objects a restore does not even try to create, and why.
pub fn expected_before_create(object: &Value) -> Option<String> {
    if let Some(owner) = controller_of(object) {
        return Some(format!("owned by {owner}: its controller makes it again"));
    }
    if is_service_account_token(object) {
        return Some(
            "a service account's token: the project makes new ones for its accounts".into(),
        );
    }
    None
}

/// What a failed create means. `reason` is the API's `Status` reason (`AlreadyExists`,
/// `Invalid`, `NotFound`, ...), `message` its message.
pub fn classify_failure(
    object: &Value,
    reason: &str,
    message: &str,
    dry_run: bool,
) -> ObjectResult {
    let kind = object["kind"].as_str().unwrap_or("");
    let name = object["metadata"]["name"].as_str().unwrap_or("");
    if reason == "AlreadyExists"
        && kind == "ServiceAccount"
        && PROJECT_SERVICE_ACCOUNTS.contains(&name)
    {
        return ObjectResult::Expected {
            reason: "every project gets this service account by itself".into(),
        };
    }
    if kind == "Pod" && reason == "AlreadyExists" {
        return ObjectResult::Expected {
            reason: "its controller already made it again".into(),
        };
    }
    if dry_run && reason == "NotFound" && message.contains("namespaces") {
        return ObjectResult::Expected {
            reason: "the project does not exist yet, so the server cannot check objects in it"
                .into(),
        };
    }
    ObjectResult::Failed {
        reason: if message.is_empty() {
            reason.to_string()
        } else {
            message.to_string()
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn controller_owned_pods_and_tokens_are_expected_before_anything_is_sent() {
        let pod = json!({"kind": "Pod", "metadata": {"name": "jenkins-1-x", "ownerReferences": [
            {"kind": "ReplicationController", "name": "jenkins-1", "controller": true}]}});
        assert!(
            expected_before_create(&pod)
                .is_some_and(|why| why.contains("ReplicationController/jenkins-1"))
        );
        let token = json!({"kind": "Secret", "type": "kubernetes.io/service-account-token",
                           "metadata": {"name": "default-token-abcde"}});
        assert!(expected_before_create(&token).is_some());
        let bare = json!({"kind": "Pod", "metadata": {"name": "debug"}});
        assert_eq!(expected_before_create(&bare), None);
    }

    #[test]
    fn the_project_s_own_service_accounts_already_existing_are_expected() {
        let default = json!({"kind": "ServiceAccount", "metadata": {"name": "default"}});
        let custom = json!({"kind": "ServiceAccount", "metadata": {"name": "jenkins"}});
        assert!(matches!(
            classify_failure(
                &default,
                "AlreadyExists",
                "serviceaccounts \"default\" already exists",
                false
            ),
            ObjectResult::Expected { .. }
        ));
        assert!(matches!(
            classify_failure(&custom, "Invalid", "bad", false),
            ObjectResult::Failed { .. }
        ));
    }

    #[test]
    fn a_real_failure_keeps_the_api_s_message() {
        let service = json!({"kind": "Service", "metadata": {"name": "web"}});
        let message = "Service \"web\" is invalid: spec.ports: Required value";
        assert_eq!(
            classify_failure(&service, "Invalid", message, false),
            ObjectResult::Failed {
                reason: message.into()
            }
        );
    }

    #[test]
    fn a_dry_run_into_a_missing_project_is_not_a_failure_of_the_object() {
        let map = json!({"kind": "ConfigMap", "metadata": {"name": "c"}});
        let message = "namespaces \"shop\" not found";
        assert!(matches!(
            classify_failure(&map, "NotFound", message, true),
            ObjectResult::Expected { .. }
        ));
        assert!(matches!(
            classify_failure(&map, "NotFound", message, false),
            ObjectResult::Failed { .. }
        ));
    }

    #[test]
    fn the_summary_counts_each_outcome() {
        let mut tally = Tally::default();
        for result in [
            ObjectResult::Created,
            ObjectResult::Created,
            ObjectResult::Exists { updated: false },
            ObjectResult::Failed { reason: "x".into() },
        ] {
            tally.add(&result);
        }
        assert_eq!(
            tally.summary(),
            "2 created, 1 already existed (skipped), 1 FAILED"
        );
    }
}
