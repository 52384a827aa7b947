//! Tar streams written byte by byte as a hostile party would: names the `tar` crate's builder
//! refuses to write (`..`, absolute), links, devices, lying sizes and truncated endings.
//! Shared by the extractor's unit tests and the hostile-pod integration test.

#![allow(dead_code)]

/// What one crafted entry is.
#[derive(Clone, Copy, Debug)]
pub enum Kind<'a> {
    File(&'a [u8]),
    Dir,
    Symlink(&'a str),
    HardLink(&'a str),
    CharDevice,
    BlockDevice,
    Fifo,
    /// A file whose header declares `size` bytes but whose stream holds only these.
    Declared(u64, &'a [u8]),
}

#[derive(Default)]
pub struct Crafted {
    bytes: Vec<u8>,
}

impl Crafted {
    pub fn new() -> Self {
        Crafted::default()
    }

    /// Appends one entry with its raw name (up to 100 bytes) and unmasked mode.
    pub fn entry(mut self, name: &str, kind: Kind<'_>, mode: u32) -> Self {
        let mut header = tar::Header::new_gnu();
        let (entry_type, data, size): (tar::EntryType, &[u8], u64) = match kind {
            Kind::File(data) => (tar::EntryType::Regular, data, data.len() as u64),
            Kind::Dir => (tar::EntryType::Directory, &[], 0),
            Kind::Symlink(_) => (tar::EntryType::Symlink, &[], 0),
            Kind::HardLink(_) => (tar::EntryType::Link, &[], 0),
            Kind::CharDevice => (tar::EntryType::Char, &[], 0),
            Kind::BlockDevice => (tar::EntryType::Block, &[], 0),
            Kind::Fifo => (tar::EntryType::Fifo, &[], 0),
            Kind::Declared(size, data) => (tar::EntryType::Regular, data, size),
        };
        header.set_entry_type(entry_type);
        header.set_mode(mode);
        header.set_size(size);
        header.set_mtime(0);
        let old = header.as_old_mut();
        old.name[..name.len()].copy_from_slice(name.as_bytes());
        if let Kind::Symlink(target) | Kind::HardLink(target) = kind {
            old.linkname[..target.len()].copy_from_slice(target.as_bytes());
        }
        header.set_cksum();
        self.bytes.extend_from_slice(header.as_bytes());
        self.bytes.extend_from_slice(data);
        if !matches!(kind, Kind::Declared(..)) {
            let padding = (512 - data.len() % 512) % 512;
            self.bytes.extend(std::iter::repeat_n(0u8, padding));
        }
        self
    }

    /// The stream with tar's two empty blocks at the end.
    pub fn finish(mut self) -> Vec<u8> {
        self.bytes.extend(std::iter::repeat_n(0u8, 1024));
        self.bytes
    }

    /// The stream cut off where it is (no end blocks, no padding).
    pub fn unfinished(self) -> Vec<u8> {
        self.bytes
    }
}
