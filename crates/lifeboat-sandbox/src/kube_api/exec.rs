//! `pods/exec` over the WebSocket protocol kubectl and kube-rs speak (`v5.channel.k8s.io`,
//! `v4.channel.k8s.io`): every message starts with its channel, 0 stdin, 1 stdout, 2 stderr,
//! 3 error (a `Status` with the exit code, sent once at the end), and in v5 255 closes a
//! stream (the client closing stdin).

use std::process::Stdio;
use std::sync::Arc;

use futures::{SinkExt, StreamExt};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role};

use super::discovery::core;
use super::handlers::{ApiState, param};
use super::routes::ObjectPath;
use super::server::{Body, error_response, full};
use super::status::ApiError;

const STDIN: u8 = 0;
const STDOUT: u8 = 1;
const STDERR: u8 = 2;
const ERROR: u8 = 3;
const CLOSE: u8 = 255;

const PROTOCOLS: [&str; 2] = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

fn flag(query: &[(String, String)], name: &str) -> bool {
    query
        .iter()
        .any(|(k, v)| k == name && (v == "true" || v == "1"))
}

/// Checks the request, prepares the command, and answers 101; the session runs on its own
/// task once hyper hands over the upgraded connection.
pub fn upgrade(
    api: Arc<ApiState>,
    request: Request<Incoming>,
    path: ObjectPath,
    query: &[(String, String)],
) -> Response<Body> {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let offered = header("sec-websocket-protocol");
    let protocol = PROTOCOLS
        .into_iter()
        .find(|p| offered.split(',').any(|o| o.trim() == *p));
    let key = header("sec-websocket-key");
    let (Some(protocol), false) = (protocol, key.is_empty()) else {
        return error_response(&ApiError::BadRequest(
            "exec needs a WebSocket upgrade with the v5.channel.k8s.io or v4.channel.k8s.io subprotocol (this emulated API server does not speak SPDY)".into(),
        ));
    };
    let argv: Vec<String> = query
        .iter()
        .filter(|(k, _)| k == "command")
        .map(|(_, v)| v.clone())
        .collect();
    let streams = Streams {
        stdin: flag(query, "stdin"),
        stdout: flag(query, "stdout"),
        stderr: flag(query, "stderr"),
        v5: protocol == PROTOCOLS[0],
    };
    let command = {
        let store = api.store();
        let namespace = path.namespace.as_deref().unwrap_or("");
        let name = path.name.as_deref().unwrap_or("");
        let Some(pod) = store.get(core("pods"), namespace, name) else {
            return error_response(&super::store::not_found(core("pods"), name));
        };
        match api
            .pods
            .command(&store, pod, param(query, "container"), &argv)
        {
            Ok(command) => command,
            Err(message) => return error_response(&ApiError::BadRequest(message)),
        }
    };
    tokio::spawn(async move {
        match hyper::upgrade::on(request).await {
            Ok(upgraded) => {
                let socket =
                    WebSocketStream::from_raw_socket(TokioIo::new(upgraded), Role::Server, None)
                        .await;
                session(socket, command, streams).await;
            }
            Err(error) => tracing::warn!("exec upgrade failed: {error}"),
        }
    });
    let mut response = Response::new(full(Vec::new()));
    *response.status_mut() = http::StatusCode::SWITCHING_PROTOCOLS;
    let headers = response.headers_mut();
    headers.insert(
        http::header::UPGRADE,
        http::HeaderValue::from_static("websocket"),
    );
    headers.insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("Upgrade"),
    );
    if let Ok(value) = http::HeaderValue::from_str(&derive_accept_key(key.as_bytes())) {
        headers.insert(http::header::SEC_WEBSOCKET_ACCEPT, value);
    }
    headers.insert(
        http::header::SEC_WEBSOCKET_PROTOCOL,
        http::HeaderValue::from_static(protocol),
    );
    response
}

#[derive(Clone, Copy)]
struct Streams {
    stdin: bool,
    stdout: bool,
    stderr: bool,
    v5: bool,
}

fn frame(channel: u8, data: &[u8]) -> Message {
    let mut bytes = Vec::with_capacity(data.len() + 1);
    bytes.push(channel);
    bytes.extend_from_slice(data);
    Message::binary(bytes)
}

/// The error channel's last word, as kubelet writes it: kubectl turns the cause's message into
/// its own exit code.
pub fn exit_status(code: Option<i32>) -> Value {
    match code {
        Some(0) => json!({"metadata": {}, "status": "Success"}),
        Some(code) => json!({
            "metadata": {},
            "status": "Failure",
            "message": format!("command terminated with non-zero exit code: exit status {code}"),
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": code.to_string()}]},
        }),
        None => json!({
            "metadata": {},
            "status": "Failure",
            "message": "command was killed by a signal",
            "reason": "NonZeroExitCode",
            "details": {"causes": [{"reason": "ExitCode", "message": "137"}]},
        }),
    }
}

async fn pump(mut from: impl AsyncRead + Unpin, channel: u8, to: mpsc::Sender<Message>) {
    let mut buffer = vec![0u8; 32 * 1024];
    while let Ok(read) = from.read(&mut buffer).await {
        if read == 0 || to.send(frame(channel, &buffer[..read])).await.is_err() {
            break;
        }
    }
}

async fn session<S>(
    socket: WebSocketStream<S>,
    mut command: tokio::process::Command,
    streams: Streams,
) where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
{
    let (mut sink, mut incoming) = socket.split();
    let (to_client, mut outgoing) = mpsc::channel::<Message>(64);
    let writer = tokio::spawn(async move {
        while let Some(message) = outgoing.recv().await {
            if sink.send(message).await.is_err() {
                return;
            }
        }
        // A normal-closure code, not an empty close: client-go reads anything else as an
        // error on the streams.
        let normal = CloseFrame {
            code: CloseCode::Normal,
            reason: "".into(),
        };
        let _ = sink.send(Message::Close(Some(normal))).await;
        let _ = sink.close().await;
    });
    let piped = |wanted: bool| {
        if wanted {
            Stdio::piped()
        } else {
            Stdio::null()
        }
    };
    command
        .stdin(piped(streams.stdin))
        .stdout(piped(streams.stdout))
        .stderr(piped(streams.stderr))
        .kill_on_drop(true);
    let program = command
        .as_std()
        .get_program()
        .to_string_lossy()
        .into_owned();
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => {
            let message = if error.kind() == std::io::ErrorKind::NotFound {
                // What containerd's runtime answers for a command the image does not have.
                format!(
                    "OCI runtime exec failed: exec failed: unable to start container process: exec: {program:?}: executable file not found in $PATH: unknown"
                )
            } else {
                format!(
                    "the emulated pod could not run the command (it needs root for its mount namespace and chroot): {error}"
                )
            };
            let status = json!({
                "metadata": {}, "status": "Failure", "reason": "InternalError",
                "message": message,
            });
            let _ = to_client
                .send(frame(ERROR, status.to_string().as_bytes()))
                .await;
            drop(to_client);
            let _ = writer.await;
            return;
        }
    };
    // kubelet tells the client the streams are ready with an empty frame on the first one.
    let first = if streams.stdout {
        STDOUT
    } else if streams.stderr {
        STDERR
    } else {
        ERROR
    };
    let _ = to_client.send(frame(first, &[])).await;
    let mut pumps = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        pumps.push(tokio::spawn(pump(stdout, STDOUT, to_client.clone())));
    }
    if let Some(stderr) = child.stderr.take() {
        pumps.push(tokio::spawn(pump(stderr, STDERR, to_client.clone())));
    }
    let mut stdin = child.stdin.take();
    let reader = tokio::spawn(async move {
        while let Some(Ok(message)) = incoming.next().await {
            let data: &[u8] = match &message {
                Message::Binary(bytes) => bytes,
                Message::Text(text) => text.as_bytes(),
                Message::Close(_) => break,
                _ => continue,
            };
            match data {
                [STDIN, rest @ ..] => {
                    if let Some(pipe) = stdin.as_mut() {
                        if pipe.write_all(rest).await.is_err() {
                            stdin = None;
                        }
                    }
                }
                [CLOSE, STDIN] if streams.v5 => stdin = None,
                _ => {}
            }
        }
    });
    let code = child.wait().await.ok().and_then(|status| status.code());
    for pump in pumps {
        let _ = pump.await;
    }
    reader.abort();
    let _ = to_client
        .send(frame(ERROR, exit_status(code).to_string().as_bytes()))
        .await;
    drop(to_client);
    let _ = writer.await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_travel_as_kubelet_writes_them() {
        assert_eq!(exit_status(Some(0))["status"], "Success");
        let failed = exit_status(Some(3));
        assert_eq!(failed["reason"], "NonZeroExitCode");
        assert_eq!(failed["details"]["causes"][0]["message"], "3");
    }
}
