//! A Kubernetes protobuf message as the API server writes it as JSON.
//!
//! The protobuf alone does not give the JSON: Go leaves out zero values under `omitempty` but
//! writes a set pointer even when zero, never leaves out a struct, merges inlined structs into
//! their parent, and some apimachinery types write themselves (times as RFC 3339, quantities
//! and durations as strings, int-or-string as either). The Go metadata build.rs read says
//! which field is which. Fields the schema does not know are reported with their path, never
//! dropped silently.

use base64::Engine as _;
use prost_reflect::{
    DynamicMessage, FieldDescriptor, Kind, MapKey, ReflectMessage, Value as Proto,
};
use serde_json::{Map, Value};

use super::schema::{GoField, Schema};

/// Converts `message`, adding to `unknown` one line per field the schema lacks.
pub fn message_json(
    schema: &Schema,
    message: &DynamicMessage,
    path: &str,
    unknown: &mut Vec<String>,
) -> Value {
    for field in message.unknown_fields() {
        unknown.push(format!(
            "{}field {} is not in the schema",
            if path.is_empty() {
                String::new()
            } else {
                format!("{path}: ")
            },
            field.number()
        ));
    }
    let descriptor = message.descriptor();
    if let Some(special) = special_json(descriptor.full_name(), message, path, unknown) {
        return special;
    }
    let Some(go) = schema.go_type(descriptor.full_name()) else {
        return proto_named(schema, message, path, unknown);
    };
    if go.wrapper {
        // A Go `[]string` or map the protobuf wraps as `{items}`: the JSON is the items.
        return match descriptor.get_field(1) {
            Some(items) => field_json(schema, message, &items, path, unknown),
            None => Value::Null,
        };
    }
    let mut out = Map::new();
    for go_field in &go.fields {
        let Some(field) = descriptor.get_field(go_field.number) else {
            continue;
        };
        emit(schema, message, &field, go_field, path, &mut out, unknown);
    }
    Value::Object(out)
}

/// A message whose Go type build.rs did not find: written by its proto names, zero values
/// left out.
fn proto_named(
    schema: &Schema,
    message: &DynamicMessage,
    path: &str,
    unknown: &mut Vec<String>,
) -> Value {
    let mut out = Map::new();
    for (field, _) in message.fields() {
        let value = field_json(schema, message, &field, path, unknown);
        out.insert(field.json_name().to_string(), value);
    }
    Value::Object(out)
}

fn emit(
    schema: &Schema,
    message: &DynamicMessage,
    field: &FieldDescriptor,
    go: &GoField,
    path: &str,
    out: &mut Map<String, Value>,
    unknown: &mut Vec<String>,
) {
    let child_path = if path.is_empty() {
        go.json.clone()
    } else {
        format!("{path}.{}", go.json)
    };
    let present = message.has_field(field);
    if field.is_list() || field.is_map() {
        if !present {
            if !go.omitempty {
                out.insert(go.json.clone(), Value::Null);
            }
            return;
        }
    } else if go.pointer && !present {
        if !go.omitempty {
            out.insert(go.json.clone(), Value::Null);
        }
        return;
    }
    let value = field_json(schema, message, field, &child_path, unknown);
    if go.inline {
        if let Value::Object(fields) = value {
            out.extend(fields);
        }
        return;
    }
    let is_message = matches!(field.kind(), Kind::Message(_));
    // Go's omitempty never leaves out a struct; the types that write themselves (a zero time)
    // are left out when they write nothing.
    let empty = if is_message {
        value.is_null()
    } else {
        !go.pointer && is_zero(&value)
    };
    if go.omitempty && empty {
        return;
    }
    out.insert(go.json.clone(), value);
}

/// Go's zero value as JSON shows it: what `omitempty` leaves out (and what the storage
/// encoding does not keep).
pub(super) fn is_zero(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Bool(b) => !b,
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
    }
}

fn field_json(
    schema: &Schema,
    message: &DynamicMessage,
    field: &FieldDescriptor,
    path: &str,
    unknown: &mut Vec<String>,
) -> Value {
    let value = message.get_field(field);
    match value.as_ref() {
        Proto::List(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, item)| scalar_json(schema, item, &format!("{path}[{i}]"), unknown))
                .collect(),
        ),
        Proto::Map(entries) => {
            let mut sorted: Vec<(String, &Proto)> = entries
                .iter()
                .map(|(key, value)| (map_key(key), value))
                .collect();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let mut out = Map::new();
            for (key, value) in sorted {
                let json = scalar_json(schema, value, &format!("{path}[{key}]"), unknown);
                out.insert(key, json);
            }
            Value::Object(out)
        }
        other => scalar_json(schema, other, path, unknown),
    }
}

fn map_key(key: &MapKey) -> String {
    match key {
        MapKey::Bool(b) => b.to_string(),
        MapKey::I32(n) => n.to_string(),
        MapKey::I64(n) => n.to_string(),
        MapKey::U32(n) => n.to_string(),
        MapKey::U64(n) => n.to_string(),
        MapKey::String(s) => s.clone(),
    }
}

fn scalar_json(schema: &Schema, value: &Proto, path: &str, unknown: &mut Vec<String>) -> Value {
    match value {
        Proto::Bool(b) => Value::Bool(*b),
        Proto::I32(n) | Proto::EnumNumber(n) => Value::from(*n),
        Proto::I64(n) => Value::from(*n),
        Proto::U32(n) => Value::from(*n),
        Proto::U64(n) => Value::from(*n),
        Proto::F32(n) => Value::from(f64::from(*n)),
        Proto::F64(n) => Value::from(*n),
        Proto::String(s) => Value::String(s.clone()),
        Proto::Bytes(b) => Value::String(base64::engine::general_purpose::STANDARD.encode(b)),
        Proto::Message(m) => message_json(schema, m, path, unknown),
        // Lists and maps only hold the kinds above.
        Proto::List(_) | Proto::Map(_) => Value::Null,
    }
}

/// The apimachinery types that write their own JSON.
fn special_json(
    name: &str,
    message: &DynamicMessage,
    path: &str,
    unknown: &mut Vec<String>,
) -> Option<Value> {
    let int = |n: u32| {
        message
            .get_field_by_number(n)
            .and_then(|v| v.as_i64().or(v.as_i32().map(i64::from)))
            .unwrap_or(0)
    };
    let text = |n: u32| {
        message
            .get_field_by_number(n)
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    };
    Some(match name.strip_prefix("k8s.io.apimachinery.pkg.")? {
        "apis.meta.v1.Time" => time_json(int(1), 0, false),
        "apis.meta.v1.MicroTime" => time_json(int(1), int(2), true),
        "apis.meta.v1.Duration" => Value::String(go_duration(int(1))),
        "api.resource.Quantity" => {
            let q = text(1);
            Value::String(if q.is_empty() { "0".into() } else { q })
        }
        "util.intstr.IntOrString" => {
            if int(1) == 1 {
                Value::String(text(3))
            } else {
                Value::from(int(2))
            }
        }
        "runtime.RawExtension" => {
            let raw = message
                .get_field_by_number(1)
                .and_then(|v| v.as_bytes().map(|b| b.to_vec()))
                .unwrap_or_default();
            if raw.is_empty() {
                Value::Null
            } else {
                serde_json::from_slice(&raw).unwrap_or_else(|_| {
                    unknown.push(format!("{path}: an embedded object that is not JSON"));
                    Value::Null
                })
            }
        }
        _ => return None,
    })
}

/// A `metav1.Time` (seconds) or `MicroTime` (microseconds) in RFC 3339, UTC; zero is `null`.
fn time_json(seconds: i64, nanos: i64, micro: bool) -> Value {
    if seconds == 0 && nanos == 0 {
        return Value::Null;
    }
    let Ok(at) = jiff::Timestamp::new(seconds, i32::try_from(nanos).unwrap_or(0)) else {
        return Value::Null;
    };
    let format = if micro {
        "%Y-%m-%dT%H:%M:%S%.6fZ"
    } else {
        "%Y-%m-%dT%H:%M:%SZ"
    };
    Value::String(at.strftime(format).to_string())
}

/// Go's `time.Duration.String()`: `1h2m3.5s`, `150ms`, `0s`.
pub fn go_duration(nanos: i64) -> String {
    if nanos == 0 {
        return "0s".into();
    }
    let sign = if nanos < 0 { "-" } else { "" };
    let n = nanos.unsigned_abs();
    if n < 1_000_000_000 {
        let (unit, div) = match n {
            0..1_000 => ("ns", 1),
            1_000..1_000_000 => ("µs", 1_000),
            _ => ("ms", 1_000_000),
        };
        return format!("{sign}{}{unit}", fraction(n, div));
    }
    let hours = n / 3_600_000_000_000;
    let minutes = n / 60_000_000_000 % 60;
    let seconds = fraction(n % 60_000_000_000, 1_000_000_000);
    let mut out = sign.to_string();
    if hours > 0 {
        out += &format!("{hours}h");
    }
    if hours > 0 || minutes > 0 {
        out += &format!("{minutes}m");
    }
    out + &format!("{seconds}s")
}

/// `n / div` with the fraction's trailing zeros trimmed.
fn fraction(n: u64, div: u64) -> String {
    let whole = n / div;
    let rest = n % div;
    if rest == 0 {
        return whole.to_string();
    }
    let width = (div as f64).log10().round() as usize;
    let digits = format!("{rest:0width$}");
    format!("{whole}.{}", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_go_writes_them() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(3_600_000_000_000), "1h0m0s");
        assert_eq!(go_duration(90_500_000_000), "1m30.5s");
        assert_eq!(go_duration(150_000_000), "150ms");
        assert_eq!(go_duration(-2_000_000_000), "-2s");
    }

    #[test]
    fn times_are_rfc3339_and_zero_is_null() {
        assert_eq!(time_json(0, 0, false), Value::Null);
        assert_eq!(
            time_json(1_498_581_334, 0, false),
            Value::String("2017-06-27T16:35:34Z".into())
        );
        assert_eq!(
            time_json(1_498_581_334, 5_000, true),
            Value::String("2017-06-27T16:35:34.000005Z".into())
        );
    }
}
