//! File work of member recovery done natively: certificates, configuration, the join bundle,
//! and starting etcd where no systemd does it.

use std::path::Path;
use std::time::Duration;

use super::check::ActionResult;
use crate::bundle::{extract_safely, write_tgz};
use crate::facts::EtcdConf;
use crate::fsutil::write_atomically;
use crate::pki::{CertUse, CertificateAuthority};
use crate::plan::EtcdStart;

fn done(summary: String) -> Result<ActionResult, String> {
    Ok(ActionResult::Done { summary })
}

pub fn write_file(path: &Path, contents: &str, mode: u32) -> Result<ActionResult, String> {
    write_atomically(path, contents.as_bytes(), mode).map_err(|e| format!("{e:#}"))?;
    done(format!(
        "wrote {} ({} bytes, mode {mode:o})",
        path.display(),
        contents.len()
    ))
}

pub fn issue_certificates(
    ca_dir: &Path,
    common_name: &str,
    sans: &[String],
    out_dir: &Path,
) -> Result<ActionResult, String> {
    let issue = || -> color_eyre::Result<()> {
        let ca = CertificateAuthority::load(ca_dir)?;
        ca.issue(common_name, sans, CertUse::Server)?
            .write(out_dir, "server")?;
        ca.issue(common_name, sans, CertUse::Peer)?
            .write(out_dir, "peer")?;
        write_atomically(&out_dir.join("ca.crt"), ca.cert_pem().as_bytes(), 0o644)
    };
    issue().map_err(|e| format!("{e:#}"))?;
    done(format!(
        "server.crt, peer.crt (CN={common_name}, SAN {}) and ca.crt in {}; keys 0600",
        sans.join(","),
        out_dir.display()
    ))
}

pub fn pack_directory(dir: &Path, to: &Path) -> Result<ActionResult, String> {
    if to.exists() {
        return Err(format!(
            "{} already exists: lifeboat never writes over a bundle",
            to.display()
        ));
    }
    let bytes = write_tgz(dir, to).map_err(|e| format!("{e:#}"))?;
    done(format!("{} ({bytes} bytes, mode 600)", to.display()))
}

pub fn extract_bundle(bundle: &Path, into: &Path) -> Result<ActionResult, String> {
    std::fs::create_dir_all(into).map_err(|e| format!("creating {}: {e}", into.display()))?;
    let names = extract_safely(bundle, into).map_err(|e| format!("{e:#}"))?;
    let files = names.iter().filter(|n| n.file_name().is_some()).count();
    done(format!("{files} entries into {}", into.display()))
}

pub fn remove_dir(path: &Path) -> Result<ActionResult, String> {
    if !path.exists() {
        return done(format!("{} was already gone", path.display()));
    }
    std::fs::remove_dir_all(path).map_err(|e| format!("removing {}: {e}", path.display()))?;
    done(format!("removed {}", path.display()))
}

pub async fn start_etcd(how: &EtcdStart) -> Result<ActionResult, String> {
    match how {
        EtcdStart::Process { conf, log } => {
            let etcd = which::which("etcd")
                .map_err(|_| "etcd is not installed on this host; install it first".to_string())?;
            let settings = EtcdConf::load(conf).map_err(|e| format!("{e:#}"))?;
            let pid = crate::exec::detached::spawn_etcd(&etcd, &settings, log)
                .map_err(|e| format!("{e:#}"))?;
            // A configuration etcd rejects makes it exit at once: say so here, with its words.
            tokio::time::sleep(Duration::from_secs(1)).await;
            if !crate::exec::detached::is_running(pid) {
                return Err(format!(
                    "etcd exited right after starting; {} ends with:\n{}",
                    log.display(),
                    crate::exec::detached::log_tail(log, 8)
                ));
            }
            done(format!(
                "etcd runs as pid {pid}, detached; its log is {}",
                log.display()
            ))
        }
    }
}
