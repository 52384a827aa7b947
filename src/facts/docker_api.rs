//! Running containers from the Docker Engine API on its Unix socket: what `docker ps` shows,
//! without starting the docker CLI (a Go program of some 23 MiB) on every dashboard refresh.

use std::time::Duration;

use http_body_util::{BodyExt, Empty};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use serde::Deserialize;

/// One running container, as `docker ps` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunningContainer {
    pub name: String,
    pub image: String,
    pub status: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct ApiContainer {
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    image: String,
    #[serde(default)]
    status: String,
}

/// The Engine's socket: `DOCKER_HOST` when it names a Unix socket, else the default one.
/// `None` when `DOCKER_HOST` points elsewhere (TCP, SSH): the CLI knows how to go there.
fn socket_path() -> Option<String> {
    match std::env::var("DOCKER_HOST") {
        Ok(host) => host.strip_prefix("unix://").map(String::from),
        Err(_) => Some("/var/run/docker.sock".into()),
    }
}

/// `None` when the Engine cannot be asked this way (no socket, no permission, an error), so
/// that the caller can fall back to the CLI.
pub async fn running_containers() -> Option<Vec<RunningContainer>> {
    let path = socket_path()?;
    let ask = async {
        let stream = tokio::net::UnixStream::connect(&path).await.ok()?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .ok()?;
        tokio::spawn(connection);
        let request = hyper::Request::get("/containers/json")
            .header("Host", "docker")
            .body(Empty::<Bytes>::new())
            .ok()?;
        let response = sender.send_request(request).await.ok()?;
        if !response.status().is_success() {
            return None;
        }
        let body = response.into_body().collect().await.ok()?.to_bytes();
        parse(&body)
    };
    tokio::time::timeout(Duration::from_secs(3), ask)
        .await
        .ok()?
}

fn parse(body: &[u8]) -> Option<Vec<RunningContainer>> {
    let listed: Vec<ApiContainer> = serde_json::from_slice(body).ok()?;
    Some(
        listed
            .into_iter()
            .map(|c| RunningContainer {
                // The API names containers with a leading slash; `docker ps` does not.
                name: c
                    .names
                    .first()
                    .map(|n| n.trim_start_matches('/').to_string())
                    .unwrap_or_default(),
                image: c.image,
                status: c.status,
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_engine_listing_as_docker_ps_shows_it() {
        let body = br#"[{"Id":"4f1","Names":["/etcd_container"],"Image":"registry/etcd:3.4","Status":"Up 2 hours","State":"running"},
                        {"Id":"9a0","Names":[],"Image":"busybox","Status":"Up 1 second"}]"#;
        assert_eq!(
            parse(body),
            Some(vec![
                RunningContainer {
                    name: "etcd_container".into(),
                    image: "registry/etcd:3.4".into(),
                    status: "Up 2 hours".into()
                },
                RunningContainer {
                    name: String::new(),
                    image: "busybox".into(),
                    status: "Up 1 second".into()
                },
            ])
        );
        assert_eq!(parse(b"not json"), None);
    }
}
