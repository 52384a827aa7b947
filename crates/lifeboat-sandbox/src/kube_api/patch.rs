//! JSON merge patch (RFC 7386), which also stands in for strategic merge and server-side
//! apply, and the add/replace/remove/test operations of JSON patch (RFC 6902).

use serde_json::Value;

use super::status::{ApiError, ApiResult};

/// Null deletes a field, objects merge, anything else replaces.
pub fn merge_patch(mut target: Value, patch: &Value) -> Value {
    let Some(fields) = patch.as_object() else {
        return patch.clone();
    };
    if !target.is_object() {
        target = Value::Object(serde_json::Map::new());
    }
    if let Some(map) = target.as_object_mut() {
        for (key, value) in fields {
            if value.is_null() {
                map.remove(key);
            } else {
                let current = map.remove(key).unwrap_or(Value::Null);
                map.insert(key.clone(), merge_patch(current, value));
            }
        }
    }
    target
}

fn unescape(token: &str) -> String {
    token.replace("~1", "/").replace("~0", "~")
}

/// The parent of a JSON pointer's target and the last token.
fn split(path: &str) -> ApiResult<(String, String)> {
    let (parent, last) = path
        .rsplit_once('/')
        .ok_or_else(|| ApiError::BadRequest(format!("invalid JSON pointer {path:?}")))?;
    Ok((parent.to_string(), unescape(last)))
}

pub fn apply_json_patch(mut target: Value, operations: &Value) -> ApiResult<Value> {
    let operations = operations
        .as_array()
        .ok_or_else(|| ApiError::BadRequest("a JSON patch is an array of operations".into()))?;
    for operation in operations {
        let op = operation["op"].as_str().unwrap_or("");
        let path = operation["path"].as_str().unwrap_or("");
        let (parent, last) = split(path)?;
        let missing = || ApiError::Invalid {
            group: String::new(),
            kind: "patch".into(),
            name: path.into(),
            causes: vec![(path.into(), "the path does not exist".into())],
        };
        if op == "test" {
            if target.pointer(path) != Some(&operation["value"]) {
                return Err(missing());
            }
            continue;
        }
        let container = target.pointer_mut(&parent).ok_or_else(missing)?;
        match (op, container) {
            ("add" | "replace", Value::Object(map)) => {
                if op == "replace" && !map.contains_key(&last) {
                    return Err(missing());
                }
                map.insert(last, operation["value"].clone());
            }
            ("add", Value::Array(items)) if last == "-" => items.push(operation["value"].clone()),
            ("add" | "replace", Value::Array(items)) => {
                let index: usize = last.parse().map_err(|_| missing())?;
                if op == "add" && index <= items.len() {
                    items.insert(index, operation["value"].clone());
                } else if let Some(slot) = items.get_mut(index) {
                    *slot = operation["value"].clone();
                } else {
                    return Err(missing());
                }
            }
            ("remove", Value::Object(map)) => {
                map.remove(&last).ok_or_else(missing)?;
            }
            ("remove", Value::Array(items)) => {
                let index: usize = last.parse().map_err(|_| missing())?;
                if index >= items.len() {
                    return Err(missing());
                }
                items.remove(index);
            }
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "unsupported JSON patch operation {op:?} at {path:?}"
                )));
            }
        }
    }
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_merges_and_deletes() {
        let target = json!({"a": {"b": 1, "c": 2}, "d": [1]});
        let patched = merge_patch(target, &json!({"a": {"b": null, "e": 3}, "d": [2]}));
        assert_eq!(patched, json!({"a": {"c": 2, "e": 3}, "d": [2]}));
    }

    #[test]
    fn json_patch_operations() {
        let target = json!({"spec": {"replicas": 1, "list": [1, 2]}});
        let ops = json!([
            {"op": "replace", "path": "/spec/replicas", "value": 0},
            {"op": "add", "path": "/spec/list/-", "value": 3},
            {"op": "remove", "path": "/spec/list/0"},
        ]);
        let patched = apply_json_patch(target, &ops).expect("applies");
        assert_eq!(patched, json!({"spec": {"replicas": 0, "list": [2, 3]}}));
        let bad = json!([{"op": "replace", "path": "/nope/x", "value": 1}]);
        assert!(apply_json_patch(json!({}), &bad).is_err());
    }
}
