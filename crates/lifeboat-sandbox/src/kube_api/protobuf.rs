//! Just enough of Kubernetes' protobuf encoding to read what kubectl's typed clients send:
//! `kubectl create namespace|configmap|secret|serviceaccount` post protobuf to any server and
//! do not fall back to JSON on 415 for that first request. Everything else arrives as JSON.
//!
//! The envelope is `k8s\0` and a `runtime.Unknown` (1: TypeMeta {1 apiVersion, 2 kind},
//! 2: the object's bytes); field numbers are those of k8s.io/api's generated.proto.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde_json::{Map, Value, json};

use super::status::{ApiError, ApiResult};

enum Field<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    Fixed,
}

fn varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *bytes.get(*at)?;
        *at += 1;
        value |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// The fields of one message, in order.
fn fields(bytes: &[u8]) -> Option<Vec<(u64, Field<'_>)>> {
    let mut at = 0;
    let mut out = Vec::new();
    while at < bytes.len() {
        let key = varint(bytes, &mut at)?;
        let field = match key & 7 {
            0 => Field::Varint(varint(bytes, &mut at)?),
            1 => {
                at += 8;
                Field::Fixed
            }
            2 => {
                let len = usize::try_from(varint(bytes, &mut at)?).ok()?;
                let slice = bytes.get(at..at.checked_add(len)?)?;
                at += len;
                Field::Bytes(slice)
            }
            5 => {
                at += 4;
                Field::Fixed
            }
            _ => return None,
        };
        out.push((key >> 3, field));
    }
    Some(out)
}

fn text(bytes: &[u8]) -> Value {
    json!(String::from_utf8_lossy(bytes))
}

/// A `map<string, string>` entry (1: key, 2: value); bytes values become base64.
fn map_entry(bytes: &[u8], base64: bool) -> Option<(String, Value)> {
    let (mut key, mut value) = (String::new(), Vec::new());
    for (number, field) in fields(bytes)? {
        match (number, field) {
            (1, Field::Bytes(b)) => key = String::from_utf8_lossy(b).into_owned(),
            (2, Field::Bytes(b)) => value = b.to_vec(),
            _ => {}
        }
    }
    let value = if base64 {
        json!(BASE64.encode(&value))
    } else {
        json!(String::from_utf8_lossy(&value))
    };
    Some((key, value))
}

fn insert_entry(object: &mut Value, name: &str, bytes: &[u8], base64: bool) -> Option<()> {
    let (key, value) = map_entry(bytes, base64)?;
    if !object[name].is_object() {
        object[name] = Value::Object(Map::new());
    }
    object[name][key] = value;
    Some(())
}

fn object_meta(bytes: &[u8]) -> Option<Value> {
    let mut meta = json!({});
    for (number, field) in fields(bytes)? {
        let Field::Bytes(b) = field else { continue };
        match number {
            1 => meta["name"] = text(b),
            2 => meta["generateName"] = text(b),
            3 => meta["namespace"] = text(b),
            11 => insert_entry(&mut meta, "labels", b, false)?,
            12 => insert_entry(&mut meta, "annotations", b, false)?,
            _ => {}
        }
    }
    Some(meta)
}

fn decode_object(kind: &str, bytes: &[u8]) -> Option<Value> {
    let mut object = json!({});
    for (number, field) in fields(bytes)? {
        match (kind, number, field) {
            (_, 1, Field::Bytes(b)) => object["metadata"] = object_meta(b)?,
            ("ConfigMap", 2, Field::Bytes(b)) => insert_entry(&mut object, "data", b, false)?,
            ("ConfigMap", 3, Field::Bytes(b)) => insert_entry(&mut object, "binaryData", b, true)?,
            ("ConfigMap", 4, Field::Varint(v)) | ("Secret", 5, Field::Varint(v)) => {
                object["immutable"] = json!(v != 0);
            }
            ("Secret", 2, Field::Bytes(b)) => insert_entry(&mut object, "data", b, true)?,
            ("Secret", 3, Field::Bytes(b)) => object["type"] = text(b),
            ("Secret", 4, Field::Bytes(b)) => insert_entry(&mut object, "stringData", b, false)?,
            _ => {}
        }
    }
    Some(object)
}

/// The JSON form of a protobuf-encoded Namespace, ConfigMap, Secret or ServiceAccount.
pub fn decode(body: &[u8]) -> ApiResult<Value> {
    let unsupported = |what: &str| {
        ApiError::UnsupportedMediaType(format!(
            "the emulated API server reads protobuf only for Namespace, ConfigMap, Secret and ServiceAccount ({what}); send JSON"
        ))
    };
    let envelope = body
        .strip_prefix(b"k8s\0")
        .ok_or_else(|| unsupported("no k8s envelope"))?;
    let (mut api_version, mut kind, mut raw) = (String::new(), String::new(), &[][..]);
    for (number, field) in fields(envelope).ok_or_else(|| unsupported("malformed"))? {
        match (number, field) {
            (1, Field::Bytes(type_meta)) => {
                for (n, f) in fields(type_meta).ok_or_else(|| unsupported("malformed"))? {
                    match (n, f) {
                        (1, Field::Bytes(b)) => api_version = String::from_utf8_lossy(b).into(),
                        (2, Field::Bytes(b)) => kind = String::from_utf8_lossy(b).into(),
                        _ => {}
                    }
                }
            }
            (2, Field::Bytes(b)) => raw = b,
            _ => {}
        }
    }
    if !matches!(
        kind.as_str(),
        "Namespace" | "ConfigMap" | "Secret" | "ServiceAccount"
    ) {
        return Err(unsupported(&kind));
    }
    let mut object = decode_object(&kind, raw).ok_or_else(|| unsupported("malformed object"))?;
    object["apiVersion"] = json!(api_version);
    object["kind"] = json!(kind);
    Ok(object)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(number: u64, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![u8::try_from(number << 3 | 2).expect("small field number")];
        out.push(u8::try_from(payload.len()).expect("short payload"));
        out.extend_from_slice(payload);
        out
    }

    #[test]
    fn reads_a_configmap_as_kubectl_sends_it() {
        let meta = [message(1, b"settings"), message(3, b"drill")].concat();
        let entry = [message(1, b"mode"), message(2, b"rehearsal")].concat();
        let object = [message(1, &meta), message(2, &entry)].concat();
        let type_meta = [message(1, b"v1"), message(2, b"ConfigMap")].concat();
        let body = [
            b"k8s\0".to_vec(),
            message(1, &type_meta),
            message(2, &object),
        ]
        .concat();
        let decoded = decode(&body).expect("decodes");
        assert_eq!(decoded["metadata"]["name"], "settings");
        assert_eq!(decoded["metadata"]["namespace"], "drill");
        assert_eq!(decoded["data"]["mode"], "rehearsal");
        assert_eq!(decoded["kind"], "ConfigMap");
    }
}
