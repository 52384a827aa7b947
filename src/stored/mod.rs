//! Kubernetes objects as an API server stores them in etcd, read straight out of a snapshot
//! (and, for the sandbox, written the same way): the storage encodings (`envelope`), the
//! schemas build.rs embedded (`schema`), protobuf to the API's JSON (`to_json`) and back
//! (`from_json`), and the layout of storage keys (`keys`).

mod envelope;
pub mod schema;
mod to_json;

pub use envelope::{Decoded, Encoding, PROTOBUF_MAGIC, decode_stored};
pub use to_json::go_duration;
