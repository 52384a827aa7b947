use super::*;
use crate::bundle::{BundleIdentity, seal};

/// A sealed bundle with one file, and its manifest as JSON to tamper with.
fn sealed(dir: &Path) -> (PathBuf, serde_json::Value) {
    let staging = dir.join("b.partial");
    std::fs::create_dir(&staging).expect("mkdir");
    std::fs::write(staging.join("certs.tar"), "certs").expect("writes");
    let out = dir.join("b");
    seal(&staging, &out, BundleIdentity::default(), None).expect("seals");
    let json =
        serde_json::from_slice(&std::fs::read(out.join(MANIFEST)).expect("reads")).expect("json");
    (out, json)
}

fn rewrite(bundle: &Path, json: &serde_json::Value) {
    std::fs::write(bundle.join(MANIFEST), json.to_string()).expect("writes");
}

#[test]
fn paths_outside_the_bundle_are_refused_not_followed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (bundle, mut json) = sealed(dir.path());
    assert!(verify(&bundle).is_ok());
    std::fs::write(dir.path().join("outside"), "certs").expect("writes");
    for path in [
        "../outside",
        "/etc/shadow",
        "./certs.tar",
        "a/../certs.tar",
        "",
    ] {
        json["files"][0]["path"] = path.into();
        rewrite(&bundle, &json);
        let error = verify(&bundle).expect_err(path);
        assert!(
            matches!(error, VerifyError::InvalidManifest(..))
                && error.to_string().contains("not a plain relative path"),
            "{path}: {error}"
        );
    }
}

#[test]
fn a_field_of_the_wrong_type_says_what_is_wrong() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (bundle, mut json) = sealed(dir.path());
    json["files"][0]["size"] = "five".into();
    rewrite(&bundle, &json);
    let error = verify(&bundle).expect_err("refused").to_string();
    assert!(error.contains("not a valid manifest"), "{error}");
    assert!(error.contains("invalid type"), "{error}");
    assert!(!error.contains("no readable"), "{error}");
}
