//! A snapshot file is read from a bundle on shared storage: whatever its pages say, reading it
//! gives stats or an error, never a panic, a hang or a huge allocation. Random bytes rarely get
//! past the meta pages' checksum, so these start from a valid database and damage its tree.

use proptest::prelude::*;

use super::tests::{PAGE, database, read};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn damaged_tree_pages_give_an_error_or_stats(
        flips in prop::collection::vec((2 * PAGE..4 * PAGE, any::<u8>()), 1..24),
        cut in prop::option::of(0..4 * PAGE),
    ) {
        let mut bytes = database(2);
        for (at, value) in flips {
            bytes[at] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut);
        }
        let started = std::time::Instant::now();
        let _ = read(&bytes);
        prop_assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn element_headers_pointing_anywhere_are_refused_or_read(
        offset in any::<u32>(), key_len in any::<u32>(), value_len in any::<u32>(),
        flags in prop::sample::select(vec![0u32, 1]), count in any::<u16>(),
    ) {
        let mut bytes = database(2);
        // The root leaf's first element header (page 2, after the 16-byte page header).
        let element = 2 * PAGE + 16;
        bytes[element..element + 4].copy_from_slice(&flags.to_le_bytes());
        bytes[element + 4..element + 8].copy_from_slice(&offset.to_le_bytes());
        bytes[element + 8..element + 12].copy_from_slice(&key_len.to_le_bytes());
        bytes[element + 12..element + 16].copy_from_slice(&value_len.to_le_bytes());
        bytes[2 * PAGE + 10..2 * PAGE + 12].copy_from_slice(&count.to_le_bytes());
        let _ = read(&bytes);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The live keyspace (`bolt_keys`) of a damaged or truncated file: keys or an error.
    #[test]
    fn damaged_key_pages_give_an_error_or_keys(
        flips in prop::collection::vec((2 * PAGE..4 * PAGE, any::<u8>()), 1..24),
        cut in prop::option::of(0..4 * PAGE),
        inline in any::<bool>(),
    ) {
        let mut bytes = super::super::bolt_keys::tests::database(inline);
        for (at, value) in flips {
            bytes[at] = value;
        }
        if let Some(cut) = cut {
            bytes.truncate(cut);
        }
        let started = std::time::Instant::now();
        let _ = super::super::bolt_keys::tests::read(&bytes);
        prop_assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
