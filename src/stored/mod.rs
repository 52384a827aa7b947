//! Kubernetes objects as an API server stores them in etcd, read straight out of a snapshot
//! (and, for the sandbox, written the same way): the storage encodings (`envelope`), the
//! schemas build.rs embedded (`schema`), protobuf to the API's JSON (`to_json`), the layout of
//! storage keys (`keys`) and a snapshot's objects (`snapshot`).

mod envelope;
mod from_json;
mod keys;
mod project;
pub mod schema;
mod snapshot;
mod to_json;

pub use envelope::{Decoded, Encoding, PROTOBUF_MAGIC, decode_stored};
pub use from_json::{encode_stored, pruned};
pub use keys::{PREFIXES, StorageKey};
pub use project::ProjectObjects;
pub use snapshot::{SnapshotObjects, StoredEntry, database_of};
pub use to_json::go_duration;
