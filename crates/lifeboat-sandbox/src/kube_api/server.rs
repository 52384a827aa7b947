//! HTTPS, authentication and dispatch: each request is authenticated (client certificate
//! from the sandbox CA, or the bearer token), routed, and answered with JSON.

use std::convert::Infallible;
use std::sync::Arc;

use color_eyre::eyre::{Result, WrapErr};
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use super::discovery;
use super::handlers::{ApiState, ObjectRequest};
use super::routes::{Route, route};
use super::status::ApiError;
use super::{exec, watch};

pub type Body = BoxBody<Bytes, Infallible>;

/// The version the emulated server reports: a Kubernetes of the OpenShift 3.11 line would be
/// older than kubectl supports, so it claims the minor version of the k8s-openapi types.
pub const GIT_VERSION: &str = "v1.33.0-lifeboat-sandbox";

pub async fn serve(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    api: Arc<ApiState>,
    token: String,
) -> Result<()> {
    let acceptor = TlsAcceptor::from(tls);
    let token = Arc::new(token);
    loop {
        let (tcp, _) = listener.accept().await.wrap_err("accepting a connection")?;
        let (acceptor, api, token) = (acceptor.clone(), api.clone(), token.clone());
        tokio::spawn(async move {
            let Ok(stream) = acceptor.accept(tcp).await else {
                return;
            };
            let has_certificate = stream
                .get_ref()
                .1
                .peer_certificates()
                .is_some_and(|chain| !chain.is_empty());
            let service = hyper::service::service_fn(move |request| {
                let (api, token) = (api.clone(), token.clone());
                async move {
                    let authenticated = has_certificate || bearer_matches(&request, &token);
                    Ok::<_, Infallible>(respond(api, request, authenticated).await)
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

fn bearer_matches(request: &Request<Incoming>, token: &str) -> bool {
    request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .is_some_and(|given| super::token::same_token(given.trim().as_bytes(), token.as_bytes()))
}

pub fn full(bytes: impl Into<Bytes>) -> Body {
    Full::new(bytes.into()).boxed()
}

pub fn json_response(code: u16, value: &Value) -> Response<Body> {
    let mut response = Response::new(full(value.to_string()));
    *response.status_mut() =
        http::StatusCode::from_u16(code).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/json"),
    );
    response
}

pub fn error_response(error: &ApiError) -> Response<Body> {
    json_response(error.code(), &error.to_status())
}

fn text_response(text: &'static str) -> Response<Body> {
    let mut response = Response::new(full(text));
    response.headers_mut().insert(
        http::header::CONTENT_TYPE,
        http::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    response
}

/// `a=1&b=x%20y` as pairs, percent- and plus-decoded.
pub fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    fn decode(text: &str) -> String {
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'+' => out.push(b' '),
                b'%' if i + 2 < bytes.len() => {
                    match std::str::from_utf8(&bytes[i + 1..i + 3])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                    {
                        Some(b) => {
                            out.push(b);
                            i += 2;
                        }
                        None => out.push(b'%'),
                    }
                }
                b => out.push(b),
            }
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    query
        .unwrap_or("")
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (decode(k), decode(v))
        })
        .collect()
}

async fn respond(
    api: Arc<ApiState>,
    request: Request<Incoming>,
    authenticated: bool,
) -> Response<Body> {
    let route = route(request.uri().path());
    // Health checks answer anyone, as a real server's default RBAC allows.
    if route == Route::Health {
        return text_response("ok");
    }
    if !authenticated {
        return error_response(&ApiError::Unauthorized);
    }
    let found = |value: Option<Value>| match value {
        Some(value) => json_response(200, &value),
        None => error_response(&ApiError::NoSuchPath),
    };
    match route {
        Route::Health => text_response("ok"),
        Route::Version => json_response(
            200,
            &json!({
                "major": "1", "minor": "33", "gitVersion": GIT_VERSION,
                "gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
                "buildDate": "2025-01-01T00:00:00Z", "goVersion": "go1.23", "compiler": "gc",
                "platform": "linux/amd64",
            }),
        ),
        Route::CoreVersions => json_response(200, &discovery::core_versions()),
        Route::GroupList => json_response(200, &discovery::group_list()),
        Route::Group(group) => found(discovery::group(&group)),
        Route::ResourceList { group, version } => found(discovery::resource_list(&group, &version)),
        Route::Unknown => error_response(&ApiError::NoSuchPath),
        Route::Object(path) => {
            let query = parse_query(request.uri().query());
            match path.subresource.as_deref() {
                Some("exec") => return exec::upgrade(api, request, path, &query),
                Some("log") => return text_response(""),
                _ => {}
            }
            let watching =
                super::handlers::param(&query, "watch").is_some_and(|w| w == "true" || w == "1");
            if request.method() == http::Method::GET && watching {
                return watch::stream(api, path, &query);
            }
            let method = request.method().as_str().to_string();
            let header = |name: http::header::HeaderName| {
                request
                    .headers()
                    .get(name)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("")
                    .to_string()
            };
            let content_type = header(http::header::CONTENT_TYPE);
            let wants_table = header(http::header::ACCEPT).contains("as=Table");
            let body = match request.into_body().collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(error) => {
                    return error_response(&ApiError::BadRequest(format!(
                        "reading the request body: {error}"
                    )));
                }
            };
            let object_request = ObjectRequest {
                method: &method,
                path: &path,
                query: &query,
                content_type: &content_type,
                wants_table,
                body: &body,
            };
            // The store's lock is a plain mutex: the work under it is short and never awaits.
            let answer = tokio::task::block_in_place(|| api.handle(&object_request));
            match answer {
                Ok((code, value)) => json_response(code, &value),
                Err(error) => error_response(&error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_decoded() {
        let query = parse_query(Some(
            "labelSelector=app%3Dweb&fieldSelector=a+b&dryRun=All&x",
        ));
        assert_eq!(
            query,
            vec![
                ("labelSelector".into(), "app=web".into()),
                ("fieldSelector".into(), "a b".into()),
                ("dryRun".into(), "All".into()),
                ("x".into(), String::new()),
            ]
        );
    }
}
