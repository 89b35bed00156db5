//! Decimal numbers as the page writes them (SVG coordinates, speeds, sizes), rounded to a
//! few places and written with integer formatting only. Rust's float formatter finds the
//! shortest exact representation (Grisu with a Dragon fallback), which is about 10 KB of
//! the page's code for numbers nobody reads past the first decimal.

/// `value` rounded to `places` decimals (0 to 6), without trailing zeros: `104`, `127.3`,
/// `0.25`, `-2.5`. Not-a-number and infinities are written as `0`.
pub fn decimal(value: f64, places: u32) -> String {
    let places = places.min(6);
    let scale = 10u64.pow(places);
    let scaled = if value.is_finite() {
        (value * scale as f64).round() as i64
    } else {
        0
    };
    let sign = if scaled < 0 { "-" } else { "" };
    let magnitude = scaled.unsigned_abs();
    let (whole, mut fraction) = (magnitude / scale, magnitude % scale);
    if fraction == 0 {
        return format!("{sign}{whole}");
    }
    let mut digits = places as usize;
    while fraction % 10 == 0 {
        fraction /= 10;
        digits -= 1;
    }
    format!("{sign}{whole}.{fraction:0digits$}")
}

/// `value` with exactly one decimal: `12.0`, `0.5`.
pub fn one_decimal(value: f64) -> String {
    with_point(value, 1)
}

/// `value` rounded to `places` decimals, always with a decimal point: `2.0`, `1.5`,
/// `-0.25` (as serde writes floats in its messages).
pub fn with_point(value: f64, places: u32) -> String {
    let text = decimal(value, places);
    if text.contains('.') {
        text
    } else {
        text + ".0"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_and_drops_trailing_zeros() {
        assert_eq!(decimal(104.0, 1), "104");
        assert_eq!(decimal(127.333_333, 1), "127.3");
        assert_eq!(decimal(127.36, 1), "127.4");
        assert_eq!(decimal(0.25, 2), "0.25");
        assert_eq!(decimal(0.5, 2), "0.5");
        assert_eq!(decimal(16.0, 2), "16");
        assert_eq!(decimal(-2.5, 1), "-2.5");
        assert_eq!(decimal(-0.04, 1), "0");
        assert_eq!(decimal(0.05, 1), "0.1");
        assert_eq!(decimal(1.005, 3), "1.005");
        assert_eq!(decimal(f64::NAN, 1), "0");
        assert_eq!(decimal(f64::INFINITY, 1), "0");
    }

    #[test]
    fn agrees_with_the_float_formatter_on_the_diagrams_coordinates() {
        // Every tenth of a pixel across the drawing: the same text as `{:.1}` gives, less
        // a trailing ".0".
        for tenths in -100..10_000 {
            let value = tenths as f64 / 10.0 + 0.01;
            let formatted = format!("{value:.1}");
            let expected = formatted.strip_suffix(".0").unwrap_or(&formatted);
            let expected = if expected == "-0" { "0" } else { expected };
            assert_eq!(decimal(value, 1), expected, "{value}");
        }
    }

    #[test]
    fn one_decimal_always_shows_it() {
        assert_eq!(one_decimal(12.0), "12.0");
        assert_eq!(one_decimal(12.34), "12.3");
        assert_eq!(one_decimal(0.0), "0.0");
        assert_eq!(with_point(-0.25, 6), "-0.25");
        assert_eq!(with_point(2.0, 6), "2.0");
    }
}
