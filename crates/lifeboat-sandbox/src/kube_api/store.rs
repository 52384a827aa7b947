//! Every object the emulated API server holds, keyed by resource, namespace and name, with the
//! fields a real server owns (uid, resourceVersion, creationTimestamp, generation). Saved to
//! one JSON file after each change, atomically, so a restarted server keeps its objects.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::discovery::Resource;
use super::status::{ApiError, ApiResult};
use lifeboat::fsutil::write_atomically;

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Saved {
    resource_version: u64,
    objects: BTreeMap<String, Value>,
}

#[derive(Clone, Debug)]
pub struct Store {
    path: PathBuf,
    saved: Saved,
    /// What changed since the last `take_changes`, for watchers.
    changes: Vec<Change>,
    /// The etcd writes of the changes since the last `take_writes` (`etcd_store`).
    writes: Vec<super::etcd_store::Write>,
}

/// One change, as a watch event reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    /// `ADDED`, `MODIFIED` or `DELETED`.
    pub event: &'static str,
    pub resource: &'static Resource,
    pub object: Value,
}

/// The storage key: resource, then namespace, then name, so a list comes out ordered the way
/// a real server orders it.
fn key(resource: &Resource, namespace: &str, name: &str) -> String {
    format!("{}|{}|{namespace}|{name}", resource.group, resource.plural)
}

fn prefix(resource: &Resource, namespace: Option<&str>) -> String {
    match namespace {
        Some(ns) => format!("{}|{}|{ns}|", resource.group, resource.plural),
        None => format!("{}|{}|", resource.group, resource.plural),
    }
}

pub fn name_of(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or("")
}

pub fn namespace_of(object: &Value) -> &str {
    object["metadata"]["namespace"].as_str().unwrap_or("")
}

pub fn uid_of(object: &Value) -> &str {
    object["metadata"]["uid"].as_str().unwrap_or("")
}

/// `bytes` random-looking bytes in hex, from the clock, the pid and a counter: unique enough
/// for uids and name suffixes. Never for a secret: the API token comes from `token`.
pub fn random_hex(bytes: usize) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = Sha256::new();
    hasher.update(jiff::Timestamp::now().as_nanosecond().to_le_bytes());
    hasher.update(std::process::id().to_le_bytes());
    hasher.update(COUNTER.fetch_add(1, Ordering::Relaxed).to_le_bytes());
    let digest = hasher.finalize();
    digest[..bytes.min(32)]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn now() -> String {
    jiff::Timestamp::now()
        .strftime("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

impl Store {
    /// Opens the store saved at `path`, or an empty one; `None` in the second place tells the
    /// caller it is new (and wants seeding).
    pub fn open(path: &Path) -> Result<(Self, bool)> {
        let (saved, fresh) = match std::fs::read_to_string(path) {
            Ok(text) => (
                serde_json::from_str(&text)
                    .wrap_err_with(|| format!("reading the API objects in {}", path.display()))?,
                false,
            ),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => (Saved::default(), true),
            Err(error) => {
                return Err(error).wrap_err_with(|| format!("reading {}", path.display()));
            }
        };
        Ok((
            Store {
                path: path.to_path_buf(),
                saved,
                changes: Vec::new(),
                writes: Vec::new(),
            },
            fresh,
        ))
    }

    /// A store of the objects etcd held (`etcd_store::Loaded`), each with its mod revision
    /// as its resourceVersion, as a real server fills it in. Objects of kinds this server
    /// does not serve are left where they are.
    pub fn from_etcd(path: &Path, loaded: super::etcd_store::Loaded) -> Self {
        let mut objects = BTreeMap::new();
        for (mut object, revision) in loaded.objects {
            let api_version = object["apiVersion"].as_str().unwrap_or("").to_string();
            let kind = object["kind"].as_str().unwrap_or("").to_string();
            let Some(resource) = super::discovery::by_kind(&api_version, &kind) else {
                continue;
            };
            object["metadata"]["resourceVersion"] = json!(revision.to_string());
            let key = key(resource, namespace_of(&object), name_of(&object));
            objects.insert(key, object);
        }
        Store {
            path: path.to_path_buf(),
            saved: Saved {
                resource_version: u64::try_from(loaded.revision).unwrap_or(0),
                objects,
            },
            changes: Vec::new(),
            writes: Vec::new(),
        }
    }

    /// The etcd writes of every change since the last call, in order.
    pub fn take_writes(&mut self) -> Vec<super::etcd_store::Write> {
        std::mem::take(&mut self.writes)
    }

    /// Queues a write of every object: for a store read from its JSON file into an etcd
    /// that does not hold it yet.
    pub fn write_all(&mut self) {
        let all: Vec<(&'static Resource, Value)> = self
            .saved
            .objects
            .values()
            .filter_map(|o| {
                let resource = super::discovery::by_kind(
                    o["apiVersion"].as_str().unwrap_or(""),
                    o["kind"].as_str().unwrap_or(""),
                )?;
                Some((resource, o.clone()))
            })
            .collect();
        for (resource, object) in all {
            self.queue_write(resource, &object, false);
        }
    }

    fn queue_write(&mut self, resource: &Resource, object: &Value, deleted: bool) {
        let key = super::etcd_store::storage_key(resource, namespace_of(object), name_of(object));
        let value = (!deleted).then(|| super::etcd_store::stored_value(object));
        self.writes.push((key, value));
    }

    pub fn save(&self) -> Result<()> {
        write_atomically(&self.path, &self.to_json()?, 0o600)
    }

    pub fn to_json(&self) -> Result<Vec<u8>> {
        serde_json::to_vec(&self.saved).wrap_err("serializing the API objects")
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn take_changes(&mut self) -> Vec<Change> {
        std::mem::take(&mut self.changes)
    }

    pub fn resource_version(&self) -> u64 {
        self.saved.resource_version
    }

    pub fn get(&self, resource: &Resource, namespace: &str, name: &str) -> Option<&Value> {
        self.saved.objects.get(&key(resource, namespace, name))
    }

    pub fn require(&self, resource: &Resource, namespace: &str, name: &str) -> ApiResult<&Value> {
        self.get(resource, namespace, name)
            .ok_or_else(|| not_found(resource, name))
    }

    /// Every object of `resource`, in one namespace or all.
    pub fn list(&self, resource: &Resource, namespace: Option<&str>) -> Vec<Value> {
        let prefix = prefix(resource, namespace);
        self.saved
            .objects
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// One page of [`Store::list`]: up to `limit` objects that `keep` accepts, from the first
    /// after `after` (namespace, name) in list order, and whether more follow. For
    /// `limit`/`continue` lists, which must not copy every object for every page.
    pub fn list_page(
        &self,
        resource: &Resource,
        namespace: Option<&str>,
        after: Option<(&str, &str)>,
        limit: usize,
        keep: impl Fn(&Value) -> bool,
    ) -> (Vec<Value>, bool) {
        use std::ops::Bound;
        let prefix = prefix(resource, namespace);
        let start = match after {
            Some((ns, name)) => Bound::Excluded(key(resource, ns, name)),
            None => Bound::Included(prefix.clone()),
        };
        let mut page: Vec<Value> = self
            .saved
            .objects
            .range((start, Bound::Unbounded))
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, v)| v)
            .filter(|v| keep(v))
            .take(limit.saturating_add(1))
            .cloned()
            .collect();
        let more = page.len() > limit;
        page.truncate(limit);
        (page, more)
    }

    /// Every object of every resource, for the controllers' sweeps.
    pub fn all(&self) -> impl Iterator<Item = &Value> {
        self.saved.objects.values()
    }

    pub fn fresh_hex(&mut self, bytes: usize) -> String {
        random_hex(bytes)
    }

    pub fn fresh_uid(&mut self) -> String {
        let hex = self.fresh_hex(16);
        format!(
            "{}-{}-4{}-a{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[17..20],
            &hex[20..32]
        )
    }

    /// A five-character suffix from the alphabet Kubernetes uses for generated names.
    pub fn fresh_suffix(&mut self) -> String {
        const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        self.fresh_hex(5)
            .as_bytes()
            .chunks(2)
            .map(|pair| {
                let value =
                    u8::from_str_radix(std::str::from_utf8(pair).unwrap_or("0"), 16).unwrap_or(0);
                char::from(ALPHABET[usize::from(value) % ALPHABET.len()])
            })
            .collect()
    }

    fn bump(&mut self) -> String {
        self.saved.resource_version += 1;
        self.saved.resource_version.to_string()
    }

    /// Stores a new object, assigning the fields the server owns.
    pub fn create(&mut self, resource: &'static Resource, mut object: Value) -> ApiResult<Value> {
        let namespace = namespace_of(&object).to_string();
        let name = name_of(&object).to_string();
        let key = key(resource, &namespace, &name);
        if self.saved.objects.contains_key(&key) {
            return Err(ApiError::AlreadyExists {
                group: resource.group.into(),
                kind: resource.plural.into(),
                name,
            });
        }
        object["apiVersion"] = json!(resource.api_version());
        object["kind"] = json!(resource.kind);
        let uid = self.fresh_uid();
        let version = self.bump();
        let metadata = &mut object["metadata"];
        metadata["uid"] = json!(uid);
        metadata["resourceVersion"] = json!(version);
        metadata["creationTimestamp"] = json!(now());
        metadata["generation"] = json!(1);
        if let Some(fields) = metadata.as_object_mut() {
            fields.remove("deletionTimestamp");
            fields.remove("selfLink");
        }
        self.saved.objects.insert(key, object.clone());
        self.record("ADDED", resource, &object);
        Ok(object)
    }

    fn record(&mut self, event: &'static str, resource: &'static Resource, object: &Value) {
        self.queue_write(resource, object, event == "DELETED");
        self.changes.push(Change {
            event,
            resource,
            object: object.clone(),
        });
    }

    /// Replaces an object. A `resourceVersion` in the new object must match the stored one
    /// (optimistic concurrency); without one the update is unconditional. uid and
    /// creationTimestamp stay; generation goes up when anything outside metadata and status
    /// changed.
    pub fn update(&mut self, resource: &'static Resource, mut object: Value) -> ApiResult<Value> {
        let namespace = namespace_of(&object).to_string();
        let name = name_of(&object).to_string();
        let key = key(resource, &namespace, &name);
        let old = self
            .saved
            .objects
            .get(&key)
            .ok_or_else(|| not_found(resource, &name))?;
        if let Some(wanted) = object["metadata"]["resourceVersion"].as_str() {
            if !wanted.is_empty() && Some(wanted) != old["metadata"]["resourceVersion"].as_str() {
                return Err(ApiError::Conflict {
                    kind: resource.plural.into(),
                    name,
                    message: "the object has been modified; please apply your changes to the latest version and try again".into(),
                });
            }
        }
        let generation = old["metadata"]["generation"].as_i64().unwrap_or(1);
        let generation = if spec_of(old) == spec_of(&object) {
            generation
        } else {
            generation + 1
        };
        if object == *old {
            return Ok(object);
        }
        object["apiVersion"] = json!(resource.api_version());
        object["kind"] = json!(resource.kind);
        for owned in ["uid", "creationTimestamp"] {
            object["metadata"][owned] = old["metadata"][owned].clone();
        }
        object["metadata"]["generation"] = json!(generation);
        object["metadata"]["resourceVersion"] = json!(self.bump());
        self.saved.objects.insert(key, object.clone());
        self.record("MODIFIED", resource, &object);
        Ok(object)
    }

    pub fn delete(
        &mut self,
        resource: &'static Resource,
        namespace: &str,
        name: &str,
    ) -> ApiResult<Value> {
        let mut object = self
            .saved
            .objects
            .remove(&key(resource, namespace, name))
            .ok_or_else(|| not_found(resource, name))?;
        object["metadata"]["resourceVersion"] = json!(self.bump());
        self.record("DELETED", resource, &object);
        Ok(object)
    }
}

/// Everything but metadata and status: what a change of bumps `generation`.
fn spec_of(object: &Value) -> Value {
    let mut rest = object.clone();
    if let Some(fields) = rest.as_object_mut() {
        for ignored in ["metadata", "status", "kind", "apiVersion"] {
            fields.remove(ignored);
        }
    }
    rest
}

pub fn not_found(resource: &Resource, name: &str) -> ApiError {
    ApiError::NotFound {
        group: resource.group.into(),
        kind: resource.plural.into(),
        name: name.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kube_api::discovery::core;

    fn configmap(name: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "p"}, "data": {"a": "1"}})
    }

    #[test]
    fn server_owned_fields_and_conflicts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut store, fresh) = Store::open(&dir.path().join("s.json")).expect("opens");
        assert!(fresh);
        let cm = core("configmaps");
        let created = store.create(cm, configmap("one")).expect("creates");
        assert_eq!(created["metadata"]["generation"], 1);
        assert_eq!(created["kind"], "ConfigMap");
        assert!(matches!(
            store.create(cm, configmap("one")),
            Err(ApiError::AlreadyExists { .. })
        ));
        let mut changed = created.clone();
        changed["data"]["a"] = json!("2");
        let updated = store.update(cm, changed.clone()).expect("updates");
        assert_eq!(updated["metadata"]["generation"], 2);
        assert_eq!(updated["metadata"]["uid"], created["metadata"]["uid"]);
        assert!(matches!(
            store.update(cm, changed),
            Err(ApiError::Conflict { .. })
        ));
        store.save().expect("saves");
        let (reopened, fresh) = Store::open(&dir.path().join("s.json")).expect("reopens");
        assert!(!fresh);
        assert_eq!(reopened.list(cm, Some("p")).len(), 1);
        assert_eq!(reopened.resource_version(), store.resource_version());
        assert_eq!(store.fresh_suffix().len(), 5);
    }
}
