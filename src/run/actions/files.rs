//! Files and archives: bundles, certificates, configuration and data directories, done natively and described as the shell commands they stand for.

use std::path::Path;

use super::{StepContext, path_arg};
use crate::bundle::SnapshotStats;
use crate::plan::{Action, Plan, shell_join};
use crate::run::check::ActionResult;
use crate::run::{native, native_files, restore};

/// The command an engineer would type for `action`, or `None` when it is not of this domain.
pub fn describe(_plan: &Plan, action: &Action) -> Option<String> {
    describe_archive(action).or_else(|| describe_host_file(action))
}

/// Bundles and archives: assembled, packed, unpacked, sealed, verified.
fn describe_archive(action: &Action) -> Option<String> {
    Some(match action {
        Action::PrepareBundle { staging, .. } => {
            format!("mkdir {}", shell_join([staging.display().to_string()]))
        }
        Action::Archive {
            base,
            entries,
            to,
            mode,
        } => format!(
            "tar cf {} -C {} {}   (native; archive mode {mode:o})",
            shell_join([to.display().to_string()]),
            shell_join([base.display().to_string()]),
            shell_join(entries.iter().map(|e| e.display().to_string()))
        ),
        Action::SealBundle { staging, out, .. } => format!(
            "sha256sum every file > manifest.json; sync; mv {} {}   (native)",
            shell_join([staging.display().to_string()]),
            shell_join([out.display().to_string()])
        ),
        Action::DiscardStaging { staging } => {
            format!(
                "rm -rf {}   (only if it is still there)",
                shell_join([staging.display().to_string()])
            )
        }
        Action::PackDirectory { dir, to } => format!(
            "tar -czf {} -C {} .   (native; archive mode 600)",
            shell_join([to.display().to_string()]),
            shell_join([dir.display().to_string()])
        ),
        Action::ExtractBundle { bundle, into } => format!(
            "tar -xzf {} -C {} --overwrite   (native; refuses entries that would land outside)",
            shell_join([bundle.display().to_string()]),
            shell_join([into.display().to_string()])
        ),
        Action::VerifyBundle { bundle } => {
            format!("lifeboat verify {}", shell_join([path_arg(bundle)]))
        }
        Action::RestoreArchive {
            archive,
            into,
            keep_old,
        } => format!(
            "cd {} && tar cf {} <files it overwrites> && tar xpf {}   (native; entries outside {} refused)",
            shell_join([path_arg(into)]),
            shell_join([path_arg(keep_old)]),
            shell_join([path_arg(archive)]),
            into.display()
        ),
        _ => return None,
    })
}

/// Single files and directories on the host: written, moved aside, removed, certificates.
fn describe_host_file(action: &Action) -> Option<String> {
    Some(match action {
        Action::WriteFile {
            path,
            contents,
            mode,
        } => format!(
            "cat > {}   (native; {} lines, mode {mode:o})",
            shell_join([path.display().to_string()]),
            contents.lines().count()
        ),
        Action::IssueCertificates {
            ca_dir,
            common_name,
            sans,
            out_dir,
        } => openssl_equivalent(ca_dir, common_name, sans, out_dir),
        Action::RemoveDir { path } => {
            format!("rm -rf {}", shell_join([path.display().to_string()]))
        }
        Action::MoveAside { from, to } => format!(
            "mv {} {}   (native rename; refuses to overwrite)",
            shell_join([path_arg(from)]),
            shell_join([path_arg(to)])
        ),
        Action::SetConfValue { conf, key, value } => match value {
            Some(value) => format!(
                "set {key}={value} in {}   (native, atomic rewrite)",
                conf.display()
            ),
            None => format!(
                "remove {key} from {}   (native, atomic rewrite)",
                conf.display()
            ),
        },
        _ => return None,
    })
}

/// The procedure's `openssl req` / `openssl ca` commands that do what
/// `pki::CertificateAuthority::issue` does natively for a new host's server and peer certificates,
/// shown so the engineer can see the equivalence.
fn openssl_equivalent(ca_dir: &Path, common_name: &str, sans: &[String], out_dir: &Path) -> String {
    let config = ca_dir.join("openssl.cnf").display().to_string();
    let prefix = |file: &str| out_dir.join(file).display().to_string();
    let mut commands = Vec::new();
    for (kind, extension) in [("server", "etcd_v3_ca_server"), ("peer", "etcd_v3_ca_peer")] {
        commands.push(shell_join([
            "openssl".to_string(),
            "req".into(),
            "-new".into(),
            "-keyout".into(),
            prefix(&format!("{kind}.key")),
            "-config".into(),
            config.clone(),
            "-out".into(),
            prefix(&format!("{kind}.csr")),
            "-reqexts".into(),
            "etcd_v3_req".into(),
            "-batch".into(),
            "-nodes".into(),
            "-subj".into(),
            format!("/CN={common_name}"),
        ]));
        commands.push(shell_join([
            "openssl".to_string(),
            "ca".into(),
            "-name".into(),
            "etcd_ca".into(),
            "-config".into(),
            config.clone(),
            "-out".into(),
            prefix(&format!("{kind}.crt")),
            "-in".into(),
            prefix(&format!("{kind}.csr")),
            "-extensions".into(),
            extension.into(),
            "-batch".into(),
        ]));
    }
    commands.push(shell_join([
        "cp".to_string(),
        ca_dir.join("ca.crt").display().to_string(),
        out_dir.display().to_string(),
    ]));
    format!(
        "{}   (native, rcgen; SAN={}; openssl equivalent)",
        commands.join(" && "),
        sans.iter()
            .map(|san| match san.parse::<std::net::IpAddr>() {
                Ok(_) => format!("IP:{san}"),
                Err(_) => format!("DNS:{san}"),
            })
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// Runs `action` when it is a file or archive one.
pub async fn execute(
    ctx: &StepContext<'_>,
    action: &Action,
) -> Option<Result<ActionResult, String>> {
    Some(match action {
        Action::PrepareBundle { staging, out } => native::prepare_bundle(staging, out),
        Action::Archive {
            base,
            entries,
            to,
            mode,
        } => native::archive(base, entries, to, *mode),
        Action::SealBundle {
            staging,
            out,
            identity,
        } => {
            let stats = with_live_key_count(ctx, ctx.outputs.snapshot).await;
            native::seal_bundle(staging, out, identity, stats, &ctx.outputs.digests)
        }
        Action::DiscardStaging { staging } => native::discard_staging(staging),
        Action::WriteFile {
            path,
            contents,
            mode,
        } => native_files::write_file(path, contents, *mode),
        Action::IssueCertificates {
            ca_dir,
            common_name,
            sans,
            out_dir,
        } => native_files::issue_certificates(ca_dir, common_name, sans, out_dir),
        Action::PackDirectory { dir, to } => native_files::pack_directory(dir, to),
        Action::ExtractBundle { bundle, into } => native_files::extract_bundle(bundle, into),
        Action::RemoveDir { path } => native_files::remove_dir(path),
        Action::VerifyBundle { bundle } => restore::verify_bundle(bundle),
        Action::RestoreArchive {
            archive,
            into,
            keep_old,
        } => restore::restore_archive(archive, into, keep_old),
        Action::MoveAside { from, to } => restore::move_aside(from, to),
        Action::SetConfValue { conf, key, value } => {
            restore::set_conf_value(conf, key, value.as_deref())
        }
        _ => return None,
    })
}

/// The snapshot's statistics with the key count a client sees at its revision, so that a
/// restore can be checked key for key. Left out (not guessed) when the cluster cannot say.
async fn with_live_key_count(
    ctx: &StepContext<'_>,
    stats: Option<SnapshotStats>,
) -> Option<SnapshotStats> {
    let mut stats = stats?;
    if let Some(target) = ctx.etcd {
        stats.keys = crate::etcd::count_keys(target, Some(stats.revision))
            .await
            .ok()
            .map(|(_, keys)| keys);
    }
    Some(stats)
}
