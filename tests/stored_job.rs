//! The outside check of the storage decoder: one value a real kube-apiserver stored
//! (etcd-io/auger's test data, tests/fixtures/kube-storage/README.md) must read back as
//! exactly the JSON the API server returned for it.

use lifeboat::stored::{Encoding, decode_stored};
use serde_json::Value;

#[test]
fn job_bin_decodes_to_exactly_job_json() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kube-storage");
    let stored = std::fs::read(dir.join("job.bin")).expect("job.bin");
    // The file ends with one stray newline after the value (README).
    let stored = stored.strip_suffix(b"\n").expect("the stray newline");
    let expected: Value =
        serde_json::from_slice(&std::fs::read(dir.join("job.json")).expect("job.json"))
            .expect("job.json is JSON");
    let decoded = decode_stored(stored);
    assert_eq!(decoded.encoding, Encoding::Protobuf);
    assert_eq!(
        (decoded.api_version.as_str(), decoded.kind.as_str()),
        ("batch/v1", "Job")
    );
    assert_eq!(decoded.problem, None);
    assert_eq!(decoded.unknown_fields, Vec::<String>::new());
    assert_eq!(decoded.object.expect("the object"), expected);
}
