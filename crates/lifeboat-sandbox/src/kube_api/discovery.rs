//! The kinds the emulated API server knows, and the discovery documents kubectl reads to find
//! them (`/api`, `/apis`, and one resource list per group version).

use serde_json::{Value, json};

/// One REST resource: where it lives, what it is called and what may be done to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resource {
    /// `""` for the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub short_names: &'static [&'static str],
    pub namespaced: bool,
    pub verbs: Verbs,
    pub categories: &'static [&'static str],
    /// Whether the server keeps `status` apart from the rest, as real kinds with a status
    /// subresource do: a plain create or update never sets it.
    pub has_status: bool,
    /// Whether it has a `scale` subresource (`kubectl scale`).
    pub scalable: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verbs {
    All,
    /// ProjectRequest: create only (and list, which answers with nothing, as OpenShift's does).
    CreateOnly,
}

impl Verbs {
    fn names(self) -> &'static [&'static str] {
        match self {
            Verbs::All => &[
                "create",
                "delete",
                "deletecollection",
                "get",
                "list",
                "patch",
                "update",
                "watch",
            ],
            Verbs::CreateOnly => &["create", "list"],
        }
    }
}

impl Resource {
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    pub fn singular(&self) -> String {
        self.kind.to_lowercase()
    }

    /// Whether the objects of this resource are stored (Project is a view of Namespace,
    /// ProjectRequest only creates one).
    pub fn is_stored(&self) -> bool {
        self.group != PROJECT_GROUP
    }
}

pub const PROJECT_GROUP: &str = "project.openshift.io";

const fn kind(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    short_names: &'static [&'static str],
    namespaced: bool,
) -> Resource {
    Resource {
        group,
        version,
        kind,
        plural,
        short_names,
        namespaced,
        verbs: Verbs::All,
        categories: &[],
        has_status: false,
        scalable: false,
    }
}

const fn in_all(mut resource: Resource) -> Resource {
    resource.categories = &["all"];
    resource
}

const fn with_status(mut resource: Resource) -> Resource {
    resource.has_status = true;
    resource
}

const fn scalable(mut resource: Resource) -> Resource {
    resource.scalable = true;
    resource.has_status = true;
    resource
}

const RBAC: &str = "rbac.authorization.k8s.io";

/// Core, apps, batch and rbac kinds, and the OpenShift kinds the backup procedure uses.
pub const RESOURCES: &[Resource] = &[
    with_status(kind("", "v1", "Namespace", "namespaces", &["ns"], false)),
    with_status(in_all(kind("", "v1", "Pod", "pods", &["po"], true))),
    with_status(in_all(kind(
        "",
        "v1",
        "Service",
        "services",
        &["svc"],
        true,
    ))),
    kind("", "v1", "ConfigMap", "configmaps", &["cm"], true),
    kind("", "v1", "Secret", "secrets", &[], true),
    kind("", "v1", "ServiceAccount", "serviceaccounts", &["sa"], true),
    with_status(kind(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        &["pvc"],
        true,
    )),
    with_status(kind(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        &["pv"],
        false,
    )),
    kind("", "v1", "Endpoints", "endpoints", &["ep"], true),
    kind("", "v1", "Event", "events", &["ev"], true),
    scalable(in_all(kind(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        &["rc"],
        true,
    ))),
    with_status(kind("", "v1", "Node", "nodes", &["no"], false)),
    kind("", "v1", "LimitRange", "limitranges", &["limits"], true),
    with_status(kind(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        &["quota"],
        true,
    )),
    scalable(in_all(kind(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        &["deploy"],
        true,
    ))),
    scalable(in_all(kind(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        &["rs"],
        true,
    ))),
    scalable(in_all(kind(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        &["sts"],
        true,
    ))),
    with_status(in_all(kind(
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        &["ds"],
        true,
    ))),
    with_status(in_all(kind("batch", "v1", "Job", "jobs", &[], true))),
    with_status(in_all(kind(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        &["cj"],
        true,
    ))),
    kind(RBAC, "v1", "Role", "roles", &[], true),
    kind(RBAC, "v1", "RoleBinding", "rolebindings", &[], true),
    kind(RBAC, "v1", "ClusterRole", "clusterroles", &[], false),
    kind(
        RBAC,
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        &[],
        false,
    ),
    scalable(in_all(kind(
        "apps.openshift.io",
        "v1",
        "DeploymentConfig",
        "deploymentconfigs",
        &["dc"],
        true,
    ))),
    kind(PROJECT_GROUP, "v1", "Project", "projects", &[], false),
    Resource {
        verbs: Verbs::CreateOnly,
        ..kind(
            PROJECT_GROUP,
            "v1",
            "ProjectRequest",
            "projectrequests",
            &[],
            false,
        )
    },
    with_status(in_all(kind(
        "route.openshift.io",
        "v1",
        "Route",
        "routes",
        &[],
        true,
    ))),
    with_status(in_all(kind(
        "build.openshift.io",
        "v1",
        "BuildConfig",
        "buildconfigs",
        &["bc"],
        true,
    ))),
    with_status(in_all(kind(
        "build.openshift.io",
        "v1",
        "Build",
        "builds",
        &[],
        true,
    ))),
    with_status(in_all(kind(
        "image.openshift.io",
        "v1",
        "ImageStream",
        "imagestreams",
        &["is"],
        true,
    ))),
];

/// The resource at `group`/`version` named `plural`.
pub fn find(group: &str, version: &str, plural: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

/// The resource of a kind, by its `apiVersion` and `kind` fields.
pub fn by_kind(api_version: &str, kind: &str) -> Option<&'static Resource> {
    RESOURCES
        .iter()
        .find(|r| r.kind == kind && r.api_version() == api_version)
}

pub fn core(plural: &str) -> &'static Resource {
    // Only called with the core plurals above; a typo is a bug the tests catch at once.
    find("", "v1", plural).unwrap_or(&RESOURCES[0])
}

pub fn named(group: &str, plural: &str) -> &'static Resource {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural)
        .unwrap_or(&RESOURCES[0])
}

fn groups() -> Vec<(&'static str, &'static str)> {
    let mut groups: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES.iter().filter(|r| !r.group.is_empty()) {
        if !groups.contains(&(r.group, r.version)) {
            groups.push((r.group, r.version));
        }
    }
    groups
}

/// `GET /api`.
pub fn core_versions() -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "127.0.0.1"}],
    })
}

fn group_entry(group: &str, version: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/{version}"), "version": version});
    json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
}

/// `GET /apis`.
pub fn group_list() -> Value {
    let groups: Vec<Value> = groups()
        .into_iter()
        .map(|(g, v)| group_entry(g, v))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `GET /apis/GROUP`.
pub fn group(name: &str) -> Option<Value> {
    groups()
        .into_iter()
        .find(|(g, _)| *g == name)
        .map(|(g, v)| {
            let mut entry = group_entry(g, v);
            entry["kind"] = json!("APIGroup");
            entry["apiVersion"] = json!("v1");
            entry
        })
}

/// `GET /api/v1` or `GET /apis/GROUP/VERSION`: every resource with its verbs, kind, short
/// names and subresources, as `kubectl api-resources` prints them.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let members: Vec<&Resource> = RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
        .collect();
    if members.is_empty() {
        return None;
    }
    let mut resources = Vec::new();
    for r in members {
        let mut entry = json!({
            "name": r.plural,
            "singularName": r.singular(),
            "namespaced": r.namespaced,
            "kind": r.kind,
            "verbs": r.verbs.names(),
        });
        if !r.short_names.is_empty() {
            entry["shortNames"] = json!(r.short_names);
        }
        if !r.categories.is_empty() {
            entry["categories"] = json!(r.categories);
        }
        resources.push(entry);
        let sub = |name: &str, kind: &str, verbs: &[&str]| {
            json!({"name": format!("{}/{name}", r.plural), "singularName": "",
                   "namespaced": r.namespaced, "kind": kind, "verbs": verbs})
        };
        if r.has_status {
            resources.push(sub("status", r.kind, &["get", "patch", "update"]));
        }
        if r.scalable {
            let mut scale = sub("scale", "Scale", &["get", "patch", "update"]);
            scale["group"] = json!("autoscaling");
            scale["version"] = json!("v1");
            resources.push(scale);
        }
        if r.kind == "Pod" {
            resources.push(sub("exec", "PodExecOptions", &["create", "get"]));
            resources.push(sub("log", "Pod", &["get"]));
        }
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plural_is_unique_within_its_group() {
        for (i, a) in RESOURCES.iter().enumerate() {
            for b in &RESOURCES[i + 1..] {
                assert!(
                    !(a.group == b.group && a.plural == b.plural),
                    "{} twice",
                    a.plural
                );
            }
        }
    }

    #[test]
    fn core_list_names_exec_and_scale_subresources() {
        let list = resource_list("", "v1").expect("core list");
        let names: Vec<&str> = list["resources"]
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|r| r["name"].as_str())
            .collect();
        assert!(names.contains(&"pods/exec"));
        assert!(names.contains(&"replicationcontrollers/scale"));
        assert_eq!(core("configmaps").kind, "ConfigMap");
        assert_eq!(
            named("apps.openshift.io", "deploymentconfigs").kind,
            "DeploymentConfig"
        );
    }
}
