//! The emulated API server's objects in the sandbox's own etcd, laid out as OpenShift 3's API
//! server lays them out: `/kubernetes.io/<resource>/<namespace>/<name>` for Kubernetes kinds
//! (services under `services/specs`), `/openshift.io/<resource>/...` for OpenShift's, custom
//! groups under `<group>/<plural>`; built-in kinds in the protobuf storage encoding
//! (`lifeboat::stored`), anything the schemas cannot hold whole as JSON. A cluster backup of
//! the sandbox then holds its projects as a real one does.
//!
//! The store's in-memory map stays the read path. Writes go, in order, to one thread with its
//! own etcd client, which retries while etcd is away (tests stop members and restore the
//! cluster under a running API server); `flush` waits for everything sent so far.

use std::collections::VecDeque;
use std::sync::mpsc;
use std::time::Duration;

use color_eyre::eyre::{Result, WrapErr, eyre};
use etcd_client::{Client, GetOptions, Txn, TxnOp};
use serde_json::Value;

use super::discovery::Resource;

/// etcd refuses transactions of more than 128 operations by default.
const BATCH: usize = 100;
const RETRY: Duration = Duration::from_millis(300);
pub const PREFIXES: [&str; 2] = ["/kubernetes.io/", "/openshift.io/"];

/// A put (`Some`) or a delete (`None`) of one key.
pub type Write = (String, Option<Vec<u8>>);

/// Where OpenShift 3 keeps an object of `resource`.
pub fn storage_key(resource: &Resource, namespace: &str, name: &str) -> String {
    let group = resource.group;
    let prefix = if group.ends_with("openshift.io") {
        "/openshift.io"
    } else {
        "/kubernetes.io"
    };
    let built_in =
        !group.contains('.') || group.ends_with(".k8s.io") || group.ends_with("openshift.io");
    let path = match (group, resource.plural) {
        ("", "services") => "services/specs".to_string(),
        (_, plural) if built_in => plural.to_string(),
        (group, plural) => format!("{group}/{plural}"),
    };
    if resource.namespaced {
        format!("{prefix}/{path}/{namespace}/{name}")
    } else {
        format!("{prefix}/{path}/{name}")
    }
}

/// The bytes an API server stores for `object`: protobuf when the schemas hold it whole,
/// JSON otherwise; never its resourceVersion (etcd's revision is that).
pub fn stored_value(object: &Value) -> Vec<u8> {
    if let Ok(bytes) = lifeboat::stored::encode_stored(object) {
        return bytes;
    }
    let mut object = object.clone();
    if let Some(metadata) = object["metadata"].as_object_mut() {
        metadata.remove("resourceVersion");
    }
    serde_json::to_vec(&object).unwrap_or_default()
}

/// What etcd held when the server started: each object with its mod revision.
#[derive(Debug, Default)]
pub struct Loaded {
    pub objects: Vec<(Value, i64)>,
    pub revision: i64,
}

enum Request {
    Write(Vec<Write>),
    Flush(mpsc::Sender<()>),
}

/// The writer thread's handle.
#[derive(Clone)]
pub struct EtcdWriter {
    requests: mpsc::Sender<Request>,
}

impl EtcdWriter {
    /// Connects to the sandbox's members (`target`) on a thread of its own and reads back
    /// every object stored under the prefixes.
    pub fn start(target: lifeboat::connection::Endpoints) -> Result<(EtcdWriter, Loaded)> {
        let (requests, incoming) = mpsc::channel();
        let (loaded_tx, loaded_rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("etcd-store".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = loaded_tx.send(Err(eyre!("a runtime for etcd writes: {e}")));
                        return;
                    }
                };
                let client = runtime.block_on(async {
                    let mut client = lifeboat::etcd::connect(&target, &target.endpoints)
                        .await
                        .map_err(|e| eyre!("connecting to the sandbox's etcd: {e}"))?;
                    let loaded = load(&mut client).await?;
                    Ok::<_, color_eyre::Report>((client, loaded))
                });
                match client {
                    Ok((client, loaded)) => {
                        let _ = loaded_tx.send(Ok(loaded));
                        run(&runtime, client, &incoming);
                    }
                    Err(e) => {
                        let _ = loaded_tx.send(Err(e));
                    }
                }
            })
            .wrap_err("starting the etcd writer")?;
        let loaded = loaded_rx
            .recv_timeout(Duration::from_secs(20))
            .map_err(|_| eyre!("the sandbox's etcd did not answer within 20s"))??;
        Ok((EtcdWriter { requests }, loaded))
    }

    /// Queues `writes`, in order after everything queued before.
    pub fn write(&self, writes: Vec<Write>) {
        if !writes.is_empty() {
            let _ = self.requests.send(Request::Write(writes));
        }
    }

    /// Waits until everything queued so far is in etcd, or `timeout` has passed.
    pub fn flush(&self, timeout: Duration) -> bool {
        let (done, wait) = mpsc::channel();
        if self.requests.send(Request::Flush(done)).is_err() {
            return false;
        }
        wait.recv_timeout(timeout).is_ok()
    }
}

async fn load(client: &mut Client) -> Result<Loaded> {
    let mut loaded = Loaded::default();
    for prefix in PREFIXES {
        let response = client
            .get(prefix, Some(GetOptions::new().with_prefix()))
            .await
            .wrap_err_with(|| format!("reading {prefix} from the sandbox's etcd"))?;
        if let Some(header) = response.header() {
            loaded.revision = loaded.revision.max(header.revision());
        }
        for kv in response.kvs() {
            let decoded = lifeboat::stored::decode_stored(kv.value());
            match decoded.object {
                Some(object) => loaded.objects.push((object, kv.mod_revision())),
                None => tracing::warn!(
                    "{}: {}",
                    String::from_utf8_lossy(kv.key()),
                    decoded.problem.unwrap_or_default()
                ),
            }
        }
    }
    Ok(loaded)
}

/// The writer's loop: takes requests, writes in batches, retries while etcd is away.
fn run(runtime: &tokio::runtime::Runtime, mut client: Client, incoming: &mpsc::Receiver<Request>) {
    let mut queue: VecDeque<Write> = VecDeque::new();
    let mut waiting: Vec<mpsc::Sender<()>> = Vec::new();
    loop {
        let next = if queue.is_empty() {
            match incoming.recv() {
                Ok(request) => Some(request),
                Err(_) => return,
            }
        } else {
            incoming.try_recv().ok()
        };
        match next {
            Some(Request::Write(writes)) => {
                queue.extend(writes);
                continue;
            }
            Some(Request::Flush(done)) => waiting.push(done),
            None => {}
        }
        if !queue.is_empty() {
            let batch: Vec<Write> = queue.iter().take(BATCH).cloned().collect();
            match runtime.block_on(commit(&mut client, &batch)) {
                Ok(()) => {
                    queue.drain(..batch.len());
                }
                Err(error) => {
                    eprintln!("writing to the sandbox's etcd (will retry): {error}");
                    std::thread::sleep(RETRY);
                }
            }
        }
        if queue.is_empty() {
            for done in waiting.drain(..) {
                let _ = done.send(());
            }
        }
    }
}

async fn commit(client: &mut Client, batch: &[Write]) -> Result<(), etcd_client::Error> {
    // etcd refuses a key twice in one transaction: the last write of each key is the one.
    let mut last: std::collections::BTreeMap<&str, &Option<Vec<u8>>> = Default::default();
    for (key, value) in batch {
        last.insert(key, value);
    }
    let operations: Vec<TxnOp> = last
        .into_iter()
        .map(|(key, value)| match value {
            Some(bytes) => TxnOp::put(key.as_bytes(), bytes.clone(), None),
            None => TxnOp::delete(key.as_bytes(), None),
        })
        .collect();
    let call = client.txn(Txn::new().and_then(operations));
    match tokio::time::timeout(Duration::from_secs(5), call).await {
        Ok(result) => result.map(|_| ()),
        Err(_) => Err(etcd_client::Error::InvalidArgs(
            "no answer within 5s".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube_api::discovery::{core, named};

    #[test]
    fn keys_follow_openshift_3_s_layout() {
        assert_eq!(
            storage_key(core("services"), "shop", "web"),
            "/kubernetes.io/services/specs/shop/web"
        );
        assert_eq!(
            storage_key(core("namespaces"), "", "shop"),
            "/kubernetes.io/namespaces/shop"
        );
        assert_eq!(
            storage_key(named("apps", "deployments"), "shop", "web"),
            "/kubernetes.io/deployments/shop/web"
        );
        assert_eq!(
            storage_key(named("route.openshift.io", "routes"), "shop", "web"),
            "/openshift.io/routes/shop/web"
        );
    }

    #[test]
    fn built_in_kinds_are_protobuf_and_the_rest_json() {
        let cm = serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "a", "namespace": "p", "resourceVersion": "3"}, "data": {"k": "v"}});
        assert!(stored_value(&cm).starts_with(lifeboat::stored::PROTOBUF_MAGIC));
        let custom = serde_json::json!({"apiVersion": "example.com/v1", "kind": "Widget",
            "metadata": {"name": "a", "resourceVersion": "3"}});
        let stored = stored_value(&custom);
        assert!(stored.starts_with(b"{"));
        assert!(!String::from_utf8_lossy(&stored).contains("resourceVersion"));
    }
}
