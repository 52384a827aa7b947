//! Sizes as people write them, for `learner_threshold`.
//!
//! The same rules as `procedures::parse_size` (which `--learner-threshold` uses): this module
//! may not import `procedures` (its imports reach `paths`, which reads the settings), so the
//! few lines are repeated here and a test in `commands::config` holds the two to the same
//! answers.

/// "700MB", "1.5GB", "512MiB", "0". Decimal units are powers of 1000, as in the procedure's
/// 700 MB.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number
        .parse()
        .map_err(|_| format!("{text:?} is not a size; write it like 700MB, 1GB or 0"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" | "k" => 1000,
        "mb" | "m" => 1000 * 1000,
        "gb" | "g" => 1000 * 1000 * 1000,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        other => {
            return Err(format!(
                "{text:?}: unknown unit {other:?}; use B, KB, MB, GB, KiB, MiB or GiB"
            ));
        }
    };
    // `as` saturates: an absurd size becomes u64::MAX (never a learner), not a panic.
    Ok((number * factor as f64).round() as u64)
}
