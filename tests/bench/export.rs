//! Export: `lifeboat project export` of a project of 20,000 objects (six config maps, two
//! secrets and two services in every ten, a kilobyte of data each) against `kubectl get` of
//! the same kinds with `-o yaml`, on the sandbox's emulated API server. lifeboat also cleans
//! every object, splits the procedure's files and writes a manifest with SHA-256 sums.
//! Flat memory: lifeboat's peak RSS on a quarter of the objects is printed beside it.

use super::common::{Sandbox, path};
use super::measure::{Run, alternate, measure, median_peak_mib, report_runs};

const PROJECT: &str = "bench-0000";

fn objects() -> usize {
    if super::quick() { 2_000 } else { 20_000 }
}

/// A sandbox whose one seeded project holds `objects` objects.
fn seeded(objects: usize) -> Sandbox {
    Sandbox::up_with(
        1,
        &[
            "--seed-projects",
            "1",
            "--seed-objects",
            &objects.to_string(),
        ],
    )
}

fn export(sandbox: &Sandbox, dir: &std::path::Path) -> Run {
    measure(sandbox.lifeboat.command().envs(sandbox.env()).args([
        "project",
        "export",
        PROJECT,
        "--yes",
        "--out",
        path(dir),
    ]))
}

pub fn run() {
    let sandbox = seeded(objects());

    let out = sandbox.dir.parent().expect("root").join("exports");
    let lifeboat = |round: usize| export(&sandbox, &out.join(format!("lifeboat-{round}")));
    // The kinds lifeboat listed, so that kubectl is asked for exactly the same.
    let first = lifeboat(0);
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(out.join("lifeboat-0").join(PROJECT).join("manifest.json"))
            .expect("the export's manifest"),
    )
    .expect("json");
    // The export really holds every seeded object, or the figure measures nothing.
    let count = |kind: &str| manifest["project"]["counts"][kind].as_u64().unwrap_or(0);
    let tenth = objects() as u64 / 10;
    assert!(
        count("ConfigMap") >= 6 * tenth
            && count("Secret") >= 2 * tenth
            && count("Service") >= 2 * tenth,
        "the export misses seeded objects: {}",
        manifest["project"]["counts"]
    );
    let kinds: Vec<String> = manifest["project"]["kinds"]
        .as_array()
        .expect("kinds listed")
        .iter()
        .filter_map(|k| k.as_str().map(String::from))
        .collect();
    let kinds = kinds.join(",");
    let kubectl =
        || measure(&mut sandbox.kubectl_command(&["get", &kinds, "-n", PROJECT, "-o", "yaml"]));
    let first_kubectl = kubectl();
    // Round 0 ran above (lifeboat's gave the kinds); the others alternate.
    let (mut ours, mut theirs) = alternate(
        super::rounds() - 1,
        |round| lifeboat(round + 1),
        |_| kubectl(),
    );
    ours.insert(0, first);
    theirs.insert(0, first_kubectl);
    report_runs(&format!("export {} objects", objects()), &ours, &theirs);
    drop(sandbox);

    let quarter = objects() / 4;
    let small = seeded(quarter);
    let runs: Vec<Run> = (0..3)
        .map(|round| export(&small, &out.join(format!("small-{round}"))))
        .collect();
    println!(
        "{:<28} {:<18} lifeboat {:>10.3} MiB  at {quarter} objects (flat: the same as at {})",
        format!("export {quarter} objects"),
        "peak RSS",
        median_peak_mib(&runs),
        objects()
    );
}
