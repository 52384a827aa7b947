//! Embeds the Kubernetes and OpenShift 3 storage schemas (`src/stored`), so that the binary
//! decodes objects read out of an etcd snapshot on a master that has none of these files.
//!
//! From Debian's `golang-github-openshift-api-dev` (scripts/setup.sh installs it): every
//! `generated.proto` of openshift/api and its vendored `k8s.io/api` and apimachinery, compiled
//! by protoc into one `FileDescriptorSet`; and from the Go `*.go` files beside each of them,
//! what the protobuf encoding does not say but the API's JSON needs: each field's JSON name,
//! `omitempty`, `inline` and whether the Go field is a pointer (a set pointer is written even
//! when zero). Both land in OUT_DIR; nothing of the package is copied into the repository.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

const DEFAULT_ROOT: &str = "/usr/share/gocode/src/github.com/openshift/api";

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=LIFEBOAT_KUBE_SCHEMAS");
    let root = PathBuf::from(
        std::env::var("LIFEBOAT_KUBE_SCHEMAS").unwrap_or_else(|_| DEFAULT_ROOT.to_string()),
    );
    if !root
        .join("vendor/k8s.io/api/core/v1/generated.proto")
        .exists()
    {
        panic!(
            "the Kubernetes storage schemas are missing ({} has no vendor/k8s.io/api): \
             run scripts/setup.sh (it installs golang-github-openshift-api-dev), or point \
             LIFEBOAT_KUBE_SCHEMAS at a checkout of openshift/api",
            root.display()
        );
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    let mut protos = Vec::new();
    find_protos(&root, &mut protos);
    protos.sort();
    compile(&root, &protos, &out.join("kube_schemas.fds"));
    let mut table = String::new();
    for proto in &protos {
        go_fields(proto, &mut table);
    }
    std::fs::write(out.join("kube_fields.txt"), table).expect("writing the field table");
}

/// Every `generated.proto` under `dir`, but apimachinery's test group.
fn find_protos(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if !path.ends_with("testapigroup") {
                find_protos(&path, found);
            }
        } else if path.file_name().is_some_and(|n| n == "generated.proto") {
            found.push(path);
        }
    }
}

/// The name a proto file is imported by: `k8s.io/...` under vendor, `github.com/...` else.
fn import_name(root: &Path, proto: &Path) -> String {
    let vendor = root.join("vendor");
    match proto.strip_prefix(&vendor) {
        Ok(rel) => rel.display().to_string(),
        Err(_) => format!(
            "github.com/openshift/api/{}",
            proto.strip_prefix(root).unwrap_or(proto).display()
        ),
    }
}

fn compile(root: &Path, protos: &[PathBuf], out: &Path) {
    // The package lays openshift/api out as its Go import path: its own files resolve from the
    // gocode source root, the vendored ones from vendor/.
    let src = root
        .ancestors()
        .nth(3)
        .expect("the schema root is <src>/github.com/openshift/api");
    let protoc = std::env::var("PROTOC").unwrap_or_else(|_| "protoc".into());
    let mut cmd = Command::new(&protoc);
    cmd.arg(format!("-I{}", root.join("vendor").display()))
        .arg(format!("-I{}", src.display()))
        .arg("--include_imports")
        .arg(format!("--descriptor_set_out={}", out.display()));
    for proto in protos {
        cmd.arg(import_name(root, proto));
    }
    // protoc warns of every unused import in these generated files: shown only on failure.
    let output = cmd
        .output()
        .unwrap_or_else(|e| panic!("running {protoc} (scripts/setup.sh installs it): {e}"));
    assert!(
        output.status.success(),
        "{protoc} failed on the Kubernetes schemas: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Appends the JSON metadata of the Go types beside `proto`: `M <message>` or `W <message>`
/// (a Go slice or map type the protobuf wraps in a message of `items`), then one
/// `F <number> <json name> <flags>` per field in Go order (flags: `o` omitempty, `p` pointer,
/// `i` inline, `-` none).
fn go_fields(proto: &Path, table: &mut String) {
    let Ok(text) = std::fs::read_to_string(proto) else {
        return;
    };
    let Some(package) = text
        .lines()
        .find_map(|l| l.strip_prefix("package ")?.strip_suffix(';'))
    else {
        return;
    };
    let dir = proto.parent().expect("a proto file has a directory");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    for file in files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let skip = !name.ends_with(".go")
            || name.ends_with("_test.go")
            || name.starts_with("zz_generated")
            || name.contains("generated.pb")
            || name.contains("swagger_doc");
        if skip {
            continue;
        }
        if let Ok(go) = std::fs::read_to_string(&file) {
            parse_go(package, &go, table);
        }
    }
}

fn parse_go(package: &str, go: &str, table: &mut String) {
    let mut lines = go.lines();
    while let Some(line) = lines.next() {
        let Some(rest) = line.strip_prefix("type ") else {
            continue;
        };
        let mut words = rest.split_whitespace();
        let (Some(name), Some(shape)) = (words.next(), words.next()) else {
            continue;
        };
        if !name.starts_with(|c: char| c.is_ascii_uppercase()) {
            continue;
        }
        if shape == "struct" && rest.trim_end().ends_with('{') {
            let _ = writeln!(table, "M {package}.{name}");
            struct_fields(&mut lines, table);
        } else if shape.starts_with("[]") || shape.starts_with("map[") {
            let _ = writeln!(table, "W {package}.{name}");
        }
    }
}

fn struct_fields<'a>(lines: &mut impl Iterator<Item = &'a str>, table: &mut String) {
    let mut depth = 0usize;
    for line in lines.by_ref() {
        let line = line.trim();
        if line.starts_with("//") || line.is_empty() {
            continue;
        }
        if line == "}" {
            if depth == 0 {
                return;
            }
            depth -= 1;
            continue;
        }
        if line.ends_with('{') {
            // An anonymous struct: its fields are not the outer type's.
            depth += 1;
            continue;
        }
        if depth > 0 {
            continue;
        }
        if let Some(field) = field_line(line) {
            table.push_str(&field);
        }
    }
}

/// One Go field line as a table row, when it has a protobuf number.
fn field_line(line: &str) -> Option<String> {
    let (decl, tags) = line.split_once('`')?;
    let tag = |key: &str| {
        let start = tags.find(&format!("{key}:\""))? + key.len() + 2;
        let end = tags[start..].find('"')?;
        Some(tags[start..start + end].to_string())
    };
    let protobuf = tag("protobuf")?;
    let number: u32 = protobuf.split(',').nth(1)?.parse().ok()?;
    let words: Vec<&str> = decl.split_whitespace().collect();
    let (go_name, go_type, embedded) = match words.as_slice() {
        [name, ty, ..] => (name.to_string(), ty.to_string(), false),
        [ty] => {
            let bare = ty.trim_start_matches('*');
            (bare.rsplit('.').next()?.to_string(), ty.to_string(), true)
        }
        _ => return None,
    };
    let json = tag("json").unwrap_or_default();
    let mut parts = json.split(',');
    let json_name = parts.next().unwrap_or("").to_string();
    if json_name == "-" {
        return None;
    }
    let options: Vec<&str> = parts.collect();
    let inline = options.contains(&"inline") || (embedded && json_name.is_empty());
    let mut flags = String::new();
    if options.contains(&"omitempty") {
        flags.push('o');
    }
    if go_type.starts_with('*') {
        flags.push('p');
    }
    if inline {
        flags.push('i');
    }
    if flags.is_empty() {
        flags.push('-');
    }
    let json_name = if json_name.is_empty() {
        go_name
    } else {
        json_name
    };
    Some(format!("F {number} {json_name} {flags}\n"))
}
