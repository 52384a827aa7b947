//! Property tests of every reader of bytes someone else wrote: the archive extractor, a
//! bundle's manifest.json, etcd.conf, master-config.yaml, a join bundle's join.json and the
//! bbolt page reader. Whatever the input, each gives a value or an error: never a panic, a
//! hang or a huge allocation, and the extractor never writes outside its target.

#[path = "common/crafted.rs"]
mod crafted;

use std::path::{Component, Path};
use std::time::{Duration, Instant};

use crafted::{Crafted, Kind};
use lifeboat::bundle::extract::{ExtractOptions, LinkTargets, extract, read_entry, scan};
use lifeboat::bundle::{MANIFEST, Manifest, verify};
use lifeboat::facts::{EtcdConf, MasterEtcdClient};
use lifeboat::procedures::JoinManifest;
use proptest::prelude::*;

/// Each call must end well within this: a reader that loops is a finding too.
const QUICK: Duration = Duration::from_secs(5);

fn options(replace_files: bool, inside: bool) -> ExtractOptions {
    ExtractOptions {
        replace_files,
        links: if inside {
            LinkTargets::Inside
        } else {
            LinkTargets::AsWritten
        },
    }
}

/// Everything under `dir`, links not followed.
fn everything_under(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        for entry in std::fs::read_dir(&current).into_iter().flatten().flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(path.clone());
            }
            found.push(path);
        }
    }
    found
}

/// After any extraction: only the target exists beside it, and no mode has more than 0o777.
fn nothing_escaped(parent: &Path, target: &Path) -> Result<(), TestCaseError> {
    let beside: Vec<_> = std::fs::read_dir(parent)
        .map_err(|e| TestCaseError::fail(e.to_string()))?
        .flatten()
        .map(|e| e.path())
        .collect();
    prop_assert_eq!(beside, vec![target.to_path_buf()]);
    for path in everything_under(target) {
        let metadata =
            std::fs::symlink_metadata(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
        use std::os::unix::fs::PermissionsExt;
        if !metadata.file_type().is_symlink() {
            prop_assert_eq!(metadata.permissions().mode() & 0o7000, 0, "{:?}", path);
        }
    }
    Ok(())
}

/// One entry of a crafted archive, from a small alphabet of names meant to collide and climb.
fn entry_strategy() -> impl Strategy<Value = (String, u8, String, u32)> {
    let name = prop::sample::select(vec![
        "a", "b", "a/b", "a/b/c", "./a", "..", "../a", "/tmp/x", "a/../b", ".", "", "d/",
    ]);
    let target = prop::sample::select(vec!["a", "b", "a/b", "..", "/etc", "../x", "/", "c"]);
    (name, 0u8..7, target, any::<u32>())
        .prop_map(|(n, k, t, mode)| (n.to_string(), k, t.to_string(), mode))
}

fn crafted_archive(entries: &[(String, u8, String, u32)]) -> Vec<u8> {
    let mut archive = Crafted::new();
    for (name, kind, target, mode) in entries {
        let kind = match kind {
            0 => Kind::File(b"data"),
            1 => Kind::Dir,
            2 => Kind::Symlink(target),
            3 => Kind::HardLink(target),
            4 => Kind::Fifo,
            5 => Kind::CharDevice,
            _ => Kind::File(&[]),
        };
        archive = archive.entry(name, kind, mode & 0o7777);
    }
    archive.finish()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn the_extractor_takes_any_bytes(bytes in prop::collection::vec(any::<u8>(), 0..4096),
                                     replace in any::<bool>(), inside in any::<bool>()) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let target = dir.path().join("t");
        std::fs::create_dir(&target).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let started = Instant::now();
        let _ = extract(&bytes[..], &target, &options(replace, inside), &mut |_| {});
        let _ = scan(&bytes[..], &target, &options(replace, inside));
        let _ = read_entry(&bytes[..], Path::new("join.json"), 1024, &target);
        prop_assert!(started.elapsed() < QUICK);
        nothing_escaped(dir.path(), &target)?;
    }

    #[test]
    fn crafted_archives_never_write_outside(entries in prop::collection::vec(entry_strategy(), 1..8),
                                             replace in any::<bool>(), inside in any::<bool>()) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let target = dir.path().join("t");
        std::fs::create_dir(&target).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let archive = crafted_archive(&entries);
        let checked = scan(&archive[..], &target, &options(replace, inside));
        let extracted = extract(&archive[..], &target, &options(replace, inside), &mut |_| {});
        // What the scan refuses, the extraction refuses too (a restore relies on the scan).
        if checked.is_err() {
            prop_assert!(extracted.is_err());
        }
        nothing_escaped(dir.path(), &target)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn manifests_parse_or_refuse_and_keep_paths_inside(text in any::<String>(),
                                                        path in any::<String>(),
                                                        size in any::<i64>()) {
        let _ = serde_json::from_str::<Manifest>(&text);
        let json = serde_json::json!({
            "format_version": 1, "created": "", "tool_version": "", "kind": "", "method": "",
            "host": "", "cluster_id": "", "etcd_version": "", "members": [],
            "source_endpoint": "", "notes": [],
            "files": [{"path": path, "size": size, "sha256": "", "mode": 420}],
        });
        if let Ok(manifest) = serde_json::from_value::<Manifest>(json) {
            for file in &manifest.files {
                prop_assert!(!file.path.as_os_str().is_empty());
                prop_assert!(file.path.components().all(|c| matches!(c, Component::Normal(_))),
                    "{:?}", file.path);
            }
        }
    }

    #[test]
    fn verify_takes_any_manifest_text(text in any::<String>()) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        std::fs::write(dir.path().join(MANIFEST), text)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let _ = verify(dir.path());
    }

    #[test]
    fn etcd_conf_takes_any_text(text in any::<String>(), key in "[A-Z_]{0,12}") {
        let conf = EtcdConf::parse(&text);
        let _ = conf.get(&key);
        let _ = conf.list(&key);
        let _ = conf.to_string();
    }

    #[test]
    fn master_config_takes_any_text(text in any::<String>()) {
        let _ = MasterEtcdClient::parse(&text, Path::new("/etc/origin/master"));
        let yaml = format!("kind: MasterConfig\netcdClientInfo:\n  urls: [{text}]\n");
        let _ = MasterEtcdClient::parse(&yaml, Path::new("/etc/origin/master"));
    }

    #[test]
    fn join_json_takes_any_text_and_checks_the_name(text in any::<String>(), name in any::<String>()) {
        let _ = JoinManifest::parse(&text);
        let json = serde_json::json!({
            "format": 1, "name": name, "client_url": "", "peer_url": "",
            "cluster_client_urls": [], "path": "plain-add", "conf_dir": "/etc/etcd",
            "replaces": [], "with_data": false,
        });
        if let Ok(manifest) = JoinManifest::parse(&json.to_string()) {
            prop_assert!(!manifest.name.starts_with('-'));
            prop_assert!(!manifest.name.contains(['/', '=', ',', ' ']));
        }
    }

    #[test]
    fn the_bolt_reader_takes_any_file(bytes in prop::collection::vec(any::<u8>(), 0..12288)) {
        let dir = tempfile::tempdir().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let path = dir.path().join("db");
        std::fs::write(&path, &bytes).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let started = Instant::now();
        let _ = lifeboat::etcd::read_stats(&path);
        prop_assert!(started.elapsed() < QUICK);
    }
}
