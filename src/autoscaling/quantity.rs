//! Kubernetes quantities read the way the HPA controller reads them: metric targets with
//! `Quantity.MilliValue()` (milli-units, rounded up), tolerances with `AsApproximateFloat64()`.
//! The controller does its arithmetic on milli-unit integers, so these helpers are what makes
//! our ratios come out as the real controller's do.

use k8s_openapi::apimachinery::pkg::api::resource::Quantity;

/// `±mantissa × 10^exp10 × 2^exp2`, as written (`1.5Gi` is 15 × 10⁻¹ × 2³⁰).
struct Parsed {
    negative: bool,
    mantissa: u128,
    exp10: i32,
    exp2: u32,
}

/// A quantity in milli-units, rounded up (away from zero) as `MilliValue` does, saturating at
/// the ends of `i64`. `None` when the text is not a quantity.
pub fn milli_value(quantity: &Quantity) -> Option<i64> {
    let parsed = parse(&quantity.0)?;
    let scaled = parsed.mantissa.saturating_mul(1u128 << parsed.exp2);
    let exponent = parsed.exp10 + 3;
    let magnitude = if exponent >= 0 {
        10u128
            .checked_pow(exponent.unsigned_abs())
            .map_or(u128::MAX, |factor| scaled.saturating_mul(factor))
    } else {
        match 10u128.checked_pow(exponent.unsigned_abs()) {
            Some(divisor) => scaled.div_ceil(divisor),
            // Smaller than any milli-unit, but rounding up keeps a non-zero value non-zero.
            None => u128::from(scaled > 0),
        }
    };
    let magnitude = i64::try_from(magnitude).unwrap_or(i64::MAX);
    Some(if parsed.negative {
        -magnitude
    } else {
        magnitude
    })
}

/// A quantity as a float (`AsApproximateFloat64`); `None` when the text is not a quantity.
pub fn approximate_f64(quantity: &Quantity) -> Option<f64> {
    let parsed = parse(&quantity.0)?;
    let magnitude =
        parsed.mantissa as f64 * 10f64.powi(parsed.exp10) * 2f64.powi(parsed.exp2 as i32);
    Some(if parsed.negative {
        -magnitude
    } else {
        magnitude
    })
}

/// A reading (a float that stood for a milli-precision quantity on the wire) in milli-units.
/// Binary noise is snapped first (`0.3 * 1000` is `300.00000000000006`, not 301 milli-units),
/// then the value is rounded up as `MilliValue` rounds.
pub fn milli_of(value: f64) -> i64 {
    if value.is_nan() {
        return 0;
    }
    let scaled = value * 1000.0;
    let nearest = scaled.round();
    let noise = (nearest.abs() * f64::EPSILON * 4.0).max(1e-6);
    let milli = if (scaled - nearest).abs() <= noise {
        nearest
    } else {
        scaled.ceil()
    };
    // `as` saturates at the ends of i64, which is what an overflowing sum does upstream.
    milli as i64
}

fn parse(text: &str) -> Option<Parsed> {
    let (negative, rest) = match text.as_bytes().first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let number_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_len);
    let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
    if (whole.is_empty() && fraction.is_empty()) || fraction.contains('.') {
        return None;
    }
    let digits = format!("{whole}{fraction}");
    let digits = digits.trim_start_matches('0');
    // u128 holds 38 digits; longer mantissas are not quantities anyone writes.
    if digits.len() > 36 {
        return None;
    }
    let mantissa = if digits.is_empty() {
        0
    } else {
        digits.parse().ok()?
    };
    let (exp10, exp2) = suffix_exponents(suffix)?;
    Some(Parsed {
        negative,
        mantissa,
        exp10: exp10 - i32::try_from(fraction.len()).ok()?,
        exp2,
    })
}

/// The decimal SI, binary SI and exponent suffixes `resource.ParseQuantity` accepts.
fn suffix_exponents(suffix: &str) -> Option<(i32, u32)> {
    let decimal = ["n", "u", "m", "", "k", "M", "G", "T", "P", "E"];
    if let Some(i) = decimal.iter().position(|s| *s == suffix) {
        return Some((3 * i32::try_from(i).ok()? - 9, 0));
    }
    let binary = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    if let Some(i) = binary.iter().position(|s| *s == suffix) {
        return Some((0, 10 * (u32::try_from(i).ok()? + 1)));
    }
    let exponent: i32 = suffix.strip_prefix(['e', 'E'])?.parse().ok()?;
    Some((exponent.clamp(-100, 100), 0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn milli_values() {
        let cases: &[(&str, Option<i64>)] = &[
            // plain integers and fractions
            ("1", Some(1000)),
            ("1.5", Some(1500)),
            (".5", Some(500)),
            ("0", Some(0)),
            // the milli suffix KEDA's targets and values use
            ("100m", Some(100)),
            ("1500m", Some(1500)),
            // decimal and binary SI suffixes
            ("2k", Some(2_000_000)),
            ("1Ki", Some(1_024_000)),
            ("1.5Mi", Some(1_572_864_000)),
            // exponents, and "E" alone is exa, not an exponent
            ("1e3", Some(1_000_000)),
            ("1E", Some(i64::MAX)),
            // below a milli-unit: rounded up, as MilliValue does
            ("0.0001", Some(1)),
            ("5n", Some(1)),
            ("-1", Some(-1000)),
            // not quantities
            ("", None),
            ("abc", None),
            ("1.2.3", None),
            ("1Q", None),
        ];
        for (text, want) in cases {
            assert_eq!(milli_value(&Quantity((*text).into())), *want, "{text}");
        }
    }

    #[test]
    fn approximate_floats() {
        let cases: &[(&str, f64)] = &[("0.05", 0.05), ("100m", 0.1), ("2Ki", 2048.0)];
        for (text, want) in cases {
            let got = approximate_f64(&Quantity((*text).into())).unwrap();
            assert!((got - want).abs() < 1e-12, "{text}: {got}");
        }
    }

    #[test]
    fn readings_in_milli_units() {
        let cases: &[(f64, i64)] = &[
            // float noise is not a milli-unit more
            (0.3, 300),
            (0.1 + 0.2, 300),
            (12.0, 12000),
            // a genuine fraction of a milli-unit rounds up
            (0.0004, 1),
            (f64::NAN, 0),
            (f64::INFINITY, i64::MAX),
        ];
        for (value, want) in cases {
            assert_eq!(milli_of(*value), *want, "{value}");
        }
    }
}
