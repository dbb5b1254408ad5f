//! Byte sizes as written in configuration: `512`, `64KiB`, `1MiB`.

/// Parses a size in bytes: a whole number with an optional `B`, `KiB`, `MiB` or `GiB` suffix.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let t = text.trim();
    let end = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(end);
    let n: usize = num
        .parse()
        .map_err(|_| format!("`{text}` is not a size (write e.g. 64KiB or 1MiB)"))?;
    let mult: usize = match unit {
        "" | "B" => 1,
        "KiB" => 1024,
        "MiB" => 1024 * 1024,
        "GiB" => 1024 * 1024 * 1024,
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit: use B, KiB, MiB or GiB"
            ))
        }
    };
    match n.checked_mul(mult) {
        Some(v) if v > 0 => Ok(v),
        _ => Err(format!(
            "`{text}` must be greater than zero and fit in memory"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("1MiB"), Ok(1_048_576));
        assert_eq!(parse_size("64KiB"), Ok(65_536));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("1MB").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("KiB").is_err());
    }
}
