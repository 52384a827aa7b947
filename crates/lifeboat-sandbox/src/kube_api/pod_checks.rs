//! The checks a real API server makes on what a pod names on disk: volume names, the keys of
//! configMap and secret volumes, and mount paths. In the sandbox these become host paths
//! (`<sandbox>/kube/pods/UID/volumes/NAME`, files named by keys, mount points inside the pod's
//! root), and the server runs as root: a volume named `../../..` mounted the host's root into
//! a pod before they were checked. They are checked at admission (422 Invalid, as a real
//! server answers) and again where a path is built, for objects stored before.

use std::path::{Component, Path, PathBuf};

use serde_json::Value;

/// An RFC 1123 label: what Kubernetes requires of a volume name.
pub fn valid_label(name: &str) -> bool {
    let ends = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    !name.is_empty()
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && ends(name.chars().next())
        && ends(name.chars().last())
}

/// A configMap or secret key: alphanumerics, `-`, `_` and `.`, but never `.` or `..`.
pub fn valid_config_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 253
        && key != "."
        && key != ".."
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c))
}

/// A mount path: absolute, of plain names only (no `..`, no `.`), and not `:` (as Kubernetes
/// refuses). Returns it relative to the pod's root.
pub fn mount_inside(path: &str) -> Option<PathBuf> {
    let path = Path::new(path);
    if !path.is_absolute() || path.as_os_str().to_string_lossy().contains(':') {
        return None;
    }
    let mut relative = PathBuf::new();
    for component in path.components() {
        match component {
            Component::RootDir => {}
            Component::Normal(part) => relative.push(part),
            Component::CurDir | Component::ParentDir | Component::Prefix(_) => return None,
        }
    }
    (!relative.as_os_str().is_empty()).then_some(relative)
}

/// The first field of a pod spec that would name a path it must not, with the reason.
pub fn pod_spec_problem(spec: &Value) -> Option<(String, String)> {
    let list = |v: &Value| v.as_array().cloned().unwrap_or_default();
    for (i, volume) in list(&spec["volumes"]).iter().enumerate() {
        let name = volume["name"].as_str().unwrap_or("");
        if !valid_label(name) {
            return Some((
                format!("spec.volumes[{i}].name"),
                format!(
                    "Invalid value: {name:?}: a volume name must be a lowercase RFC 1123 label"
                ),
            ));
        }
    }
    let containers = list(&spec["containers"]).into_iter().enumerate();
    for (c, container) in containers {
        for (m, mount) in list(&container["volumeMounts"]).iter().enumerate() {
            let field = format!("spec.containers[{c}].volumeMounts[{m}]");
            let name = mount["name"].as_str().unwrap_or("");
            if !valid_label(name) {
                return Some((
                    format!("{field}.name"),
                    format!("Invalid value: {name:?}: must be a volume name"),
                ));
            }
            let path = mount["mountPath"].as_str().unwrap_or("");
            if mount_inside(path).is_none() {
                return Some((
                    format!("{field}.mountPath"),
                    format!(
                        "Invalid value: {path:?}: must be an absolute path of plain names (no '..', no ':')"
                    ),
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_keys_and_mount_paths_that_would_leave_their_directory_are_refused() {
        for bad in ["", "..", "../../..", "a/b", "Data", "-x", "x-"] {
            assert!(!valid_label(bad), "{bad}");
        }
        assert!(valid_label("jenkins-data"));
        for bad in ["", ".", "..", "a/b", "../x"] {
            assert!(!valid_config_key(bad), "{bad}");
        }
        assert!(valid_config_key(".dockercfg") && valid_config_key("ca.crt"));
        for bad in ["", "/", "relative", "/a/../..", "/a:b"] {
            assert!(mount_inside(bad).is_none(), "{bad}");
        }
        assert_eq!(
            mount_inside("/var/lib/jenkins/"),
            Some(PathBuf::from("var/lib/jenkins"))
        );
    }

    #[test]
    fn a_pod_naming_the_host_root_as_a_volume_is_refused() {
        let spec = json!({
            "volumes": [{"name": "../../..", "emptyDir": {}}],
            "containers": [{"name": "c", "volumeMounts": [{"name": "../../..", "mountPath": "/host"}]}]
        });
        let (field, _) = pod_spec_problem(&spec).expect("refused");
        assert_eq!(field, "spec.volumes[0].name");
        let spec = json!({
            "volumes": [{"name": "data", "emptyDir": {}}],
            "containers": [{"name": "c", "volumeMounts": [{"name": "data", "mountPath": "/../../etc"}]}]
        });
        let (field, _) = pod_spec_problem(&spec).expect("refused");
        assert_eq!(field, "spec.containers[0].volumeMounts[0].mountPath");
    }
}
