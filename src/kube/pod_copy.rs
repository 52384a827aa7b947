//! Copies a volume's files out of and into a running pod through the exec API with a tar
//! stream, the way `kubectl cp` works (images often lack rsync, and `oc rsync` needs it).
//! The stream passes through a small bounded channel between the network and the disk, so
//! memory stays flat whatever the size of the data.

use std::io::{Read, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Status;
use kube::api::{Api, AttachParams, AttachedProcess};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

use super::pod_tar::{Counters, check_tree, pack, unpack_checked};

/// Chunks in flight between the network and the disk: 16 of at most 64 KiB.
const CHANNEL_DEPTH: usize = 16;
const CHUNK: usize = 64 * 1024;

/// One volume mount of one container of one pod.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PodPath {
    pub namespace: String,
    pub pod: String,
    pub container: String,
    pub mount_path: String,
}

/// Bytes and files moved so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub bytes: u64,
    pub files: u64,
}

/// The probe run before a copy: the tools, the directory and (for a restore) a write test,
/// each failure with its own exit code so the error can say which.
/// `tar` is looked up in PATH by hand, as exec will: busybox's shell answers `command -v` for
/// its own applets even where the image has no `tar` to exec.
const PROBE: &str = r#"found=; IFS=:
for d in $PATH; do [ -x "$d/tar" ] && found=1; done
unset IFS
[ -n "$found" ] || exit 3
[ -d "$1" ] || exit 4
if [ "$2" = write ]; then
  t="$1/.lifeboat-write-test.$$"
  (: > "$t") 2>/dev/null || exit 5
  rm -f "$t"
fi
du -sk "$1" 2>/dev/null"#;

fn attach(stdin: bool) -> AttachParams {
    AttachParams::default()
        .stdin(stdin)
        .stdout(true)
        .stderr(true)
        .max_stdout_buf_size(CHUNK * 4)
        .max_stdin_buf_size(CHUNK * 4)
}

async fn exec(
    client: &kube::Client,
    at: &PodPath,
    argv: Vec<String>,
    stdin: bool,
) -> Result<AttachedProcess, String> {
    Api::<Pod>::namespaced(client.clone(), &at.namespace)
        .exec(
            &at.pod,
            argv.clone(),
            &attach(stdin).container(&at.container),
        )
        .await
        .map_err(|e| {
            let text = e.to_string();
            match missing_command(&text) {
                Some(()) => no_command_error(at, &argv[0]),
                None => format!("exec {:?} in pod {}: {text}", argv[0], at.pod),
            }
        })
}

fn missing_command(message: &str) -> Option<()> {
    (message.contains("executable file not found") || message.contains("no such file or directory"))
        .then_some(())
}

fn no_command_error(at: &PodPath, command: &str) -> String {
    format!(
        "pod {} (container {}) has no `{command}`: its image lacks what a copy through exec needs \
         (sh and tar, as `kubectl cp` also needs). Copy the data another way: a debug container \
         with tar sharing the volume, or the storage's own snapshot (Cinder, NFS, Gluster).",
        at.pod, at.container
    )
}

/// The command's exit code; a command the image lacks is said plainly.
fn exit_code_of(at: &PodPath, command: &str, status: &Option<Status>) -> Result<i32, String> {
    exit_code(status).map_err(|message| match missing_command(&message) {
        Some(()) => no_command_error(at, command),
        None => message,
    })
}

/// The command's exit code from the status kubelet sends on the error channel.
fn exit_code(status: &Option<Status>) -> Result<i32, String> {
    let Some(status) = status else {
        return Err("the exec stream ended without an exit status".into());
    };
    if status.status.as_deref() == Some("Success") {
        return Ok(0);
    }
    if let Some(code) = status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|causes| {
            causes
                .iter()
                .find(|c| c.reason.as_deref() == Some("ExitCode"))
        })
        .and_then(|c| c.message.as_deref())
        .and_then(|m| m.parse().ok())
    {
        return Ok(code);
    }
    Err(status
        .message
        .clone()
        .unwrap_or_else(|| "the command failed".into()))
}

/// Checks the pod can do the copy; returns the data's size estimate from `du` in bytes.
pub async fn probe(
    client: &kube::Client,
    at: &PodPath,
    writable: bool,
) -> Result<Option<u64>, String> {
    let argv = vec![
        "sh".to_string(),
        "-c".into(),
        PROBE.into(),
        "lifeboat-probe".into(),
        at.mount_path.clone(),
        if writable { "write" } else { "read" }.into(),
    ];
    let mut process = exec(client, at, argv, false).await?;
    let status = process
        .take_status()
        .ok_or("the exec stream has no status channel")?;
    let mut stdout = process.stdout().ok_or("the exec stream has no stdout")?;
    let mut text = String::new();
    stdout
        .read_to_string(&mut text)
        .await
        .map_err(|e| format!("reading the probe's output: {e}"))?;
    match exit_code_of(at, "sh", &status.await)? {
        0 => Ok(text
            .split_whitespace()
            .next()
            .and_then(|kib| kib.parse::<u64>().ok())
            .map(|kib| kib * 1024)),
        3 => Err(no_command_error(at, "tar")),
        4 => Err(format!(
            "{} is not a directory in pod {}: the volume is not mounted there",
            at.mount_path, at.pod
        )),
        5 => Err(format!(
            "the volume at {} in pod {} is not writable (mounted read-only, or the pod's user may not \
             write it), so nothing can be restored into it. Mount it read-write (remove readOnly: \
             true from the volumeMount) or restore as a user who may write it.",
            at.mount_path, at.pod
        )),
        code => Err(format!(
            "the probe in pod {} exited with status {code}",
            at.pod
        )),
    }
}

/// Keeps the last few KiB of stderr for the error message.
async fn collect_stderr(process: &mut AttachedProcess) -> tokio::task::JoinHandle<String> {
    let stderr = process.stderr();
    tokio::spawn(async move {
        let mut kept = Vec::new();
        if let Some(mut stderr) = stderr {
            let mut buffer = vec![0u8; 4096];
            while let Ok(read) = stderr.read(&mut buffer).await {
                if read == 0 {
                    break;
                }
                kept.extend_from_slice(&buffer[..read]);
                if kept.len() > 8192 {
                    kept.drain(..kept.len() - 8192);
                }
            }
        }
        String::from_utf8_lossy(&kept).trim().to_string()
    })
}

/// The blocking side of the channel, read as a file.
struct ChannelReader {
    chunks: mpsc::Receiver<Vec<u8>>,
    current: Vec<u8>,
    offset: usize,
}

impl Read for ChannelReader {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        while self.offset == self.current.len() {
            match self.chunks.blocking_recv() {
                Some(chunk) => {
                    self.current = chunk;
                    self.offset = 0;
                }
                None => return Ok(0),
            }
        }
        let n = buffer.len().min(self.current.len() - self.offset);
        buffer[..n].copy_from_slice(&self.current[self.offset..self.offset + n]);
        self.offset += n;
        Ok(n)
    }
}

/// The blocking side of the channel, written as a file.
struct ChannelWriter {
    chunks: mpsc::Sender<Vec<u8>>,
    pending: Vec<u8>,
}

impl Write for ChannelWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(data);
        if self.pending.len() >= CHUNK {
            self.flush()?;
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.pending);
        self.chunks.blocking_send(chunk).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::BrokenPipe, "the pod stopped reading")
        })
    }
}

/// `tar cf - -C MOUNT .` in the pod, unpacked into `into` as it arrives. `on_progress` is
/// called as chunks pass with bytes and files so far.
pub async fn copy_out(
    client: &kube::Client,
    at: &PodPath,
    into: &Path,
    mut on_progress: impl FnMut(Copied),
) -> Result<Copied, String> {
    std::fs::create_dir_all(into).map_err(|e| format!("creating {}: {e}", into.display()))?;
    let argv = ["tar", "cf", "-", "-C", &at.mount_path, "."]
        .map(String::from)
        .to_vec();
    let mut process = exec(client, at, argv, false).await?;
    let status = process
        .take_status()
        .ok_or("the exec stream has no status channel")?;
    let stderr = collect_stderr(&mut process).await;
    let mut stdout = process.stdout().ok_or("the exec stream has no stdout")?;
    let counters = Arc::new(Counters::default());
    let (chunks, received) = mpsc::channel::<Vec<u8>>(CHANNEL_DEPTH);
    let unpacker = {
        let counters = counters.clone();
        let into = into.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let reader = ChannelReader {
                chunks: received,
                current: Vec::new(),
                offset: 0,
            };
            unpack_checked(reader, &into, &counters)
        })
    };
    let mut streamed = 0u64;
    let mut buffer = vec![0u8; CHUNK];
    let mut read_error = None;
    loop {
        let read = match stdout.read(&mut buffer).await {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) => {
                read_error = Some(format!("reading the tar stream from pod {}: {e}", at.pod));
                break;
            }
        };
        streamed += read as u64;
        if chunks.send(buffer[..read].to_vec()).await.is_err() {
            // The unpacker stopped: its own error says why.
            break;
        }
        on_progress(Copied {
            bytes: streamed,
            files: counters.files.load(Ordering::Relaxed),
        });
    }
    drop(chunks);
    // A refused stream ends the copy here: waiting for the pod's exit status would wait on a
    // process that may never end (nobody reads what it still writes), so the exec connection
    // is dropped instead, which also stops it.
    let files = unpacker
        .await
        .map_err(|e| format!("the unpacking task failed: {e}"))??;
    let status = status.await;
    let stderr = stderr.await.unwrap_or_default();
    let code = exit_code_of(at, "tar", &status)?;
    if let Some(error) = read_error {
        return Err(error);
    }
    match code {
        0 => {}
        code => {
            return Err(format!(
                "tar in pod {} exited with status {code}: {stderr}\n  The copy is incomplete; nothing was sealed.",
                at.pod
            ));
        }
    }
    let copied = Copied {
        bytes: counters.bytes.load(Ordering::Relaxed),
        files,
    };
    on_progress(Copied {
        bytes: streamed,
        files,
    });
    Ok(copied)
}

/// Packs `from` (checked: no link may point outside the mount) and unpacks it in the pod with
/// `tar xf - -C MOUNT`.
pub async fn copy_in(
    client: &kube::Client,
    at: &PodPath,
    from: &Path,
    mut on_progress: impl FnMut(Copied),
) -> Result<Copied, String> {
    let entries = check_tree(from, &at.mount_path)?;
    let argv = ["tar", "xf", "-", "-C", &at.mount_path]
        .map(String::from)
        .to_vec();
    let mut process = exec(client, at, argv, true).await?;
    let status = process
        .take_status()
        .ok_or("the exec stream has no status channel")?;
    let stderr = collect_stderr(&mut process).await;
    let mut stdin = process.stdin().ok_or("the exec stream has no stdin")?;
    let counters = Arc::new(Counters::default());
    let (chunks, mut received) = mpsc::channel::<Vec<u8>>(CHANNEL_DEPTH);
    let packer = {
        let counters = counters.clone();
        let from = from.to_path_buf();
        tokio::task::spawn_blocking(move || {
            let writer = ChannelWriter {
                chunks,
                pending: Vec::new(),
            };
            pack(&from, &entries, writer, &counters)
        })
    };
    let mut streamed = 0u64;
    let mut write_error = None;
    while let Some(chunk) = received.recv().await {
        if let Err(e) = stdin.write_all(&chunk).await {
            write_error = Some(format!("sending the tar stream to pod {}: {e}", at.pod));
            break;
        }
        streamed += chunk.len() as u64;
        on_progress(Copied {
            bytes: streamed,
            files: counters.files.load(Ordering::Relaxed),
        });
    }
    drop(received);
    // Closing stdin is what tells tar in the pod that the archive ended.
    let _ = stdin.shutdown().await;
    drop(stdin);
    let packed = packer
        .await
        .map_err(|e| format!("the packing task failed: {e}"))?;
    let status = status.await;
    let stderr = stderr.await.unwrap_or_default();
    let code = exit_code_of(at, "tar", &status)?;
    if let Err(error) = packed {
        return Err(write_error.unwrap_or(error));
    }
    match code {
        0 => {}
        code => {
            let hint = if stderr.contains("Read-only") {
                " The volume is not writable: mount it read-write and restore again."
            } else {
                " Some files may have been written: run the restore again once the cause is fixed."
            };
            return Err(format!(
                "tar in pod {} exited with status {code}: {stderr}.{hint}",
                at.pod
            ));
        }
    }
    if let Some(error) = write_error {
        return Err(error);
    }
    let copied = Copied {
        bytes: streamed,
        files: counters.files.load(Ordering::Relaxed),
    };
    on_progress(copied);
    Ok(copied)
}
