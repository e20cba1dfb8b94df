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
        let hundredths = (us + 5) / 10;
        format!("{}.{:02} ms", hundredths / 100, hundredths % 100)
    } else {
        // Rounded to the millisecond without overflowing: `us + 500` wraps near `Micros::MAX`
        // (a scenario may run "forever", `until_us` = 2^64 - 1).
        let thousandths = us / 1_000 + u64::from(us % 1_000 >= 500);
        format!("{}.{:03} s", thousandths / 1_000, thousandths % 1_000)
    }
}

/// `x` with `places` decimals, by integer arithmetic. Used instead of `{:.N}` so that the browser
/// bundle needs no float-formatting machinery (about 6 KB gzipped).
pub fn decimal(x: f64, places: u32) -> String {
    let scale = 10i64.pow(places);
    let n = (x * scale as f64).round() as i64;
    let sign = if n < 0 { "-" } else { "" };
    let (whole, frac) = (n.unsigned_abs() / scale as u64, n.unsigned_abs() % scale as u64);
    if places == 0 {
        format!("{sign}{whole}")
    } else {
        format!("{sign}{whole}.{frac:0width$}", width = places as usize)
    }
}

/// Parses a duration written as a number with a unit: `1500us`, `250ms`, `10s`, `2m`.
/// A bare number is read as microseconds.
pub fn parse_duration(text: &str) -> Result<Micros, String> {
    let text = text.trim();
    let split = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let scale: f64 = match unit.trim() {
        "" | "us" | "µs" => 1.0,
        "ms" => 1e3,
        "s" => 1e6,
        "m" | "min" => 60e6,
        other => return Err(format!("unknown unit `{other}` in duration `{text}` (use us, ms, s or m)")),
    };
    let value: f64 = number.parse().map_err(|_| format!("`{text}` is not a duration (examples: 500ms, 10s, 2m)"))?;
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
        assert!(parse_duration("10 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("ms").is_err());
    }

    #[test]
    fn times_format_for_people() {
        assert_eq!(format_micros(750), "750 µs");
        assert_eq!(format_micros(12_345), "12.35 ms");
        assert_eq!(format_micros(3_200_000), "3.200 s");
        assert_eq!(format_micros(999_999), "1000.00 ms");
        assert_eq!(format_micros(1_000_500), "1.001 s");
        assert_eq!(format_micros(1_000_499), "1.000 s");
        // Regression: `until_us` = 2^64 - 1 printed as `0.000 s` (the rounding overflowed).
        assert_eq!(format_micros(u64::MAX), "18446744073709.552 s");
        assert_eq!(format_micros(u64::MAX - 1_000), "18446744073709.551 s");
        assert_eq!(decimal(12.345, 1), "12.3");
        assert_eq!(decimal(-0.25, 2), "-0.25");
        assert_eq!(decimal(3.96, 0), "4");
        assert_eq!(decimal(0.05, 1), "0.1");
    }
}
