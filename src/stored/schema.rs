//! The schemas build.rs embedded: the descriptor set of every Kubernetes and OpenShift 3
//! `.proto`, and the Go field metadata the API's JSON needs, read once on first use.

use std::collections::HashMap;
use std::sync::OnceLock;

use prost_reflect::{DescriptorPool, MessageDescriptor};

const DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/kube_schemas.fds"));
const FIELDS: &str = include_str!(concat!(env!("OUT_DIR"), "/kube_fields.txt"));

/// How the Go struct writes one field as JSON.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GoField {
    pub number: u32,
    pub json: String,
    pub omitempty: bool,
    /// A Go pointer: written whenever it is set, even to a zero value.
    pub pointer: bool,
    /// Its fields are written into the parent's object (`Volume.volumeSource`).
    pub inline: bool,
}

/// What the Go side says of one message.
#[derive(Clone, Debug, Default)]
pub struct GoType {
    /// Fields in Go's order, which is the order the API writes them in.
    pub fields: Vec<GoField>,
    /// A Go slice or map type that the protobuf wraps as a message of `items`.
    pub wrapper: bool,
}

pub struct Schema {
    pub pool: DescriptorPool,
    types: HashMap<String, GoType>,
}

/// The embedded schemas; `Err` only if the build embedded something unreadable.
pub fn schema() -> Result<&'static Schema, String> {
    static SCHEMA: OnceLock<Result<Schema, String>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let pool = DescriptorPool::decode(DESCRIPTORS)
                .map_err(|e| format!("the embedded Kubernetes schemas do not load: {e}"))?;
            Ok(Schema {
                pool,
                types: parse_fields(FIELDS),
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

fn parse_fields(text: &str) -> HashMap<String, GoType> {
    let mut types: HashMap<String, GoType> = HashMap::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        let mut words = line.split(' ');
        match (words.next(), words.next(), words.next(), words.next()) {
            (Some("M"), Some(name), None, None) => {
                types.entry(name.to_string()).or_default();
                current = Some(name.to_string());
            }
            (Some("W"), Some(name), None, None) => {
                types.entry(name.to_string()).or_default().wrapper = true;
                current = None;
            }
            (Some("F"), Some(number), Some(json), Some(flags)) => {
                let (Some(name), Ok(number)) = (&current, number.parse()) else {
                    continue;
                };
                if let Some(go) = types.get_mut(name) {
                    go.fields.push(GoField {
                        number,
                        json: json.to_string(),
                        omitempty: flags.contains('o'),
                        pointer: flags.contains('p'),
                        inline: flags.contains('i'),
                    });
                }
            }
            _ => {}
        }
    }
    types
}

impl Schema {
    pub fn go_type(&self, message: &str) -> Option<&GoType> {
        self.types.get(message)
    }

    /// The message an object of `apiVersion` and `kind` is stored as, if a schema has it.
    pub fn message_for(&self, api_version: &str, kind: &str) -> Option<MessageDescriptor> {
        packages_for(api_version)
            .into_iter()
            .find_map(|package| self.pool.get_message_by_name(&format!("{package}.{kind}")))
    }
}

/// The proto packages that may hold the kinds of `apiVersion`: `apps/v1` is
/// `k8s.io.api.apps.v1`, `route.openshift.io/v1` is `github.com.openshift.api.route.v1`,
/// and OpenShift 3's legacy `v1` (no group) is core's or any of OpenShift's v1.
pub fn packages_for(api_version: &str) -> Vec<String> {
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    if !version.chars().all(|c| c.is_ascii_alphanumeric()) || version.is_empty() {
        return Vec::new();
    }
    let label = group.split('.').next().unwrap_or("");
    if group.is_empty() {
        let mut packages = vec![format!("k8s.io.api.core.{version}")];
        for legacy in [
            "apps",
            "authorization",
            "build",
            "image",
            "network",
            "oauth",
            "project",
            "quota",
            "route",
            "security",
            "template",
            "user",
        ] {
            packages.push(format!("github.com.openshift.api.{legacy}.{version}"));
        }
        packages
    } else if group.ends_with(".openshift.io") {
        vec![format!("github.com.openshift.api.{label}.{version}")]
    } else {
        vec![format!("k8s.io.api.{label}.{version}")]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_schemas_know_core_openshift_and_their_go_fields() {
        let schema = schema().expect("schemas");
        assert!(schema.message_for("v1", "Pod").is_some());
        assert!(schema.message_for("batch/v1", "Job").is_some());
        assert!(
            schema
                .message_for("route.openshift.io/v1", "Route")
                .is_some()
        );
        assert!(schema.message_for("v1", "DeploymentConfig").is_some());
        assert!(schema.message_for("example.com/v1", "Widget").is_none());
        let volume = schema
            .go_type("k8s.io.api.core.v1.Volume")
            .expect("Volume's Go fields");
        assert!(volume.fields.iter().any(|f| f.inline && f.number == 2));
        let spec = schema
            .go_type("k8s.io.api.batch.v1.JobSpec")
            .expect("JobSpec");
        let parallelism = &spec.fields[0];
        assert_eq!(parallelism.json, "parallelism");
        assert!(parallelism.pointer && parallelism.omitempty);
        assert!(
            schema
                .go_type("github.com.openshift.api.authorization.v1.OptionalNames")
                .is_some_and(|t| t.wrapper)
        );
    }
}
