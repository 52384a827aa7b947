//! `meta.k8s.io/v1` Table answers for `kubectl get` without `-o`: the columns kubectl shows
//! for the kinds a backup deals with, name and age for the rest.

use serde_json::{Value, json};

use super::discovery::Resource;

fn age(object: &Value) -> String {
    let Some(created) = object["metadata"]["creationTimestamp"]
        .as_str()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
    else {
        return "<unknown>".into();
    };
    let seconds = jiff::Timestamp::now().as_second() - created.as_second();
    match seconds {
        s if s < 120 => format!("{}s", s.max(0)),
        s if s < 7200 => format!("{}m", s / 60),
        s if s < 172_800 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86_400),
    }
}

fn text(value: &Value) -> Value {
    match value {
        Value::Null => json!("<none>"),
        Value::String(_) => value.clone(),
        other => json!(other.to_string()),
    }
}

/// A column's title and how to read its cell from an object.
type Column = (&'static str, fn(&Value) -> Value);

/// The extra columns of a kind.
fn columns(kind: &str) -> Vec<Column> {
    match kind {
        "Namespace" | "Project" => vec![("Status", |o| text(&o["status"]["phase"]))],
        "Pod" => vec![
            ("Ready", |o| {
                let statuses = o["status"]["containerStatuses"].as_array();
                let total = statuses.map_or(0, Vec::len);
                let ready = statuses.map_or(0, |s| s.iter().filter(|c| c["ready"] == true).count());
                json!(format!("{ready}/{total}"))
            }),
            ("Status", |o| text(&o["status"]["phase"])),
            ("Restarts", |_| json!(0)),
        ],
        "Service" => vec![
            ("Type", |o| text(&o["spec"]["type"])),
            ("Cluster-IP", |o| text(&o["spec"]["clusterIP"])),
        ],
        "PersistentVolumeClaim" => vec![
            ("Status", |o| text(&o["status"]["phase"])),
            ("Volume", |o| text(&o["spec"]["volumeName"])),
        ],
        "Deployment" | "DeploymentConfig" | "ReplicaSet" | "ReplicationController" => vec![
            ("Desired", |o| text(&o["spec"]["replicas"])),
            ("Ready", |o| text(&o["status"]["readyReplicas"])),
        ],
        "Secret" => vec![("Type", |o| text(&o["type"]))],
        _ => Vec::new(),
    }
}

pub fn render(resource: &Resource, items: &[Value]) -> Value {
    let extra = columns(resource.kind);
    let mut definitions = vec![
        json!({"name": "Name", "type": "string", "format": "name", "description": "Name", "priority": 0}),
    ];
    for (name, _) in &extra {
        definitions.push(json!({"name": name, "type": "string", "format": "", "description": name, "priority": 0}));
    }
    definitions.push(
        json!({"name": "Age", "type": "string", "format": "", "description": "Age", "priority": 0}),
    );
    let rows: Vec<Value> = items
        .iter()
        .map(|object| {
            let mut cells = vec![object["metadata"]["name"].clone()];
            cells.extend(extra.iter().map(|(_, cell)| cell(object)));
            cells.push(json!(age(object)));
            json!({"cells": cells, "object": object})
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {},
        "columnDefinitions": definitions,
        "rows": rows,
    })
}
