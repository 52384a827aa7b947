//! The native actions of a restore: re-verifying the bundle, putting certificates back while
//! keeping the ones they replace, waiting for etcd to go down or come up, moving a data
//! directory aside, editing etcd.conf, and checking the result against the bundle.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::check::{ActionResult, evaluate};
use super::events::RunEvent;
use crate::bundle::extract_safely;
use crate::connection::Endpoints;
use crate::facts::EtcdConf;
use crate::plan::EtcdState;

const POLL: Duration = Duration::from_millis(300);

pub fn verify_bundle(bundle: &Path) -> Result<ActionResult, String> {
    let manifest = crate::bundle::verify(bundle)
        .map_err(|e| format!("{} FAILED verification: {e}", bundle.display()))?;
    Ok(ActionResult::Done {
        summary: format!(
            "{} files match their SHA-256{}",
            manifest.files.len(),
            manifest.snapshot.map_or(String::new(), |s| format!(
                "; etcd data at revision {}",
                s.revision
            ))
        ),
    })
}

/// Saves what the archive would overwrite into `keep_old`, then extracts it safely.
pub fn restore_archive(
    archive: &Path,
    into: &Path,
    keep_old: &Path,
) -> Result<ActionResult, String> {
    // Every entry is checked before anything is read or written: a hostile name must not make
    // the keeping of old files reach outside `into` either.
    let entries = crate::bundle::check_entries(archive, into).map_err(|e| format!("{e:#}"))?;
    let overwritten: Vec<PathBuf> = entries
        .iter()
        .filter(|name| into.join(name).is_file())
        .cloned()
        .collect();
    if !overwritten.is_empty() {
        keep_files(into, &overwritten, keep_old)?;
    }
    std::fs::create_dir_all(into).map_err(|e| format!("creating {}: {e}", into.display()))?;
    let extracted = extract_safely(archive, into).map_err(|e| format!("{e:#}"))?;
    Ok(ActionResult::Done {
        summary: format!(
            "{} entries restored into {}{}",
            extracted.len(),
            into.display(),
            if overwritten.is_empty() {
                String::new()
            } else {
                format!(
                    "; the {} files they replaced are kept in {}",
                    overwritten.len(),
                    keep_old.display()
                )
            }
        ),
    })
}

/// A tar of the files about to be replaced, created new (never over an older one) and 0600
/// because they are private keys.
fn keep_files(base: &Path, files: &[PathBuf], to: &Path) -> Result<(), String> {
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(to)
        .map_err(|e| format!("creating {}: {e}", to.display()))?;
    let mut builder = tar::Builder::new(file);
    for name in files {
        builder
            .append_path_with_name(base.join(name), name)
            .map_err(|e| format!("saving {}: {e}", base.join(name).display()))?;
    }
    let file = builder
        .into_inner()
        .map_err(|e| format!("writing {}: {e}", to.display()))?;
    file.sync_all()
        .map_err(|e| format!("syncing {}: {e}", to.display()))?;
    Ok(())
}

pub async fn wait_for_etcd(
    index: usize,
    connection: &Endpoints,
    endpoints: &[String],
    until: EtcdState,
    timeout_secs: u64,
    events: &UnboundedSender<RunEvent>,
) -> Result<ActionResult, String> {
    if endpoints.is_empty() {
        return Err("no client URL is known to watch: check ETCD_ADVERTISE_CLIENT_URLS".into());
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(timeout_secs);
    let target = Endpoints {
        endpoints: endpoints.to_vec(),
        ..connection.clone()
    };
    let mut last = String::new();
    loop {
        let (done, state) = match until {
            EtcdState::Down => {
                let listening = listening(endpoints).await;
                (
                    listening.is_empty(),
                    format!("still listening: {}", listening.join(", ")),
                )
            }
            EtcdState::Healthy => healthy(&target).await,
        };
        if done {
            return Ok(ActionResult::Done {
                summary: format!(
                    "{} after {:.1}s",
                    match until {
                        EtcdState::Down => "nothing listens any more",
                        EtcdState::Healthy => "every member answers, one leader",
                    },
                    started.elapsed().as_secs_f32()
                ),
            });
        }
        if state != last {
            let _ = events.send(RunEvent::Output {
                index,
                stream: crate::exec::OutputStream::Stdout,
                line: state.clone(),
            });
            last = state;
        }
        if Instant::now() >= deadline {
            return Err(format!("still not {until:?} after {timeout_secs}s: {last}").to_lowercase());
        }
        tokio::time::sleep(POLL).await;
    }
}

/// The client URLs that still accept a TCP connection.
async fn listening(endpoints: &[String]) -> Vec<String> {
    let mut open = Vec::new();
    for endpoint in endpoints {
        let Some(address) = host_port(endpoint) else {
            open.push(endpoint.clone());
            continue;
        };
        let attempt = tokio::time::timeout(
            Duration::from_secs(1),
            tokio::net::TcpStream::connect(&address),
        )
        .await;
        // Only a refused connection proves nothing listens; a timeout or a name that does not
        // resolve proves nothing at all, so it counts as still up.
        let refused = matches!(
            &attempt,
            Ok(Err(error)) if error.kind() == std::io::ErrorKind::ConnectionRefused
        );
        if !refused {
            open.push(endpoint.clone());
        }
    }
    open
}

fn host_port(url: &str) -> Option<String> {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    let authority = rest.split('/').next()?;
    (!authority.is_empty()).then(|| authority.to_string())
}

/// Healthy as the health check's step judges it: every member answers, one leader.
async fn healthy(target: &Endpoints) -> (bool, String) {
    let snapshot = crate::etcd::collect_snapshot(target).await;
    match evaluate(
        &crate::plan::Check::EndpointsHealthy,
        &ActionResult::Endpoints(snapshot.endpoints),
    ) {
        Ok(_) => (true, String::new()),
        Err(reason) => (false, reason),
    }
}

pub fn move_aside(from: &Path, to: &Path) -> Result<ActionResult, String> {
    if to.exists() {
        return Err(format!(
            "{} already exists: lifeboat never overwrites a kept data directory; plan the restore again",
            to.display()
        ));
    }
    if !from.exists() {
        return Err(format!("{} does not exist", from.display()));
    }
    std::fs::rename(from, to)
        .map_err(|e| format!("renaming {} to {}: {e}", from.display(), to.display()))?;
    Ok(ActionResult::Done {
        summary: format!("{} is kept as {}", from.display(), to.display()),
    })
}

pub fn set_conf_value(conf: &Path, key: &str, value: Option<&str>) -> Result<ActionResult, String> {
    let mut parsed = EtcdConf::load(conf).map_err(|e| format!("{e:#}"))?;
    match value {
        Some(value) => parsed.set(key, value),
        None => parsed.remove(key),
    }
    let mode = std::fs::metadata(conf)
        .map(|m| std::os::unix::fs::PermissionsExt::mode(&m.permissions()) & 0o7777)
        .unwrap_or(0o644);
    crate::fsutil::write_atomically(conf, parsed.to_string().as_bytes(), mode)
        .map_err(|e| format!("{e:#}"))?;
    Ok(ActionResult::Done {
        summary: match value {
            Some(value) => format!("{key}={value} set in {}", conf.display()),
            None => format!("{key} removed from {}", conf.display()),
        },
    })
}

pub async fn compare_with_bundle(
    target: &Endpoints,
    revision: i64,
    keys: Option<u64>,
) -> Result<ActionResult, String> {
    let (live_revision, live_keys) = crate::etcd::count_keys(target, None)
        .await
        .map_err(|e| format!("{e}\n{}", e.hint()))?;
    let mut problems = Vec::new();
    if live_revision != revision {
        problems.push(format!(
            "the cluster is at revision {live_revision}, the bundle at {revision}{}",
            if live_revision > revision {
                " (something wrote to etcd since it started: stop the API servers until the restore is checked)"
            } else {
                ""
            }
        ));
    }
    if let Some(expected) = keys {
        if live_keys != expected {
            problems.push(format!("{live_keys} keys, the bundle holds {expected}"));
        }
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    Ok(ActionResult::Done {
        summary: format!(
            "revision {live_revision} and {live_keys} key{}{}",
            if live_keys == 1 { "" } else { "s" },
            if keys.is_some() {
                ", as in the bundle"
            } else {
                " (the bundle records no key count: revision checked only)"
            }
        ),
    })
}
