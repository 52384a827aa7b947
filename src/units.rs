//! Sizes as people read them: a leaf every layer may use (the runner's summaries, the CLI and
//! the TUI through `present`).

/// Sizes as engineers read them: binary units, one decimal.
pub fn human_bytes(bytes: i64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value.abs() >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// [`human_bytes`] of an unsigned count, saturating (no real size reaches `i64::MAX`).
pub fn human_bytes_u64(bytes: u64) -> String {
    human_bytes(i64::try_from(bytes).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_use_binary_units() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(20 * 1024), "20.0 KiB");
        assert_eq!(human_bytes(700 * 1024 * 1024), "700.0 MiB");
    }
}
