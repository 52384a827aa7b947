//! `lifeboat snapshot ls|get|export|diff`: Kubernetes objects read straight out of an etcd
//! snapshot. Listing and showing only read a file; the export goes through the plan and the
//! runner like every procedure that writes.

use std::collections::BTreeMap;
use std::process::ExitCode;

use color_eyre::eyre::{Result, WrapErr, bail, eyre};

use super::procedure::run_on_screen_or_headless;
use crate::cli::{ObjectFormat, SnapshotCommand, SnapshotGetArgs, SnapshotLsArgs};
use crate::stored::{SnapshotObjects, StoredEntry};

pub async fn dispatch(command: SnapshotCommand) -> Result<ExitCode> {
    match command {
        SnapshotCommand::Ls(args) => list(&args),
        SnapshotCommand::Get(args) => get(&args),
        SnapshotCommand::Export(args) => {
            let plan = crate::gather::snapshot::plan_export(&args.request())?;
            let out = std::path::absolute(&args.out).wrap_err("resolving --out")?;
            let code = run_on_screen_or_headless(plan, None, args.confirm, args.headless).await?;
            if !args.confirm.dry_run {
                println!(
                    "\nBring it back with: lifeboat project restore --from {}",
                    crate::plan::shell_join([out.join(&args.namespace).display().to_string()])
                );
            }
            Ok(code)
        }
        SnapshotCommand::Diff { source } => diff(&source).await,
    }
}

fn heading(snapshot: &SnapshotObjects) {
    println!(
        "{} at revision {} (storage prefixes {})",
        snapshot.database.display(),
        snapshot.revision(),
        if snapshot.prefixes.is_empty() {
            "none: no Kubernetes objects".to_string()
        } else {
            snapshot.prefixes.join(", ")
        }
    );
}

/// Whether `wanted` (`ConfigMap`, `configmap`, `configmaps`) names this object's kind.
fn kind_matches(entry: &StoredEntry, kind: &str, wanted: &str) -> bool {
    let wanted = wanted.to_ascii_lowercase();
    let plural = entry.storage.plural();
    kind.eq_ignore_ascii_case(&wanted)
        || plural == wanted
        || plural.strip_suffix('s') == Some(wanted.as_str())
}

fn list(args: &SnapshotLsArgs) -> Result<ExitCode> {
    let snapshot = crate::gather::snapshot::open(&args.source)?;
    heading(&snapshot);
    if args.namespace.is_none() && args.kind.is_none() {
        let counts = snapshot.counts().map_err(|e| eyre!(e))?;
        println!("\n{:<32} {:>8}  kinds", "project", "objects");
        for (namespace, kinds) in &counts {
            let total: u64 = kinds.values().sum();
            let detail: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
            println!("{namespace:<32} {total:>8}  {}", detail.join(", "));
        }
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "\n{:<24} {:<24} {:<40} {:>9}  encoding",
        "kind", "namespace", "name", "revision"
    );
    for entry in &snapshot.entries {
        if let Some(ns) = &args.namespace
            && entry.storage.namespace.as_deref() != Some(ns.as_str())
        {
            continue;
        }
        let decoded = snapshot.decode(entry).map_err(|e| eyre!(e))?;
        if let Some(kind) = &args.kind
            && !kind_matches(entry, &decoded.kind, kind)
        {
            continue;
        }
        let mut encoding = decoded.encoding.label();
        if let Some(problem) = &decoded.problem {
            encoding = format!("{encoding}: {problem}");
        }
        if !decoded.unknown_fields.is_empty() {
            encoding = format!(
                "{encoding}; fields newer than the schemas: {}",
                decoded.unknown_fields.join(", ")
            );
        }
        println!(
            "{:<24} {:<24} {:<40} {:>9}  {encoding}",
            decoded.kind,
            entry.storage.namespace.as_deref().unwrap_or("-"),
            entry.storage.name,
            entry.mod_revision
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn get(args: &SnapshotGetArgs) -> Result<ExitCode> {
    let snapshot = crate::gather::snapshot::open(&args.source)?;
    let mut found = None;
    for entry in &snapshot.entries {
        let candidate = if args.object.starts_with('/') {
            entry.key == args.object
        } else {
            let Some((kind, name)) = args.object.split_once('/') else {
                bail!("name the object as KIND/NAME (configmap/settings) or by its etcd key");
            };
            entry.storage.name == name
                && entry.storage.namespace.as_deref() == args.namespace.as_deref()
                && kind_matches(
                    entry,
                    &snapshot.decode(entry).map_err(|e| eyre!(e))?.kind,
                    kind,
                )
        };
        if candidate {
            found = Some(entry);
            break;
        }
    }
    let entry = found.ok_or_else(|| {
        eyre!(
            "{} is not in the snapshot{}; `lifeboat snapshot ls {} -n NAMESPACE` lists what is",
            args.object,
            args.namespace
                .as_deref()
                .map_or(String::new(), |ns| format!(" in {ns}")),
            args.source.display()
        )
    })?;
    let decoded = snapshot.decode(entry).map_err(|e| eyre!(e))?;
    for field in &decoded.unknown_fields {
        eprintln!("warning: {field} (newer than lifeboat's schemas; not shown)");
    }
    let object = decoded.object.ok_or_else(|| {
        eyre!(
            "{} cannot be shown: {}",
            entry.key,
            decoded.problem.unwrap_or_default()
        )
    })?;
    let text = match args.output {
        ObjectFormat::Json => serde_json::to_string_pretty(&object)?,
        ObjectFormat::Yaml => serde_yaml_ng::to_string(&object)?,
    };
    println!("{}", text.trim_end());
    Ok(ExitCode::SUCCESS)
}

async fn diff(source: &std::path::Path) -> Result<ExitCode> {
    let snapshot = crate::gather::snapshot::open(source)?;
    heading(&snapshot);
    let diffs = crate::gather::snapshot::diff_with_live(&snapshot).await?;
    let mut differs = false;
    for (namespace, diff) in &diffs {
        let mut lines: BTreeMap<&str, &Vec<String>> = BTreeMap::new();
        lines.insert("only in backup", &diff.only_in_backup);
        lines.insert("only live", &diff.only_live);
        lines.insert("changed", &diff.changed);
        let same = lines.values().all(|l| l.is_empty()) && !diff.project_gone;
        if same {
            println!("{namespace}: same");
            continue;
        }
        differs = true;
        println!(
            "{namespace}:{}",
            if diff.project_gone {
                " the project is gone from the live cluster"
            } else {
                ""
            }
        );
        for (label, objects) in lines {
            if !objects.is_empty() {
                println!("  {label}: {}", objects.join(", "));
            }
        }
    }
    Ok(if differs {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
