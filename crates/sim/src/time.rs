//! Simulated time. Integer microseconds everywhere: floats would make runs differ between
//! platforms, and nothing in the core ever reads a real clock.

/// A point in simulated time or a duration, in microseconds.
pub type Micros = u64;

pub const MS: Micros = 1_000;
pub const SEC: Micros = 1_000_000;

/// Formats a time for people: `0 µs`, `750 µs`, `12.35 ms`, `3.200 s`.
pub fn format_micros(us: Micros) -> String {
    if us < 1_000 {
        format!("{us} µs")
    } else if us < SEC {
        format!("{:.2} ms", us as f64 / 1e3)
    } else {
        format!("{:.3} s", us as f64 / 1e6)
    }
}

/// Parses a duration written as a number with a unit: `1500us`, `250ms`, `10s`, `2m`.
/// A bare number is read as microseconds.
pub fn parse_duration(text: &str) -> Result<Micros, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: f64 = match unit.trim() {
        "" | "us" | "µs" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" | "min" => 60e6,
        other => {
            return Err(format!(
                "unknown unit `{other}` in duration `{text}` (use us, ms, s or m)"
            ))
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration (examples: 500ms, 10s, 2m)"))?;
    let us = value * scale;
    if !(0.0..=1e15).contains(&us) {
        return Err(format!("duration `{text}` is out of range"));
    }
    Ok(us.round() as Micros)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units() {
        assert_eq!(parse_duration("1500us"), Ok(1500));
        assert_eq!(parse_duration("250ms"), Ok(250_000));
        assert_eq!(parse_duration("1.5s"), Ok(1_500_000));
        assert_eq!(parse_duration("2m"), Ok(120_000_000));
        assert_eq!(parse_duration("42"), Ok(42));
        assert!(parse_duration("10 parsecs")
            .unwrap_err()
            .contains("unknown unit"));
        assert!(parse_duration("ms").is_err());
    }

    #[test]
    fn times_format_for_people() {
        assert_eq!(format_micros(750), "750 µs");
        assert_eq!(format_micros(12_345), "12.35 ms");
        assert_eq!(format_micros(3_200_000), "3.200 s");
    }
}
