//! The transcript: one JSON line per executed action, appended as it happens, so that after
//! the outage anyone can see exactly what was run, when, and how it ended.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use color_eyre::eyre::{Result, WrapErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TranscriptRecord {
    pub time: String,
    pub run_id: String,
    pub procedure: crate::plan::Procedure,
    pub step: usize,
    pub title: String,
    pub risk: crate::plan::Risk,
    pub action: crate::plan::Action,
    /// The exact command line, or the etcdctl equivalent of a native call.
    pub command: String,
    /// `succeeded` or `failed`.
    pub outcome: String,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    pub duration_ms: u64,
}

pub struct Transcript {
    path: PathBuf,
    file: File,
}

impl Transcript {
    /// Opens (creating if needed) `transcript.jsonl` in `dir`, mode 0600 since commands may
    /// name hosts and key paths.
    pub fn open(dir: &Path) -> Result<Self> {
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::create_dir_all(dir).wrap_err_with(|| format!("creating {}", dir.display()))?;
        let path = dir.join("transcript.jsonl");
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(&path)
            .wrap_err_with(|| format!("opening the transcript {}", path.display()))?;
        Ok(Transcript { path, file })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record and syncs it: a transcript that loses its last line in a crash
    /// would lose the line that matters most.
    pub fn append(&mut self, record: &TranscriptRecord) -> Result<()> {
        let mut line = serde_json::to_vec(record).wrap_err("serializing a transcript record")?;
        line.push(b'\n');
        self.file
            .write_all(&line)
            .and_then(|()| self.file.sync_data())
            .wrap_err_with(|| format!("appending to {}", self.path.display()))
    }

    pub fn read_all(path: &Path) -> Result<Vec<TranscriptRecord>> {
        let text = std::fs::read_to_string(path)
            .wrap_err_with(|| format!("reading {}", path.display()))?;
        text.lines()
            .map(|line| serde_json::from_str(line).wrap_err("parsing a transcript line"))
            .collect()
    }
}
