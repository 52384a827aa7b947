//! The reverse of `to_json`: an object as the API's JSON, encoded as an API server stores a
//! built-in kind (`k8s\0` + `runtime.Unknown` + the object's protobuf). lifeboat reads
//! snapshots and never writes this; the sandbox's emulated API server does, so that a backup
//! of the sandbox holds its objects as a real cluster's does.
//!
//! An object the schemas cannot hold whole (a field they lack, a value of the wrong type) is
//! refused rather than stored with a part missing: the caller stores it as JSON instead.

use base64::Engine as _;
use prost::Message as _;
use prost_reflect::{
    DynamicMessage, Kind, MapKey, MessageDescriptor, ReflectMessage, Value as Proto,
};
use serde_json::{Map, Value};

use super::envelope::{PROTOBUF_MAGIC, decode_stored};
use super::schema::{Schema, schema};

const UNKNOWN: &str = "k8s.io.apimachinery.pkg.runtime.Unknown";

/// `object` in the protobuf storage encoding, or why it cannot be (no schema for its kind,
/// or something the schema would lose).
pub fn encode_stored(object: &Value) -> Result<Vec<u8>, String> {
    let schema = schema()?;
    let api_version = object["apiVersion"].as_str().unwrap_or("");
    let kind = object["kind"].as_str().unwrap_or("");
    let descriptor = schema
        .message_for(api_version, kind)
        .ok_or_else(|| format!("no schema for {kind} ({api_version})"))?;
    // A real server never stores resourceVersion: etcd's revision is the version.
    let mut stored = object.clone();
    if let Some(metadata) = stored["metadata"].as_object_mut() {
        metadata.remove("resourceVersion");
    }
    let Value::Object(fields) = &stored else {
        return Err("not an object".into());
    };
    let mut fields = fields.clone();
    fields.remove("apiVersion");
    fields.remove("kind");
    let message = object_message(schema, &descriptor, &fields, "")?;
    let envelope = envelope(schema, api_version, kind, message.encode_to_vec())?;
    let mut bytes = PROTOBUF_MAGIC.to_vec();
    bytes.extend(envelope.encode_to_vec());
    // What the schemas cannot say back (defaults aside) must not be stored this way.
    let back = decode_stored(&bytes)
        .object
        .ok_or("the encoded object does not read back")?;
    if pruned(&back) != pruned(&stored) {
        return Err(format!("{kind} does not read back the same"));
    }
    Ok(bytes)
}

fn envelope(
    schema: &Schema,
    api_version: &str,
    kind: &str,
    raw: Vec<u8>,
) -> Result<DynamicMessage, String> {
    let descriptor = schema
        .pool
        .get_message_by_name(UNKNOWN)
        .ok_or("no runtime.Unknown in the schemas")?;
    let type_meta = descriptor
        .get_field(1)
        .and_then(|f| f.kind().as_message().cloned())
        .ok_or("runtime.Unknown has no typeMeta")?;
    let mut meta = DynamicMessage::new(type_meta);
    meta.set_field_by_number(1, Proto::String(api_version.into()));
    meta.set_field_by_number(2, Proto::String(kind.into()));
    let mut unknown = DynamicMessage::new(descriptor);
    unknown.set_field_by_number(1, Proto::Message(meta));
    unknown.set_field_by_number(2, Proto::Bytes(raw.into()));
    unknown.set_field_by_number(3, Proto::String(String::new()));
    unknown.set_field_by_number(4, Proto::String(String::new()));
    Ok(unknown)
}

/// An object's fields into `descriptor`, by the Go JSON names; a key nobody takes is refused.
fn object_message(
    schema: &Schema,
    descriptor: &MessageDescriptor,
    fields: &Map<String, Value>,
    path: &str,
) -> Result<DynamicMessage, String> {
    let mut message = DynamicMessage::new(descriptor.clone());
    let mut taken = std::collections::BTreeSet::new();
    fill(schema, &mut message, fields, path, &mut taken)?;
    if let Some(left) = fields.keys().find(|k| !taken.contains(*k)) {
        return Err(format!("{path}.{left} is not in the schema"));
    }
    Ok(message)
}

fn fill(
    schema: &Schema,
    message: &mut DynamicMessage,
    fields: &Map<String, Value>,
    path: &str,
    taken: &mut std::collections::BTreeSet<String>,
) -> Result<(), String> {
    let descriptor = message.descriptor();
    let go = schema
        .go_type(descriptor.full_name())
        .ok_or_else(|| format!("{path}: no Go type for {}", descriptor.full_name()))?;
    for go_field in &go.fields {
        let Some(field) = descriptor.get_field(go_field.number) else {
            continue;
        };
        if go_field.inline {
            let Kind::Message(inner) = field.kind() else {
                continue;
            };
            let mut child = DynamicMessage::new(inner);
            fill(schema, &mut child, fields, path, taken)?;
            message.set_field(&field, Proto::Message(child));
            continue;
        }
        taken.insert(go_field.json.clone());
        let Some(value) = fields.get(&go_field.json).filter(|v| !v.is_null()) else {
            continue;
        };
        let child_path = format!("{path}.{}", go_field.json);
        let converted = if field.is_map() {
            let Kind::Message(entry) = field.kind() else {
                continue;
            };
            let value_kind = entry.map_entry_value_field().kind();
            let Value::Object(entries) = value else {
                return Err(format!("{child_path} is not an object"));
            };
            let mut map = std::collections::HashMap::new();
            for (key, item) in entries {
                let item = single(schema, &value_kind, item, &format!("{child_path}.{key}"))?;
                map.insert(MapKey::String(key.clone()), item);
            }
            Proto::Map(map)
        } else if field.is_list() {
            let Value::Array(items) = value else {
                return Err(format!("{child_path} is not a list"));
            };
            Proto::List(
                items
                    .iter()
                    .map(|item| single(schema, &field.kind(), item, &child_path))
                    .collect::<Result<_, _>>()?,
            )
        } else {
            single(schema, &field.kind(), value, &child_path)?
        };
        message.set_field(&field, converted);
    }
    Ok(())
}

fn single(schema: &Schema, kind: &Kind, value: &Value, path: &str) -> Result<Proto, String> {
    let wrong = || format!("{path}: {value} does not fit the schema");
    Ok(match kind {
        Kind::Message(descriptor) => Proto::Message(message_of(schema, descriptor, value, path)?),
        Kind::String => Proto::String(value.as_str().ok_or_else(wrong)?.to_string()),
        Kind::Bytes => Proto::Bytes(
            base64::engine::general_purpose::STANDARD
                .decode(value.as_str().ok_or_else(wrong)?)
                .map_err(|_| wrong())?
                .into(),
        ),
        Kind::Bool => Proto::Bool(value.as_bool().ok_or_else(wrong)?),
        Kind::Int32 | Kind::Sint32 | Kind::Sfixed32 | Kind::Enum(_) => Proto::I32(
            value
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(wrong)?,
        ),
        Kind::Int64 | Kind::Sint64 | Kind::Sfixed64 => {
            Proto::I64(value.as_i64().ok_or_else(wrong)?)
        }
        Kind::Uint32 | Kind::Fixed32 => Proto::U32(
            value
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .ok_or_else(wrong)?,
        ),
        Kind::Uint64 | Kind::Fixed64 => Proto::U64(value.as_u64().ok_or_else(wrong)?),
        Kind::Float => Proto::F32(value.as_f64().ok_or_else(wrong)? as f32),
        Kind::Double => Proto::F64(value.as_f64().ok_or_else(wrong)?),
    })
}

/// A message from its JSON, the apimachinery types that write themselves included.
fn message_of(
    schema: &Schema,
    descriptor: &MessageDescriptor,
    value: &Value,
    path: &str,
) -> Result<DynamicMessage, String> {
    let mut message = DynamicMessage::new(descriptor.clone());
    let name = descriptor.full_name();
    let wrong = || format!("{path}: {value} does not fit {name}");
    match name.strip_prefix("k8s.io.apimachinery.pkg.").unwrap_or("") {
        "apis.meta.v1.Time" | "apis.meta.v1.MicroTime" => {
            let at: jiff::Timestamp = value
                .as_str()
                .ok_or_else(wrong)?
                .parse()
                .map_err(|_| wrong())?;
            message.set_field_by_number(1, Proto::I64(at.as_second()));
            if name.ends_with("MicroTime") {
                message.set_field_by_number(2, Proto::I32(at.subsec_nanosecond()));
            }
        }
        "api.resource.Quantity" => {
            let text = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(wrong()),
            };
            message.set_field_by_number(1, Proto::String(text));
        }
        "util.intstr.IntOrString" => match value {
            Value::String(s) => {
                message.set_field_by_number(1, Proto::I64(1));
                message.set_field_by_number(3, Proto::String(s.clone()));
            }
            Value::Number(n) => {
                let n = n
                    .as_i64()
                    .and_then(|n| i32::try_from(n).ok())
                    .ok_or_else(wrong)?;
                message.set_field_by_number(1, Proto::I64(0));
                message.set_field_by_number(2, Proto::I32(n));
            }
            _ => return Err(wrong()),
        },
        "runtime.RawExtension" => {
            let raw = serde_json::to_vec(value).map_err(|_| wrong())?;
            message.set_field_by_number(1, Proto::Bytes(raw.into()));
        }
        // Durations are written by no kind the sandbox serves: refused, stored as JSON.
        "apis.meta.v1.Duration" => return Err(wrong()),
        _ => {
            if schema.go_type(name).is_some_and(|go| go.wrapper) {
                return wrapper(schema, descriptor, value, path);
            }
            let Value::Object(fields) = value else {
                return Err(wrong());
            };
            return object_message(schema, descriptor, fields, path);
        }
    }
    Ok(message)
}

/// A Go slice or map type, wrapped by the protobuf as `{items}`.
fn wrapper(
    schema: &Schema,
    descriptor: &MessageDescriptor,
    value: &Value,
    path: &str,
) -> Result<DynamicMessage, String> {
    let mut message = DynamicMessage::new(descriptor.clone());
    let field = descriptor.get_field(1).ok_or("a wrapper without items")?;
    let Value::Array(items) = value else {
        return Err(format!("{path} is not a list"));
    };
    let list = items
        .iter()
        .map(|item| single(schema, &field.kind(), item, path))
        .collect::<Result<_, _>>()?;
    message.set_field(&field, Proto::List(list));
    Ok(message)
}

/// `value` with empty values (null, "", 0, false, [], {}) left out at every level: what the
/// storage encoding keeps, and what two versions of an object are compared by.
pub fn pruned(value: &Value) -> Value {
    match value {
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(k, v)| (k.clone(), pruned(v)))
                .filter(|(_, v)| !super::to_json::is_zero(v))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(pruned).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_real_job_encodes_and_reads_back_the_same() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kube-storage");
        let job: Value =
            serde_json::from_slice(&std::fs::read(dir.join("job.json")).expect("job.json"))
                .expect("JSON");
        let bytes = encode_stored(&job).expect("encodes");
        assert_eq!(decode_stored(&bytes).object, Some(job));
    }

    #[test]
    fn built_in_kinds_with_every_special_type_read_back() {
        let service = json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "shop", "labels": {"app": "web"},
                "creationTimestamp": "2026-01-02T03:04:05Z", "resourceVersion": "7"},
            "spec": {"ports": [{"port": 80, "targetPort": 8080, "protocol": "TCP"},
                {"name": "x", "port": 81, "targetPort": "http"}],
                "selector": {"app": "web"}, "clusterIP": "10.0.0.1"}});
        let bytes = encode_stored(&service).expect("encodes");
        let back = decode_stored(&bytes).object.expect("reads");
        assert_eq!(back["spec"]["ports"][1]["targetPort"], "http");
        assert_eq!(back["spec"]["ports"][0]["targetPort"], 8080);
        assert_eq!(
            back["metadata"]["creationTimestamp"],
            "2026-01-02T03:04:05Z"
        );
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "db", "namespace": "shop"}, "data": {"password": "c2VjcmV0"}});
        let back = decode_stored(&encode_stored(&secret).expect("encodes")).object;
        assert_eq!(back.expect("reads")["data"]["password"], "c2VjcmV0");
        let pvc = json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
            "metadata": {"name": "data", "namespace": "shop"},
            "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}});
        let back = decode_stored(&encode_stored(&pvc).expect("encodes")).object;
        assert_eq!(
            back.expect("reads")["spec"]["resources"]["requests"]["storage"],
            "1Gi"
        );
    }

    #[test]
    fn what_the_schema_would_lose_is_refused() {
        let newer = json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a"}, "data": {"k": "v"}, "binaryData": {}, "immutable": true});
        assert!(
            encode_stored(&newer)
                .expect_err("refused")
                .contains("immutable")
        );
        let custom = json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {}});
        assert!(encode_stored(&custom).is_err());
        let wrong = json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": 5}});
        assert!(encode_stored(&wrong).is_err());
    }
}
