//! Files and archives: bundles, certificates, configuration and data directories, done natively and described as the shell commands they stand for.

use std::path::Path;

use super::path_arg;
use crate::plan::{Action, Plan, shell_join};

/// The command an engineer would type for `action`, or `None` when it is not of this domain.
pub fn describe(_plan: &Plan, action: &Action) -> Option<String> {
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
        Action::RemoveDir { path } => {
            format!("rm -rf {}", shell_join([path.display().to_string()]))
        }
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
