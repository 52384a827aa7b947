//! Which file of an export each object goes to, and the files themselves: `kind: List`
//! documents, as `kubectl get -o yaml` writes them and `kubectl create -f` reads them.

use std::path::Path;

use serde_json::{Value, json};

use super::order::restore_rank;

/// The procedure's file for an object of `kind` (the namespace has its own).
pub fn file_for(kind: &str) -> &'static str {
    match kind {
        "Namespace" | "Project" => "namespace.yaml",
        "Secret" => "secret.yaml",
        "ServiceAccount" => "serviceaccount.yaml",
        "PersistentVolumeClaim" => "pvc.yaml",
        "RoleBinding" => "rolebindings.yaml",
        _ => "project.yaml",
    }
}

/// Files that hold secret data and are created 0600.
pub fn mode_for(file: &str) -> u32 {
    if file == "secret.yaml" { 0o600 } else { 0o644 }
}

/// The objects as one `List`, in restore order, then by kind and name, so two exports of the
/// same project compare equal.
pub fn render_list(mut objects: Vec<Value>) -> Result<String, String> {
    objects.sort_by_key(|o| {
        (
            restore_rank(o["kind"].as_str().unwrap_or("")),
            o["kind"].as_str().unwrap_or("").to_string(),
            o["metadata"]["name"].as_str().unwrap_or("").to_string(),
        )
    });
    let list = json!({"apiVersion": "v1", "kind": "List", "metadata": {}, "items": objects});
    serde_yaml_ng::to_string(&list).map_err(|e| format!("writing YAML: {e}"))
}

/// The objects of a file: a `List`'s items, or the documents of a multi-document YAML file.
pub fn read_objects(path: &Path) -> Result<Vec<Value>, String> {
    let text =
        std::fs::read_to_string(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let mut objects = Vec::new();
    for document in serde_yaml_ng::Deserializer::from_str(&text) {
        let value: Value = serde::Deserialize::deserialize(document)
            .map_err(|e| format!("{} is not valid YAML: {e}", path.display()))?;
        match value {
            Value::Null => {}
            Value::Object(ref fields) if fields.get("kind").is_some_and(|k| k == "List") => {
                if let Some(items) = fields.get("items").and_then(Value::as_array) {
                    objects.extend(items.iter().cloned());
                }
            }
            Value::Object(_) => objects.push(value),
            other => {
                return Err(format!(
                    "{} holds {other} where an object was expected",
                    path.display()
                ));
            }
        }
    }
    Ok(objects)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_go_to_the_procedure_s_files() {
        assert_eq!(file_for("Secret"), "secret.yaml");
        assert_eq!(file_for("ServiceAccount"), "serviceaccount.yaml");
        assert_eq!(file_for("PersistentVolumeClaim"), "pvc.yaml");
        assert_eq!(file_for("RoleBinding"), "rolebindings.yaml");
        assert_eq!(file_for("DeploymentConfig"), "project.yaml");
        assert_eq!(mode_for("secret.yaml"), 0o600);
    }

    #[test]
    fn a_rendered_list_reads_back_in_restore_order() {
        let dir = tempfile::tempdir().expect("dir");
        let objects = vec![
            json!({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "b"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}}),
        ];
        let path = dir.path().join("project.yaml");
        std::fs::write(&path, render_list(objects).expect("yaml")).expect("written");
        let names: Vec<String> = read_objects(&path)
            .expect("read")
            .iter()
            .map(|o| o["metadata"]["name"].as_str().unwrap_or("").to_string())
            .collect();
        assert_eq!(names, ["a", "b", "web"]);
    }
}
