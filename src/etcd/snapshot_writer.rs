//! The thread behind the snapshot stream: it hashes and writes each block while the next one
//! is received, so that receiving never waits on the disk or the hash. Two blocks exist in
//! all, one filling on the stream's side while the other is hashed and written: memory stays
//! flat whatever the database size.

use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::mpsc::{Receiver, Sender, channel};

use super::snapshot_file::{Block, SnapshotFile};
use super::stream_digest::{Digests, StreamDigest};

/// Why bytes could not be handed over.
pub(super) enum Refused {
    /// The writer stopped (a write failed): its error comes out of `finish`.
    WriterStopped,
    /// No block came back within the deadline: the disk is not taking writes.
    Stalled,
}

pub(super) struct BlockWriter {
    /// None only after a failed exchange, when nothing more is taken.
    filling: Option<Block>,
    full: Sender<Block>,
    empty: Receiver<Block>,
    thread: JoinHandle<std::io::Result<Digests>>,
}

impl BlockWriter {
    pub(super) fn spawn(file: SnapshotFile) -> Self {
        let (full, to_write) = channel::<Block>(1);
        let (give_back, empty) = channel::<Block>(2);
        let _ = give_back.try_send(Block::new());
        let thread = std::thread::spawn(move || write_blocks(file, to_write, give_back));
        BlockWriter {
            filling: Some(Block::new()),
            full,
            empty,
            thread,
        }
    }

    /// Takes `data` into the block being filled, handing each full block to the thread and
    /// waiting at most `patience` for an empty one back.
    pub(super) async fn push(
        &mut self,
        mut data: &[u8],
        patience: Duration,
    ) -> Result<(), Refused> {
        while !data.is_empty() {
            let block = self.filling.as_mut().ok_or(Refused::WriterStopped)?;
            data = block.fill(data);
            if block.is_full() {
                self.exchange(patience).await?;
            }
        }
        Ok(())
    }

    /// Hands the full block to the thread and takes an empty one back.
    async fn exchange(&mut self, patience: Duration) -> Result<(), Refused> {
        let full = self.filling.take().ok_or(Refused::WriterStopped)?;
        let swap = async {
            self.full.send(full).await.ok()?;
            self.empty.recv().await
        };
        match tokio::time::timeout(patience, swap).await {
            Ok(Some(empty)) => {
                self.filling = Some(empty);
                Ok(())
            }
            Ok(None) => Err(Refused::WriterStopped),
            Err(_) => Err(Refused::Stalled),
        }
    }

    /// Hands over the last, partial block and waits (off the async workers: the final sync
    /// of what can be gigabytes) until the file is written and synced.
    pub(super) async fn finish(self) -> std::io::Result<Digests> {
        let BlockWriter {
            filling,
            full,
            thread,
            ..
        } = self;
        if let Some(filling) = filling.filter(|block| !block.is_empty()) {
            // A writer that stopped early reports its own error below.
            let _ = full.send(filling).await;
        }
        drop(full);
        tokio::task::spawn_blocking(move || thread.join())
            .await
            .map_err(|_| std::io::Error::other("the snapshot writer was lost"))?
            .unwrap_or_else(|_| Err(std::io::Error::other("the snapshot writer panicked")))
    }
}

/// Hashes and writes each block as it comes, in order, and gives it back to be filled again;
/// syncs the file once the stream ends.
fn write_blocks(
    mut file: SnapshotFile,
    mut to_write: Receiver<Block>,
    give_back: Sender<Block>,
) -> std::io::Result<Digests> {
    let mut digest = StreamDigest::default();
    while let Some(mut block) = to_write.blocking_recv() {
        digest.update(block.filled());
        file.write(&mut block)?;
        // Two blocks exist and the channel holds two: giving back never waits.
        let _ = give_back.try_send(block);
    }
    // Every block is hashed and written whole, or the thread stops: the digest counts what the
    // file holds.
    file.finish()?;
    Ok(digest.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etcd::snapshot_file::BLOCK;
    use sha2::{Digest, Sha256};

    #[tokio::test]
    async fn chunks_of_any_size_come_out_whole_and_hashed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("snap.db");
        let body: Vec<u8> = (0..3 * BLOCK + 777).map(|i| (i * 13 % 256) as u8).collect();
        let mut data = body.clone();
        data.extend_from_slice(&Sha256::digest(&body));
        let mut writer = BlockWriter::spawn(SnapshotFile::create(&path).expect("creates"));
        for chunk in data.chunks(32 * 1024 + 5) {
            assert!(writer.push(chunk, Duration::from_secs(5)).await.is_ok());
        }
        let digests = writer.finish().await.expect("finishes");
        assert_eq!(digests.bytes, data.len() as u64);
        assert!(digests.trailing_hash_matches);
        assert_eq!(digests.sha256, format!("{:x}", Sha256::digest(&data)));
        assert_eq!(std::fs::read(&path).expect("reads"), data);
    }
}
