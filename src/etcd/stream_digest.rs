//! Both hashes a snapshot needs, computed as its bytes go by: the SHA-256 of the whole file
//! (for the bundle's manifest) and etcd's own trailing hash check (the SHA-256 of everything
//! but the last 32 bytes, which must equal those 32 bytes). One pass instead of two re-reads
//! of a file that can be gigabytes, and one hash over the bytes, not two: SHA-256 hashes in
//! order, so the whole file's hash is the body's state (cloned) fed the last 32 bytes.

use sha2::{Digest, Sha256};

/// etcd appends the SHA-256 of the database to the snapshot stream.
pub const HASH_LEN: usize = 32;
/// The trailing hash after bbolt's smallest database (its two meta pages).
const MIN_SNAPSHOT: u64 = HASH_LEN as u64 + 4096;

#[derive(Default)]
pub struct StreamDigest {
    /// Every byte but the held-back ones.
    body: Sha256,
    /// The last bytes seen: the trailing hash, once the stream has ended.
    held_back: Vec<u8>,
    bytes: u64,
}

/// What the stream's bytes turned out to be.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Digests {
    pub bytes: u64,
    /// Hex SHA-256 of every byte.
    pub sha256: String,
    /// Whether the last 32 bytes are the SHA-256 of the ones before.
    pub trailing_hash_matches: bool,
}

impl Digests {
    /// Whether the bytes are an etcd snapshot whose trailing hash holds, in words for the
    /// engineer when not.
    pub fn trailing_hash(&self) -> Result<(), String> {
        if self.bytes < MIN_SNAPSHOT {
            Err(format!(
                "{} bytes is too small to be an etcd snapshot",
                self.bytes
            ))
        } else if self.trailing_hash_matches {
            Ok(())
        } else {
            Err(
                "the trailing SHA-256 does not match the data: the snapshot is corrupt or truncated"
                    .into(),
            )
        }
    }
}

impl StreamDigest {
    pub fn update(&mut self, data: &[u8]) {
        self.bytes += data.len() as u64;
        if data.len() >= HASH_LEN {
            // Everything held back so far is followed by 32 more bytes: it is body.
            self.body.update(&self.held_back);
            let (body, tail) = data.split_at(data.len() - HASH_LEN);
            self.body.update(body);
            self.held_back.clear();
            self.held_back.extend_from_slice(tail);
        } else {
            self.held_back.extend_from_slice(data);
            let excess = self.held_back.len().saturating_sub(HASH_LEN);
            self.body.update(&self.held_back[..excess]);
            self.held_back.drain(..excess);
        }
    }

    pub fn finish(self) -> Digests {
        let mut whole = self.body.clone();
        whole.update(&self.held_back);
        let trailing_hash_matches =
            self.held_back.len() == HASH_LEN && self.body.finalize().as_slice() == self.held_back;
        Digests {
            bytes: self.bytes,
            sha256: format!("{:x}", whole.finalize()),
            trailing_hash_matches,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot_like(body_len: usize) -> Vec<u8> {
        let mut bytes: Vec<u8> = (0..body_len).map(|i| (i * 31 % 251) as u8).collect();
        let trailer = Sha256::digest(&bytes);
        bytes.extend_from_slice(&trailer);
        bytes
    }

    fn digest_in_chunks(bytes: &[u8], chunk: usize) -> Digests {
        let mut digest = StreamDigest::default();
        for piece in bytes.chunks(chunk) {
            digest.update(piece);
        }
        digest.finish()
    }

    #[test]
    fn any_chunking_gives_the_same_answer_as_hashing_the_file() {
        let bytes = snapshot_like(10_000);
        let whole = format!("{:x}", Sha256::digest(&bytes));
        for chunk in [1, 7, 31, 32, 33, 4096, 10_032, 1 << 20] {
            let digests = digest_in_chunks(&bytes, chunk);
            assert_eq!(digests.sha256, whole, "chunk {chunk}");
            assert!(digests.trailing_hash_matches, "chunk {chunk}");
            assert_eq!(digests.bytes, bytes.len() as u64);
        }
    }

    #[test]
    fn a_flipped_byte_or_a_cut_stream_fails_the_trailing_check() {
        let mut bytes = snapshot_like(5000);
        bytes[100] ^= 1;
        assert!(!digest_in_chunks(&bytes, 64).trailing_hash_matches);
        let cut = snapshot_like(5000);
        assert!(!digest_in_chunks(&cut[..cut.len() - 10], 64).trailing_hash_matches);
        assert!(!digest_in_chunks(&[1, 2, 3], 1).trailing_hash_matches);
    }

    /// The whole file's hash comes from the body's state: right for any length and chunking,
    /// shorter than the trailer included.
    #[test]
    fn the_whole_hash_is_right_for_every_length() {
        for len in [0, 1, 31, 32, 33, 64, 65, 1000] {
            let bytes: Vec<u8> = (0..len).map(|i| (i * 7 % 256) as u8).collect();
            let whole = format!("{:x}", Sha256::digest(&bytes));
            for chunk in [1, 5, 32, 40, 2000] {
                let digests = digest_in_chunks(&bytes, chunk);
                assert_eq!(digests.sha256, whole, "len {len} chunk {chunk}");
                assert_eq!(digests.bytes, len as u64);
            }
        }
    }
}
