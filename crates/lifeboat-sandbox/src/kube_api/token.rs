//! The sandbox API server's bearer token. Whoever holds it can exec into pods, and a pod's
//! commands run as root on this host (chrooted, but with bind mounts the server makes): the
//! token is root on this host. So it comes from the operating system's randomness, not the
//! clock, and is compared in constant time.

use std::io::Read;

/// `bytes` bytes of the kernel's randomness, in hex.
pub fn random_token(bytes: usize) -> std::io::Result<String> {
    let mut buffer = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buffer)?;
    Ok(buffer.iter().map(|b| format!("{b:02x}")).collect())
}

/// Whether `given` is `expected`, taking as long whatever the first differing byte (only the
/// length, which is public, decides early).
pub fn same_token(given: &[u8], expected: &[u8]) -> bool {
    if given.len() != expected.len() {
        return false;
    }
    let difference = given
        .iter()
        .zip(expected)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    std::hint::black_box(difference) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_compare_exactly() {
        let one = random_token(32).expect("urandom");
        let two = random_token(32).expect("urandom");
        assert_eq!(one.len(), 64);
        assert!(one.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(one, two);
        assert!(same_token(one.as_bytes(), one.as_bytes()));
        assert!(!same_token(one.as_bytes(), two.as_bytes()));
        assert!(!same_token(&one.as_bytes()[..63], one.as_bytes()));
        assert!(!same_token(b"", one.as_bytes()));
    }
}
