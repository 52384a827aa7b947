//! Which part of the API a request path names.

use super::discovery::{self, Resource};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Health,
    Version,
    CoreVersions,
    GroupList,
    Group(String),
    ResourceList { group: String, version: String },
    Object(ObjectPath),
    Unknown,
}

/// `/api/v1/namespaces/NS/PLURAL/NAME/SUB` and its shorter forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectPath {
    pub resource: &'static Resource,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
}

pub fn route(path: &str) -> Route {
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match segments.as_slice() {
        ["healthz" | "readyz" | "livez", ..] => Route::Health,
        ["version"] => Route::Version,
        ["api"] => Route::CoreVersions,
        ["api", "v1"] => Route::ResourceList {
            group: String::new(),
            version: "v1".into(),
        },
        ["api", "v1", rest @ ..] => object_path("", "v1", rest),
        ["apis"] => Route::GroupList,
        ["apis", group] => Route::Group((*group).into()),
        ["apis", group, version] => Route::ResourceList {
            group: (*group).into(),
            version: (*version).into(),
        },
        ["apis", group, version, rest @ ..] => object_path(group, version, rest),
        _ => Route::Unknown,
    }
}

fn object_path(group: &str, version: &str, rest: &[&str]) -> Route {
    let owned = |s: Option<&&str>| s.map(|s| (*s).to_string());
    // `namespaces/NS/PLURAL/...` unless PLURAL is a subresource of the namespace itself.
    if let ["namespaces", namespace, plural, tail @ ..] = rest {
        if let Some(resource) = discovery::find(group, version, plural).filter(|r| r.namespaced) {
            return Route::Object(ObjectPath {
                resource,
                namespace: Some((*namespace).into()),
                name: owned(tail.first()),
                subresource: owned(tail.get(1)),
            });
        }
    }
    match rest {
        [plural, tail @ ..] => match discovery::find(group, version, plural) {
            Some(resource) => Route::Object(ObjectPath {
                resource,
                namespace: None,
                name: owned(tail.first()),
                subresource: owned(tail.get(1)),
            }),
            None => Route::Unknown,
        },
        [] => Route::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_objects() {
        let Route::Object(path) = route("/api/v1/namespaces/p/pods/web-1/exec") else {
            panic!("not an object path");
        };
        assert_eq!(path.resource.kind, "Pod");
        assert_eq!(path.namespace.as_deref(), Some("p"));
        assert_eq!(path.name.as_deref(), Some("web-1"));
        assert_eq!(path.subresource.as_deref(), Some("exec"));

        let Route::Object(path) = route("/api/v1/namespaces/p") else {
            panic!("not an object path");
        };
        assert_eq!(path.resource.kind, "Namespace");
        assert_eq!(path.name.as_deref(), Some("p"));

        let Route::Object(path) = route("/apis/apps.openshift.io/v1/deploymentconfigs") else {
            panic!("not an object path");
        };
        assert_eq!(path.namespace, None);
        assert_eq!(route("/apis/nope/v1/things"), Route::Unknown);
        assert_eq!(route("/readyz"), Route::Health);
    }
}
