//! The REST verbs on objects: list, get, create, update, patch, delete and deletecollection,
//! with `dryRun=All`, selectors, the status and scale subresources, and OpenShift's Project
//! and ProjectRequest as views of namespaces.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::{Notify, broadcast};

use super::admission::{admit_create, admit_update};
use super::controller::reconcile;
use super::discovery::{PROJECT_GROUP, Resource, core};
use super::paging;
use super::patch::{apply_json_patch, merge_patch};
use super::pods::PodFiles;
use super::routes::ObjectPath;
use super::selectors::{FieldSelector, LabelSelector};
use super::status::{ApiError, ApiResult, success};
use super::store::{Change, Store, name_of, namespace_of, not_found, now};
use super::table;

/// What every request shares: the objects, the pods' files, and the watchers' feed.
/// How long changes gather before the store is written: a burst of creates costs one write.
const SAVE_DELAY: Duration = Duration::from_millis(50);

pub struct ApiState {
    store: Mutex<Store>,
    pub pods: PodFiles,
    ca_pem: String,
    pub changes: broadcast::Sender<Change>,
    /// Set by every committed change, cleared by the writer that puts the store on disk.
    unsaved: AtomicBool,
    wake_writer: Notify,
    /// Where committed changes go as a real API server's do (`etcd_store`).
    etcd: Option<super::etcd_store::EtcdWriter>,
}

/// One request on objects, as the HTTP layer hands it over.
pub struct ObjectRequest<'a> {
    pub method: &'a str,
    pub path: &'a ObjectPath,
    pub query: &'a [(String, String)],
    pub content_type: &'a str,
    pub wants_table: bool,
    pub body: &'a [u8],
}

impl ObjectRequest<'_> {
    pub fn param(&self, name: &str) -> Option<&str> {
        param(self.query, name)
    }
    /// `dryRun=All` in the query, or (for a delete) in the DeleteOptions body.
    fn dry_run(&self) -> bool {
        let in_body = || {
            serde_json::from_slice::<Value>(self.body).is_ok_and(|options| {
                options["dryRun"]
                    .as_array()
                    .is_some_and(|modes| modes.iter().any(|m| m == "All"))
            })
        };
        self.query.iter().any(|(k, v)| k == "dryRun" && v == "All")
            || (self.method == "DELETE" && in_body())
    }
}

pub fn param<'q>(query: &'q [(String, String)], name: &str) -> Option<&'q str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl ApiState {
    pub fn new(store: Store, pods: PodFiles, ca_pem: String) -> Self {
        ApiState {
            store: Mutex::new(store),
            pods,
            ca_pem,
            changes: broadcast::channel(1024).0,
            unsaved: AtomicBool::new(false),
            wake_writer: Notify::new(),
            etcd: None,
        }
    }

    /// Sends every committed change to the sandbox's etcd through `writer`.
    pub fn with_etcd(mut self, writer: super::etcd_store::EtcdWriter) -> Self {
        self.etcd = Some(writer);
        self
    }

    /// Waits until the changes committed so far are in etcd (shutdown).
    pub fn flush_etcd(&self) {
        if let Some(etcd) = &self.etcd {
            etcd.write(self.store().take_writes());
            if !etcd.flush(std::time::Duration::from_secs(10)) {
                tracing::warn!("the last changes did not reach the sandbox's etcd within 10s");
            }
        }
    }

    /// Puts the store on disk when a change is waiting, outside the lock's hot path: each
    /// write serializes every object, so writing per request made creating thousands of
    /// objects quadratic. Changes are coalesced for `SAVE_DELAY`; `save_now` runs on shutdown.
    pub async fn write_in_background(self: Arc<Self>) {
        loop {
            self.wake_writer.notified().await;
            tokio::time::sleep(SAVE_DELAY).await;
            if let Err(error) = self.save_now() {
                tracing::warn!("saving the API objects: {error:#}");
            }
        }
    }

    pub fn save_now(&self) -> color_eyre::Result<()> {
        if !self.unsaved.swap(false, Ordering::AcqRel) {
            return Ok(());
        }
        let (path, json) = {
            let store = self.store();
            (store.path().to_path_buf(), store.to_json()?)
        };
        lifeboat::fsutil::write_atomically(&path, &json, 0o600)
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs a change; commits it (controllers, disk, watchers) unless it is a dry run, which
    /// works on a copy that is thrown away.
    pub fn mutate(
        &self,
        dry_run: bool,
        change: impl FnOnce(&mut Store) -> ApiResult<Value>,
    ) -> ApiResult<Value> {
        let mut store = self.store();
        if dry_run {
            let mut copy = store.clone();
            return change(&mut copy);
        }
        let result = change(&mut store);
        reconcile(&mut store, &self.ca_pem);
        let writes = store.take_writes();
        if let Some(etcd) = &self.etcd {
            etcd.write(writes);
        }
        self.unsaved.store(true, Ordering::Release);
        self.wake_writer.notify_one();
        if let Err(error) = self.pods.sync(&store) {
            tracing::warn!("pod files: {error:#}");
        }
        for change in store.take_changes() {
            // No watcher is not an error.
            let _ = self.changes.send(change);
        }
        result
    }

    pub fn handle(&self, request: &ObjectRequest) -> ApiResult<(u16, Value)> {
        let path = request.path;
        let resource = path.resource;
        if resource.group == PROJECT_GROUP {
            return self.project(request);
        }
        let subresource = path.subresource.as_deref();
        match (request.method, path.name.as_deref(), subresource) {
            ("GET", None, _) => self.list(request).map(|v| (200, v)),
            ("GET", Some(name), Some("scale")) => {
                let store = self.store();
                let object = store.require(resource, namespace(path), name)?;
                Ok((200, scale_of(object)))
            }
            ("GET", Some(name), _) => {
                let store = self.store();
                let object = store.require(resource, namespace(path), name)?.clone();
                Ok((200, self.maybe_table(request, vec![object], false)))
            }
            ("POST", None, None) => {
                let object = self.body_object(request)?;
                self.mutate(request.dry_run(), |store| {
                    create_in(store, resource, path, object)
                })
                .map(|v| (201, v))
            }
            ("PUT", Some(name), sub) => {
                let object = self.body_object(request)?;
                self.mutate(request.dry_run(), |store| {
                    let old = store.require(resource, namespace(path), name)?.clone();
                    let new = match sub {
                        Some("status") => with_status_of(&old, &object),
                        Some("scale") => with_replicas(&old, &object),
                        _ => object,
                    };
                    update_in(store, resource, path, name, &old, new, sub.is_some())
                })
                .map(|v| (200, v))
            }
            ("PATCH", Some(name), sub) => self.patch(request, name, sub).map(|v| (200, v)),
            ("DELETE", Some(name), None) => self.delete(request, name).map(|v| (200, v)),
            ("DELETE", None, None) => self.delete_collection(request).map(|v| (200, v)),
            _ => Err(ApiError::MethodNotAllowed),
        }
    }

    fn body_object(&self, request: &ObjectRequest) -> ApiResult<Value> {
        if request.content_type.contains("protobuf") {
            return super::protobuf::decode(request.body);
        }
        parse_body(request.body)
    }

    fn maybe_table(&self, request: &ObjectRequest, items: Vec<Value>, as_list: bool) -> Value {
        if request.wants_table {
            return table::render(request.path.resource, &items);
        }
        if as_list {
            let store = self.store();
            list_of(request.path.resource, items, store.resource_version())
        } else {
            items.into_iter().next().unwrap_or(Value::Null)
        }
    }

    fn selected(&self, request: &ObjectRequest) -> ApiResult<Vec<Value>> {
        let labels = LabelSelector::parse(request.param("labelSelector").unwrap_or(""))?;
        let fields = FieldSelector::parse(request.param("fieldSelector").unwrap_or(""))?;
        let store = self.store();
        Ok(store
            .list(request.path.resource, request.path.namespace.as_deref())
            .into_iter()
            .filter(|o| labels.matches(o) && fields.matches(o))
            .collect())
    }

    fn list(&self, request: &ObjectRequest) -> ApiResult<Value> {
        let Some(limit) = paging::limit(request.param("limit"))? else {
            let items = self.selected(request)?;
            return Ok(self.maybe_table(request, items, true));
        };
        let after = match request.param("continue").filter(|t| !t.is_empty()) {
            Some(token) => Some(paging::position(token)?),
            None => None,
        };
        let labels = LabelSelector::parse(request.param("labelSelector").unwrap_or(""))?;
        let fields = FieldSelector::parse(request.param("fieldSelector").unwrap_or(""))?;
        let (items, more) = self.store().list_page(
            request.path.resource,
            request.path.namespace.as_deref(),
            after
                .as_ref()
                .map(|(ns, name)| (ns.as_str(), name.as_str())),
            limit,
            |o| labels.matches(o) && fields.matches(o),
        );
        let next = items
            .last()
            .filter(|_| more)
            .map(|last| paging::token_after(namespace_of(last), name_of(last)));
        let mut list = self.maybe_table(request, items, true);
        if let Some(token) = next {
            list["metadata"]["continue"] = json!(token);
        }
        Ok(list)
    }

    fn patch(&self, request: &ObjectRequest, name: &str, sub: Option<&str>) -> ApiResult<Value> {
        let path = request.path;
        let resource = path.resource;
        let kind = request.content_type.split(';').next().unwrap_or("").trim();
        let body = request.body;
        self.mutate(request.dry_run(), |store| {
            let old = match store.get(resource, namespace(path), name) {
                Some(old) => old.clone(),
                // Server-side apply creates what is not there yet.
                None if kind == "application/apply-patch+yaml" => {
                    let object = parse_body(body)?;
                    return create_in(store, resource, path, object);
                }
                None => return Err(not_found(resource, name)),
            };
            let target = if sub == Some("scale") {
                scale_of(&old)
            } else {
                old.clone()
            };
            let patched = match kind {
                "application/json-patch+json" => {
                    let ops: Value = serde_json::from_slice(body)
                        .map_err(|e| ApiError::BadRequest(format!("invalid JSON patch: {e}")))?;
                    apply_json_patch(target, &ops)?
                }
                "application/merge-patch+json"
                | "application/strategic-merge-patch+json"
                | "application/apply-patch+yaml" => merge_patch(target, &parse_body(body)?),
                other => {
                    return Err(ApiError::UnsupportedMediaType(format!(
                        "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {other:?})"
                    )));
                }
            };
            let mut new = match sub {
                Some("scale") => with_replicas(&old, &patched),
                Some("status") => with_status_of(&old, &patched),
                _ => patched,
            };
            // A patch never conflicts on the version it was computed from.
            if let Some(fields) = new["metadata"].as_object_mut() {
                fields.remove("resourceVersion");
            }
            let result = update_in(store, resource, path, name, &old, new, sub.is_some())?;
            Ok(if sub == Some("scale") {
                scale_of(&result)
            } else {
                result
            })
        })
    }

    fn delete(&self, request: &ObjectRequest, name: &str) -> ApiResult<Value> {
        let path = request.path;
        let resource = path.resource;
        self.mutate(request.dry_run(), |store| {
            if resource.kind == "Namespace" {
                return delete_namespace(store, name);
            }
            store.delete(resource, namespace(path), name)
        })
    }

    fn delete_collection(&self, request: &ObjectRequest) -> ApiResult<Value> {
        let doomed = self.selected(request)?;
        let resource = request.path.resource;
        self.mutate(request.dry_run(), |store| {
            for object in &doomed {
                let ns = object["metadata"]["namespace"].as_str().unwrap_or("");
                store.delete(resource, ns, name_of(object))?;
            }
            Ok(list_of(resource, doomed.clone(), store.resource_version()))
        })
    }

    /// Projects are namespaces seen through OpenShift's project API.
    fn project(&self, request: &ObjectRequest) -> ApiResult<(u16, Value)> {
        let namespaces = core("namespaces");
        let path = request.path;
        let as_namespace = ObjectPath {
            resource: namespaces,
            namespace: None,
            name: path.name.clone(),
            subresource: None,
        };
        let is_request = path.resource.kind == "ProjectRequest";
        match (request.method, path.name.as_deref()) {
            ("GET", None) if is_request => Ok((200, success())),
            ("GET", None) => {
                let items = self
                    .selected(&ObjectRequest {
                        path: &as_namespace,
                        ..*request
                    })?
                    .iter()
                    .map(project_of)
                    .collect();
                Ok((200, self.maybe_table(request, items, true)))
            }
            ("GET", Some(name)) => {
                let store = self.store();
                let namespace = store
                    .get(namespaces, "", name)
                    .ok_or_else(|| not_found(path.resource, name))?;
                Ok((200, project_of(namespace)))
            }
            ("POST", None) => {
                let body = self.body_object(request)?;
                let namespace = namespace_from_project(&body, is_request);
                self.mutate(request.dry_run(), |store| {
                    create_in(store, namespaces, &as_namespace, namespace)
                        .map_err(|e| match e {
                            ApiError::AlreadyExists { name, .. } => ApiError::AlreadyExists {
                                group: PROJECT_GROUP.into(),
                                kind: "projects".into(),
                                name,
                            },
                            other => other,
                        })
                        .map(|ns| project_of(&ns))
                })
                .map(|v| (201, v))
            }
            ("DELETE", Some(name)) => self
                .mutate(request.dry_run(), |store| {
                    if store.get(namespaces, "", name).is_none() {
                        return Err(not_found(path.resource, name));
                    }
                    delete_namespace(store, name).map(|_| success())
                })
                .map(|v| (200, v)),
            _ => Err(ApiError::MethodNotAllowed),
        }
    }
}

fn namespace(path: &ObjectPath) -> &str {
    path.namespace.as_deref().unwrap_or("")
}

/// Objects arrive as JSON; YAML (as a server-side apply body may be) is read too.
pub fn parse_body(body: &[u8]) -> ApiResult<Value> {
    serde_json::from_slice(body)
        .or_else(|_| serde_yaml_ng::from_slice(body))
        .map_err(|e| ApiError::BadRequest(format!("the request body is not a valid object: {e}")))
        .and_then(|v: Value| {
            if v.is_object() {
                Ok(v)
            } else {
                Err(ApiError::BadRequest(
                    "the request body is not an object".into(),
                ))
            }
        })
}

/// The namespace and kind of a new object must agree with the URL it was sent to.
fn check_target(resource: &Resource, path: &ObjectPath, object: &mut Value) -> ApiResult<()> {
    if let Some(kind) = object["kind"].as_str() {
        if kind != resource.kind {
            return Err(ApiError::BadRequest(format!(
                "the kind of the provided object ({kind}) does not match the resource ({})",
                resource.plural
            )));
        }
    }
    if !object["metadata"].is_object() {
        object["metadata"] = json!({});
    }
    if resource.namespaced {
        let url = namespace(path);
        match object["metadata"]["namespace"].as_str() {
            Some(body) if !body.is_empty() && body != url => {
                return Err(ApiError::BadRequest(
                    "the namespace of the provided object does not match the namespace sent on the request".into(),
                ));
            }
            _ => object["metadata"]["namespace"] = json!(url),
        }
    } else if let Some(fields) = object["metadata"].as_object_mut() {
        fields.remove("namespace");
    }
    Ok(())
}

pub(super) fn create_in(
    store: &mut Store,
    resource: &'static Resource,
    path: &ObjectPath,
    mut object: Value,
) -> ApiResult<Value> {
    check_target(resource, path, &mut object)?;
    if resource.namespaced {
        let ns = namespace(path);
        match store.get(core("namespaces"), "", ns) {
            None => return Err(not_found(core("namespaces"), ns)),
            Some(n) if n["status"]["phase"] == "Terminating" => {
                return Err(ApiError::BadRequest(format!(
                    "unable to create new content in namespace {ns} because it is being terminated"
                )));
            }
            Some(_) => {}
        }
    }
    admit_create(store, resource, &mut object)?;
    store.create(resource, object)
}

fn update_in(
    store: &mut Store,
    resource: &'static Resource,
    path: &ObjectPath,
    name: &str,
    old: &Value,
    mut object: Value,
    subresource: bool,
) -> ApiResult<Value> {
    check_target(resource, path, &mut object)?;
    if name_of(&object) != name {
        return Err(ApiError::BadRequest(format!(
            "the name of the object ({}) does not match the name on the URL ({name})",
            name_of(&object)
        )));
    }
    if !subresource {
        admit_update(resource, old, &mut object)?;
    }
    store.update(resource, object)
}

/// Deleting a namespace deletes everything in it, then the namespace.
fn delete_namespace(store: &mut Store, name: &str) -> ApiResult<Value> {
    let namespaces = core("namespaces");
    let mut namespace = store.require(namespaces, "", name)?.clone();
    for resource in super::discovery::RESOURCES
        .iter()
        .filter(|r| r.namespaced && r.is_stored())
    {
        for object in store.list(resource, Some(name)) {
            store.delete(resource, name, name_of(&object))?;
        }
    }
    store.delete(namespaces, "", name)?;
    namespace["status"]["phase"] = json!("Terminating");
    namespace["metadata"]["deletionTimestamp"] = json!(now());
    Ok(namespace)
}

pub fn list_of(resource: &Resource, items: Vec<Value>, version: u64) -> Value {
    json!({
        "kind": format!("{}List", resource.kind),
        "apiVersion": resource.api_version(),
        "metadata": {"resourceVersion": version.to_string()},
        "items": items,
    })
}

fn with_status_of(old: &Value, new: &Value) -> Value {
    let mut object = old.clone();
    object["status"] = new["status"].clone();
    object
}

fn scale_of(object: &Value) -> Value {
    let selector = &object["spec"]["selector"];
    let labels = selector.get("matchLabels").unwrap_or(selector);
    let selector_text = labels
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(",");
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": object["metadata"]["name"],
            "namespace": object["metadata"]["namespace"],
            "uid": object["metadata"]["uid"],
            "resourceVersion": object["metadata"]["resourceVersion"],
            "creationTimestamp": object["metadata"]["creationTimestamp"],
        },
        "spec": {"replicas": object["spec"]["replicas"]},
        "status": {"replicas": object["status"]["replicas"], "selector": selector_text},
    })
}

fn with_replicas(old: &Value, scale: &Value) -> Value {
    let mut object = old.clone();
    object["spec"]["replicas"] = scale["spec"]["replicas"].clone();
    object
}

fn project_of(namespace: &Value) -> Value {
    let mut project = namespace.clone();
    project["kind"] = json!("Project");
    project["apiVersion"] = json!("project.openshift.io/v1");
    project["spec"] = json!({"finalizers": ["openshift.io/origin", "kubernetes"]});
    project
}

/// The namespace a Project or ProjectRequest asks for; a request's display name and
/// description become the annotations OpenShift keeps them in.
pub(super) fn namespace_from_project(body: &Value, is_request: bool) -> Value {
    let mut metadata = body["metadata"].clone();
    if !metadata.is_object() {
        metadata = json!({});
    }
    if is_request {
        for (field, annotation) in [
            ("displayName", "openshift.io/display-name"),
            ("description", "openshift.io/description"),
        ] {
            if let Some(text) = body[field].as_str() {
                metadata["annotations"][annotation] = json!(text);
            }
        }
        metadata["annotations"]["openshift.io/requester"] = json!("system:admin");
    }
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata})
}
