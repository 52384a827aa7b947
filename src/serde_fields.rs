//! Serde helpers shared by the JSON of `lifeboat status` and the manifests.

use serde::{Serialize, Serializer};

/// A `Result` flattened into its parent: the value's own fields, or `{"error": "..."}`.
pub fn result_as_fields<T: Serialize, S: Serializer>(
    result: &Result<T, String>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Failed<'a> {
        error: &'a str,
    }
    match result {
        Ok(value) => value.serialize(serializer),
        Err(error) => Failed { error }.serialize(serializer),
    }
}

/// Timestamps as RFC 3339 text.
pub fn timestamp<S: Serializer>(time: &jiff::Timestamp, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(time)
}
