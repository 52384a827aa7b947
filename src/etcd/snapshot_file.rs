//! The snapshot's file on disk, written around the page cache where the file system allows it
//! (`O_DIRECT`). Two reasons, both measured: a buffered write of a gigabyte costs a second of
//! kernel time on top of the stream (copying into the page cache, then writing it back), on the
//! two cores a master often has beside etcd itself; and it fills the page cache with a backup
//! nobody will read soon, evicting the pages of etcd's own database on the host being backed
//! up. Where direct I/O is refused (tmpfs, some network file systems), the file is written
//! through the page cache and handed to the disk a window at a time instead.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Direct I/O wants buffers, lengths and offsets aligned to the device's logical block, at
/// most a page on the disks lifeboat meets.
const ALIGN: usize = 4096;
/// The unit written at once: large enough to keep the write calls few (one per 256 KiB), small
/// enough that two of them in flight keep memory flat.
pub(super) const BLOCK: usize = 256 << 10;

/// A block of memory aligned for direct I/O, filled a chunk at a time.
pub(super) struct Block {
    raw: Vec<u8>,
    start: usize,
    len: usize,
}

impl Block {
    pub(super) fn new() -> Self {
        // Over-allocated by one alignment and used from its first aligned byte: no unsafe
        // allocation needed.
        let raw = vec![0u8; BLOCK + ALIGN];
        let start = raw.as_ptr().align_offset(ALIGN).min(ALIGN);
        Block { raw, start, len: 0 }
    }

    /// Copies as much of `data` as fits and returns what did not.
    pub(super) fn fill<'a>(&mut self, data: &'a [u8]) -> &'a [u8] {
        let taken = data.len().min(BLOCK - self.len);
        let at = self.start + self.len;
        self.raw[at..at + taken].copy_from_slice(&data[..taken]);
        self.len += taken;
        &data[taken..]
    }

    pub(super) fn is_full(&self) -> bool {
        self.len == BLOCK
    }

    pub(super) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(super) fn filled(&self) -> &[u8] {
        &self.raw[self.start..self.start + self.len]
    }

    /// The filled bytes zero-padded to the alignment, for the last, partial block.
    fn padded(&mut self) -> &[u8] {
        let end = self.len.div_ceil(ALIGN) * ALIGN;
        self.raw[self.start + self.len..self.start + end].fill(0);
        &self.raw[self.start..self.start + end]
    }

    fn clear(&mut self) {
        self.len = 0;
    }
}

/// The snapshot file being written, block by block, in order.
pub(super) struct SnapshotFile {
    file: File,
    direct: bool,
    written: u64,
    /// Where the page cache is used: the windows already handed to the disk.
    handed: u64,
    previous: u64,
}

/// Written bytes are handed to the disk a window at a time as the stream goes, so that the
/// sync at the end finds at most two windows still to write instead of the whole file.
const WRITEBACK_WINDOW: u64 = 16 << 20;

impl SnapshotFile {
    /// Creates `path`, which must not exist, owner-only from the first byte (snapshots hold
    /// every secret of the cluster), for direct I/O when the file system takes it.
    pub(super) fn create(path: &Path) -> std::io::Result<Self> {
        let open = |flags| {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .custom_flags(flags)
                .open(path)
        };
        let (file, direct) = match open(nix::libc::O_DIRECT) {
            Ok(file) => (file, true),
            Err(error) if error.raw_os_error() == Some(nix::libc::EINVAL) => (open(0)?, false),
            Err(error) => return Err(error),
        };
        Ok(SnapshotFile {
            file,
            direct,
            written: 0,
            handed: 0,
            previous: 0,
        })
    }

    /// Appends the block's bytes and empties it. Only the last block may be partial.
    pub(super) fn write(&mut self, block: &mut Block) -> std::io::Result<()> {
        if self.direct {
            match self.file.write_all(block.padded()) {
                Ok(()) => {}
                // Some file systems open for direct I/O and refuse it at the first write.
                Err(error) if error.raw_os_error() == Some(nix::libc::EINVAL) => {
                    self.leave_direct_io()?;
                    self.file.write_all(block.filled())?;
                }
                Err(error) => return Err(error),
            }
        } else {
            self.file.write_all(block.filled())?;
        }
        self.written += block.filled().len() as u64;
        block.clear();
        if !self.direct {
            self.hand_to_disk();
        }
        Ok(())
    }

    /// Cuts the padding of the last block, syncs, and returns the file's length.
    pub(super) fn finish(self) -> std::io::Result<u64> {
        if self.direct {
            self.file.set_len(self.written)?;
        }
        self.file.sync_all()?;
        Ok(self.written)
    }

    fn leave_direct_io(&mut self) -> std::io::Result<()> {
        use nix::fcntl::{FcntlArg, OFlag, fcntl};
        let flags = OFlag::from_bits_truncate(fcntl(&self.file, FcntlArg::F_GETFL)?);
        fcntl(&self.file, FcntlArg::F_SETFL(flags - OFlag::O_DIRECT))?;
        self.direct = false;
        Ok(())
    }

    /// Starts writing each full window behind the stream, and waits for the window before it
    /// (which has had a whole window's time to reach the disk): the file's dirty pages stay
    /// at two windows.
    fn hand_to_disk(&mut self) {
        if self.written - self.handed >= WRITEBACK_WINDOW {
            writeback(&self.file, self.handed, self.written - self.handed, false);
            writeback(&self.file, self.previous, self.handed - self.previous, true);
            (self.previous, self.handed) = (self.handed, self.written);
        }
    }
}

/// Starts writing `len` bytes at `offset` to the disk (`wait`: and waits until they are
/// written). Advisory: the final `sync_all` is what makes the file durable, so a file system
/// without `sync_file_range` only loses the head start.
fn writeback(file: &File, offset: u64, len: u64, wait: bool) {
    use nix::libc;
    use std::os::fd::AsRawFd;
    if len == 0 {
        return;
    }
    let flags = if wait {
        libc::SYNC_FILE_RANGE_WAIT_BEFORE
            | libc::SYNC_FILE_RANGE_WRITE
            | libc::SYNC_FILE_RANGE_WAIT_AFTER
    } else {
        libc::SYNC_FILE_RANGE_WRITE
    };
    let (Ok(offset), Ok(len)) = (i64::try_from(offset), i64::try_from(len)) else {
        return;
    };
    // SAFETY: the descriptor is the open file borrowed for the call; the kernel checks the
    // range and flags and reports misuse as an error, which is ignored as said above.
    let _ = unsafe { libc::sync_file_range(file.as_raw_fd(), offset, len, flags) };
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_all(path: &Path, data: &[u8]) -> u64 {
        let mut file = SnapshotFile::create(path).expect("creates");
        let mut block = Block::new();
        let mut rest = data;
        while !rest.is_empty() {
            rest = block.fill(rest);
            if block.is_full() {
                file.write(&mut block).expect("writes");
            }
        }
        if !block.is_empty() {
            file.write(&mut block).expect("writes the tail");
        }
        file.finish().expect("finishes")
    }

    #[test]
    fn blocks_and_an_unaligned_tail_land_as_given() {
        let dir = tempfile::tempdir().expect("tempdir");
        // Two full blocks and a tail that is not a multiple of the alignment, as a snapshot
        // (pages plus a 32-byte hash) always ends.
        let data: Vec<u8> = (0..2 * BLOCK + 4096 + 32)
            .map(|i| (i * 7 % 251) as u8)
            .collect();
        let path = dir.path().join("snap.db");
        assert_eq!(write_all(&path, &data), data.len() as u64);
        assert_eq!(std::fs::read(&path).expect("reads"), data);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn an_existing_file_is_never_opened() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("there.db");
        std::fs::write(&path, b"keep").expect("writes");
        assert!(SnapshotFile::create(&path).is_err());
        assert_eq!(std::fs::read(&path).expect("reads"), b"keep");
    }

    #[test]
    fn without_direct_io_the_page_cache_path_writes_the_same_bytes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("buffered.db");
        let mut file = SnapshotFile::create(&path).expect("creates");
        file.leave_direct_io().expect("clears O_DIRECT");
        let mut block = Block::new();
        assert!(block.fill(b"short tail").is_empty());
        file.write(&mut block).expect("writes");
        assert_eq!(file.finish().expect("finishes"), 10);
        assert_eq!(std::fs::read(&path).expect("reads"), b"short tail");
    }

    #[test]
    fn a_block_takes_what_fits_and_returns_the_rest() {
        let mut block = Block::new();
        let data = vec![1u8; BLOCK + 10];
        let rest = block.fill(&data);
        assert!(block.is_full());
        assert_eq!(rest.len(), 10);
        assert_eq!(block.filled().as_ptr() as usize % ALIGN, 0);
    }
}
