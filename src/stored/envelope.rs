//! One value as a Kubernetes API server stored it in etcd: `k8s\0` and a protobuf
//! `runtime.Unknown` (built-in kinds), JSON (custom resources, and everything on clusters
//! that store JSON), or `k8s:enc:<provider>:v1:<key>:` and ciphertext (encryption at rest).

use prost_reflect::DynamicMessage;
use serde::Serialize;
use serde_json::Value;

use super::schema::{Schema, schema};
use super::to_json::message_json;

pub const PROTOBUF_MAGIC: &[u8] = b"k8s\0";
const ENCRYPTED: &[u8] = b"k8s:enc:";
const UNKNOWN: &str = "k8s.io.apimachinery.pkg.runtime.Unknown";

/// How a value was stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "encoding", rename_all = "kebab-case")]
pub enum Encoding {
    Protobuf,
    Json,
    /// Encrypted at rest: what can be said without the key.
    Encrypted {
        provider: String,
        key: String,
    },
    /// Neither of the above (not a Kubernetes object, or damaged).
    Unrecognized,
}

impl Encoding {
    pub fn label(&self) -> String {
        match self {
            Encoding::Protobuf => "protobuf".into(),
            Encoding::Json => "json".into(),
            Encoding::Encrypted { provider, key } => format!("encrypted ({provider}, key {key})"),
            Encoding::Unrecognized => "unrecognized".into(),
        }
    }
}

/// A stored value read back as far as it can be.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decoded {
    pub encoding: Encoding,
    pub api_version: String,
    pub kind: String,
    /// The object as the API writes it (without `resourceVersion`, which etcd's revision
    /// gives); `None` when it cannot be read: see `problem`.
    pub object: Option<Value>,
    /// Fields newer than the embedded schemas, one line each with its path.
    pub unknown_fields: Vec<String>,
    /// Why `object` is missing: encrypted, no schema for the kind, damaged.
    pub problem: Option<String>,
}

impl Decoded {
    fn failed(encoding: Encoding, problem: String) -> Decoded {
        Decoded {
            encoding,
            api_version: String::new(),
            kind: String::new(),
            object: None,
            unknown_fields: Vec::new(),
            problem: Some(problem),
        }
    }
}

/// Reads a stored value. Never panics, whatever the bytes.
pub fn decode_stored(value: &[u8]) -> Decoded {
    if let Some(rest) = value.strip_prefix(ENCRYPTED) {
        let mut parts = rest.splitn(4, |b| *b == b':');
        let text = |p: Option<&[u8]>| String::from_utf8_lossy(p.unwrap_or_default()).to_string();
        let provider = text(parts.next());
        let _version = parts.next();
        let key = text(parts.next());
        return Decoded::failed(
            Encoding::Encrypted {
                provider: provider.clone(),
                key: key.clone(),
            },
            format!("encrypted at rest by {provider} with key {key}"),
        );
    }
    if let Some(rest) = value.strip_prefix(PROTOBUF_MAGIC) {
        return match schema() {
            Ok(schema) => decode_protobuf(schema, rest),
            Err(e) => Decoded::failed(Encoding::Protobuf, e),
        };
    }
    if value.first() == Some(&b'{') {
        return match serde_json::from_slice::<Value>(value) {
            Ok(object) => Decoded {
                encoding: Encoding::Json,
                api_version: object["apiVersion"].as_str().unwrap_or("").to_string(),
                kind: object["kind"].as_str().unwrap_or("").to_string(),
                object: Some(object),
                unknown_fields: Vec::new(),
                problem: None,
            },
            Err(e) => Decoded::failed(Encoding::Json, format!("damaged JSON: {e}")),
        };
    }
    Decoded::failed(
        Encoding::Unrecognized,
        "neither protobuf, JSON nor an encrypted value".into(),
    )
}

fn decode_protobuf(schema: &Schema, bytes: &[u8]) -> Decoded {
    let Some(unknown_desc) = schema.pool.get_message_by_name(UNKNOWN) else {
        return Decoded::failed(
            Encoding::Protobuf,
            "no runtime.Unknown in the schemas".into(),
        );
    };
    let envelope = match DynamicMessage::decode(unknown_desc, bytes) {
        Ok(envelope) => envelope,
        Err(e) => {
            return Decoded::failed(Encoding::Protobuf, format!("damaged envelope: {e}"));
        }
    };
    let type_meta = |n: u32| {
        envelope
            .get_field_by_number(1)
            .and_then(|meta| {
                meta.as_message()?
                    .get_field_by_number(n)?
                    .as_str()
                    .map(str::to_string)
            })
            .unwrap_or_default()
    };
    let (api_version, kind) = (type_meta(1), type_meta(2));
    let raw = envelope
        .get_field_by_number(2)
        .and_then(|raw| raw.as_bytes().cloned())
        .unwrap_or_default();
    let mut decoded = Decoded::failed(Encoding::Protobuf, String::new());
    decoded.api_version = api_version.clone();
    decoded.kind = kind.clone();
    let Some(descriptor) = schema.message_for(&api_version, &kind) else {
        decoded.problem = Some(format!(
            "no schema for {kind} ({api_version}): listed, not guessed"
        ));
        return decoded;
    };
    let message = match DynamicMessage::decode(descriptor, raw.as_ref()) {
        Ok(message) => message,
        Err(e) => {
            decoded.problem = Some(format!("damaged {kind}: {e}"));
            return decoded;
        }
    };
    let mut unknown = Vec::new();
    let body = message_json(schema, &message, "", &mut unknown);
    let mut object = serde_json::Map::new();
    object.insert("kind".into(), Value::String(kind));
    object.insert("apiVersion".into(), Value::String(api_version));
    if let Value::Object(fields) = body {
        object.extend(fields);
    }
    decoded.object = Some(Value::Object(object));
    decoded.unknown_fields = unknown;
    decoded.problem = None;
    decoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encrypted_values_name_their_provider_and_key() {
        let decoded = decode_stored(b"k8s:enc:aescbc:v1:key1:\x01\x02\x03");
        assert_eq!(
            decoded.encoding,
            Encoding::Encrypted {
                provider: "aescbc".into(),
                key: "key1".into()
            }
        );
        assert!(decoded.object.is_none());
    }

    #[test]
    fn a_kind_without_schema_is_listed_not_guessed() {
        // runtime.Unknown{typeMeta{apiVersion "example.com/v1", kind "Widget"}, raw "\x0a\x00"}
        let mut value = PROTOBUF_MAGIC.to_vec();
        let meta = [b"\x0a\x0eexample.com/v1".as_slice(), b"\x12\x06Widget"].concat();
        value.push(0x0a);
        value.push(meta.len() as u8);
        value.extend(meta);
        value.extend(b"\x12\x02\x0a\x00");
        let decoded = decode_stored(&value);
        assert_eq!(decoded.kind, "Widget");
        assert!(decoded.object.is_none());
        assert!(decoded.problem.expect("why").contains("no schema"));
    }

    /// A stored value: `k8s\0` + runtime.Unknown{typeMeta{v1, kind}, raw}.
    pub(crate) fn stored(kind: &str, raw: &[u8]) -> Vec<u8> {
        let mut meta = vec![0x0a, 2];
        meta.extend(b"v1");
        meta.push(0x12);
        meta.push(kind.len() as u8);
        meta.extend(kind.as_bytes());
        let mut value = PROTOBUF_MAGIC.to_vec();
        value.push(0x0a);
        value.push(meta.len() as u8);
        value.extend(meta);
        value.push(0x12);
        value.push(raw.len() as u8);
        value.extend(raw);
        value
    }

    #[test]
    fn fields_newer_than_the_schema_are_reported_with_their_path() {
        // ConfigMap{metadata{name "x", field 50 = 1}, field 99 = 1}
        let raw = [
            0x0a, 0x06, 0x0a, 0x01, b'x', 0x90, 0x03, 0x01, 0x98, 0x06, 0x01,
        ];
        let decoded = decode_stored(&stored("ConfigMap", &raw));
        assert_eq!(
            decoded.object.expect("decoded")["metadata"]["name"],
            Value::String("x".into())
        );
        assert_eq!(
            decoded.unknown_fields,
            [
                "field 99 is not in the schema",
                "metadata: field 50 is not in the schema"
            ]
        );
    }

    #[test]
    fn garbage_is_unrecognized_never_a_panic() {
        for bytes in [
            &b""[..],
            b"k8s\0\xff\xff",
            b"{not json",
            b"k8s:enc:",
            b"\x00\x01",
        ] {
            assert!(decode_stored(bytes).object.is_none());
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

        /// A stored value from a snapshot is untrusted: whatever its bytes, reading it gives
        /// an object or a reason, never a panic. Half the cases are the real Job damaged.
        #[test]
        fn any_value_decodes_or_says_why(
            noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600),
            flips in proptest::collection::vec((0usize..640, proptest::prelude::any::<u8>()), 0..16),
            real in proptest::prelude::any::<bool>(),
        ) {
            let mut value = if real {
                let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("tests/fixtures/kube-storage");
                std::fs::read(dir.join("job.bin")).unwrap_or_default()
            } else {
                [PROTOBUF_MAGIC, &noise].concat()
            };
            for (at, byte) in flips {
                if let Some(slot) = value.get_mut(at) {
                    *slot = byte;
                }
            }
            let decoded = decode_stored(&value);
            proptest::prop_assert!(decoded.object.is_some() || decoded.problem.is_some());
        }
    }
}
