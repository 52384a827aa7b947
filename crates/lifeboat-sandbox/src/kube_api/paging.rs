//! `limit` and `continue` on lists, as a real API server pages them: kubectl asks for 500
//! objects at a time, and lifeboat pages its own lists to keep its memory flat. The token is
//! the position of the last object sent (namespace and name), opaque to clients.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as BASE64;

use super::status::{ApiError, ApiResult};

/// The `continue` token that resumes after the object `namespace/name`.
pub fn token_after(namespace: &str, name: &str) -> String {
    BASE64.encode(format!("{namespace}/{name}"))
}

/// The position a `continue` token resumes after; a token this server did not make is a bad
/// request, never a panic.
pub fn position(token: &str) -> ApiResult<(String, String)> {
    let bad = || ApiError::BadRequest(format!("invalid continue token {token:?}"));
    let bytes = BASE64.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let (namespace, name) = text.split_once('/').ok_or_else(bad)?;
    Ok((namespace.to_string(), name.to_string()))
}

/// `limit` from the query, when it asks for a page (0 or absent: everything).
pub fn limit(value: Option<&str>) -> ApiResult<Option<usize>> {
    match value {
        None | Some("") => Ok(None),
        Some(text) => text
            .parse::<usize>()
            .map(|n| Some(n).filter(|n| *n > 0))
            .map_err(|_| ApiError::BadRequest(format!("invalid limit {text:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_bad_ones_are_refused() {
        let token = token_after("bench-0001", "object-000002");
        assert_eq!(
            position(&token).expect("ours"),
            ("bench-0001".to_string(), "object-000002".to_string())
        );
        assert_eq!(
            position(&token_after("", "ns")).expect("cluster-scoped"),
            (String::new(), "ns".to_string())
        );
        for bad in ["!!", "bm9zbGFzaA", "/w"] {
            assert!(position(bad).is_err(), "{bad}");
        }
        assert_eq!(limit(Some("500")).expect("number"), Some(500));
        assert_eq!(limit(Some("0")).expect("number"), None);
        assert!(limit(Some("-1")).is_err());
    }
}
