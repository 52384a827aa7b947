//! The objects a new emulated cluster starts with, from the YAML under `assets/sandbox`: the
//! node, system namespaces and cluster roles, and two sample projects (the procedure's
//! Jenkins example and a shop application), created through the same admission as any
//! request. Jenkins also gets some files on its volume, so that a data backup has something
//! to copy.

use color_eyre::eyre::{Result, WrapErr, eyre};
use serde::Deserialize;
use serde_json::Value;

use super::discovery::{by_kind, core};
use super::handlers::{create_in, namespace_from_project};
use super::pods::PodFiles;
use super::routes::ObjectPath;
use super::store::{Store, namespace_of};

const DOCUMENTS: [(&str, &str); 3] = [
    (
        "cluster.yaml",
        include_str!("../../assets/sandbox/cluster.yaml"),
    ),
    (
        "projects/ci.yaml",
        include_str!("../../assets/sandbox/projects/ci.yaml"),
    ),
    (
        "projects/shop.yaml",
        include_str!("../../assets/sandbox/projects/shop.yaml"),
    ),
];

/// Files put on the Jenkins PVC: (path under /var/lib/jenkins, contents).
const JENKINS_HOME: [(&str, &str); 2] = [
    (
        "config.xml",
        include_str!("../../assets/sandbox/jenkins-home/config.xml"),
    ),
    (
        "jobs/nightly/config.xml",
        include_str!("../../assets/sandbox/jenkins-home/jobs/nightly/config.xml"),
    ),
];

pub fn seed(store: &mut Store) -> Result<()> {
    for (file, text) in DOCUMENTS {
        for document in serde_yaml_ng::Deserializer::from_str(text) {
            let object = Value::deserialize(document)
                .wrap_err_with(|| format!("reading assets/sandbox/{file}"))?;
            create(store, object).map_err(|e| eyre!("seeding from assets/sandbox/{file}: {e}"))?;
        }
    }
    Ok(())
}

fn create(store: &mut Store, object: Value) -> Result<(), String> {
    let api_version = object["apiVersion"].as_str().unwrap_or("");
    let kind = object["kind"].as_str().unwrap_or("");
    let (resource, object) = match kind {
        "ProjectRequest" | "Project" => (
            core("namespaces"),
            namespace_from_project(&object, kind == "ProjectRequest"),
        ),
        _ => (
            by_kind(api_version, kind)
                .ok_or_else(|| format!("unknown kind {api_version} {kind}"))?,
            object,
        ),
    };
    let namespace = namespace_of(&object);
    let path = ObjectPath {
        resource,
        namespace: resource.namespaced.then(|| namespace.to_string()),
        name: None,
        subresource: None,
    };
    create_in(store, resource, &path, object)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Writes Jenkins' sample home onto the volume its claim is bound to.
pub fn seed_files(store: &Store, pods: &PodFiles) -> Result<()> {
    let volume = store
        .get(core("persistentvolumeclaims"), "ci", "jenkins")
        .and_then(|claim| claim["spec"]["volumeName"].as_str())
        .ok_or_else(|| eyre!("the seeded Jenkins claim is not bound"))?;
    let home = pods.volume_dir(volume);
    for (path, text) in JENKINS_HOME {
        let file = home.join(path);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent)
                .wrap_err_with(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&file, text).wrap_err_with(|| format!("writing {}", file.display()))?;
    }
    Ok(())
}
