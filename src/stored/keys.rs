//! Where a Kubernetes API server keeps its objects in etcd: `<prefix>/<resource>/<namespace>/
//! <name>`, or `<prefix>/<resource>/<name>` for cluster-scoped ones. The prefix is `/registry`
//! upstream, `/kubernetes.io` and `/openshift.io` on OpenShift 3; services are under
//! `services/specs`, custom resources under `<group>/<plural>`.

/// The prefixes lifeboat looks for.
pub const PREFIXES: [&str; 3] = ["/registry/", "/kubernetes.io/", "/openshift.io/"];

/// One storage key taken apart.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageKey {
    /// `/registry`, `/kubernetes.io` or `/openshift.io`.
    pub prefix: String,
    /// `deploymentconfigs`, `services/specs`, `apiregistration.k8s.io/apiservices`.
    pub resource: String,
    pub namespace: Option<String>,
    pub name: String,
}

impl StorageKey {
    pub fn parse(key: &[u8]) -> Option<StorageKey> {
        let key = std::str::from_utf8(key).ok()?;
        let prefix = PREFIXES.iter().find(|p| key.starts_with(*p))?;
        let rest: Vec<&str> = key[prefix.len()..].split('/').collect();
        if rest.iter().any(|s| s.is_empty()) {
            return None;
        }
        // A group (it has a dot) or services' `specs`/`endpoints` make a two-part resource.
        let two_part = rest.len() >= 3
            && (rest[0].contains('.') || (rest[0] == "services" && rest.len() >= 3));
        let (resource, names) = if two_part {
            (format!("{}/{}", rest[0], rest[1]), &rest[2..])
        } else {
            (rest[0].to_string(), &rest[1..])
        };
        let (namespace, name) = match names {
            [name] => (None, name.to_string()),
            [namespace, name] => (Some(namespace.to_string()), name.to_string()),
            _ => return None,
        };
        Some(StorageKey {
            prefix: prefix.trim_end_matches('/').to_string(),
            resource,
            namespace,
            name,
        })
    }

    /// The resource as kubectl names it (`services`, `apiservices`).
    pub fn plural(&self) -> &str {
        match self.resource.split_once('/') {
            Some(("services", _)) => "services",
            Some((_, plural)) => plural,
            None => &self.resource,
        }
    }

    /// The kind this resource most likely holds, for values that cannot be decoded
    /// (encrypted): `configmaps` is `ConfigMap`.
    pub fn guessed_kind(&self) -> String {
        let plural = self.plural();
        let known = [
            ("configmaps", "ConfigMap"),
            ("secrets", "Secret"),
            ("serviceaccounts", "ServiceAccount"),
            ("persistentvolumeclaims", "PersistentVolumeClaim"),
            ("rolebindings", "RoleBinding"),
            ("deploymentconfigs", "DeploymentConfig"),
            ("imagestreams", "ImageStream"),
            ("buildconfigs", "BuildConfig"),
            ("replicationcontrollers", "ReplicationController"),
            ("resourcequotas", "ResourceQuota"),
            ("limitranges", "LimitRange"),
            ("networkpolicies", "NetworkPolicy"),
            ("ingress", "Ingress"),
            ("endpoints", "Endpoints"),
        ];
        if let Some((_, kind)) = known.iter().find(|(p, _)| *p == plural) {
            return kind.to_string();
        }
        let singular = plural.strip_suffix('s').unwrap_or(plural);
        let mut kind = singular.to_string();
        if let Some(first) = kind.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        kind
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(key: &str) -> (String, String, Option<String>, String) {
        let k = StorageKey::parse(key.as_bytes()).expect(key);
        (k.prefix, k.resource, k.namespace, k.name)
    }

    #[test]
    fn keys_of_upstream_and_openshift_3_are_taken_apart() {
        assert_eq!(
            parse("/registry/jobs/default/pi"),
            (
                "/registry".into(),
                "jobs".into(),
                Some("default".into()),
                "pi".into()
            )
        );
        assert_eq!(
            parse("/kubernetes.io/services/specs/shop/web"),
            (
                "/kubernetes.io".into(),
                "services/specs".into(),
                Some("shop".into()),
                "web".into()
            )
        );
        assert_eq!(
            parse("/openshift.io/deploymentconfigs/shop/web").1,
            "deploymentconfigs"
        );
        assert_eq!(parse("/kubernetes.io/namespaces/shop").2, None);
        assert_eq!(
            parse("/registry/apiregistration.k8s.io/apiservices/v1.apps").1,
            "apiregistration.k8s.io/apiservices"
        );
        assert!(StorageKey::parse(b"/registry/a/b/c/d").is_none());
        assert!(StorageKey::parse(b"/elsewhere/x/y").is_none());
        assert!(StorageKey::parse(b"/registry//x").is_none());
    }

    #[test]
    fn kinds_are_guessed_only_for_what_cannot_be_read() {
        let key = StorageKey::parse(b"/registry/secrets/shop/db").expect("key");
        assert_eq!(key.guessed_kind(), "Secret");
        let key = StorageKey::parse(b"/openshift.io/routes/shop/web").expect("key");
        assert_eq!(key.guessed_kind(), "Route");
    }
}
