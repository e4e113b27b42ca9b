//! Kubernetes quantities as the metrics API and the HPA print them.
//!
//! KEDA turns every metric value and target into a `resource.Quantity` with milli precision
//! (`GenerateMetricInMili`: the float is printed with `%.3f` and parsed back), clamping NaN,
//! infinities and negative values to zero. [`MilliQuantity`] is that value, and its `Display` is
//! the canonical `DecimalSI` form Kubernetes prints (`1500m`, `2`, `15k`, `1M`).

use std::fmt;

/// A non-negative quantity with milli precision, as KEDA serves metric values and targets.
/// Held in an `i128` so that byte counters beyond 9.2e15 still print exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct MilliQuantity(i128);

impl MilliQuantity {
    pub const ZERO: MilliQuantity = MilliQuantity(0);

    /// Converts a measured value: rounded to milli precision; NaN, infinities and negative values
    /// become zero, and values beyond what a quantity can hold saturate.
    pub fn from_f64(value: f64) -> Self {
        if !value.is_finite() || value <= 0.0 {
            return Self::ZERO;
        }
        // As KEDA does: print with three decimals and read the digits back, which is exact where
        // `value * 1000.0` would pick up binary rounding error. Beyond i128, saturate.
        let digits: String = format!("{value:.3}")
            .chars()
            .filter(|c| *c != '.')
            .collect();
        MilliQuantity(digits.parse().unwrap_or(i128::MAX))
    }

    /// An integer quantity (KEDA's `GetMetricTarget` for int64 targets such as `listLength`);
    /// negative values become zero.
    pub fn from_integer(value: i64) -> Self {
        MilliQuantity(i128::from(value.max(0)) * 1000)
    }

    pub fn from_milli(milli: i128) -> Self {
        MilliQuantity(milli.max(0))
    }

    pub fn milli(self) -> i128 {
        self.0
    }

    pub fn as_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
}

impl fmt::Display for MilliQuantity {
    /// Kubernetes' canonical DecimalSI form: the largest exponent (a multiple of 3) that keeps
    /// the mantissa an integer, with the matching suffix.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const SUFFIXES: [&str; 8] = ["m", "", "k", "M", "G", "T", "P", "E"];
        let mut mantissa = self.0;
        if mantissa == 0 {
            return f.write_str("0");
        }
        let mut suffix = 0;
        while mantissa % 1000 == 0 && suffix + 1 < SUFFIXES.len() {
            mantissa /= 1000;
            suffix += 1;
        }
        write!(f, "{mantissa}{}", SUFFIXES[suffix])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_as_kubernetes_prints_decimal_si() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (1.0, "1"),
            (1.5, "1500m"),
            (0.001, "1m"),
            (0.0004, "0"),  // below milli precision rounds away, as %.3f does
            (0.0005, "1m"), // half rounds up
            (12.0, "12"),
            (1500.0, "1500"),
            (15000.0, "15k"),
            (1_234_000.0, "1234k"),
            (1e6, "1M"),
            (2.5e9, "2500M"),
            (1e12, "1T"),
            (1e15, "1P"),
            (1e18, "1E"),
            (123.456, "123456m"),
        ];
        for (value, want) in cases {
            assert_eq!(
                MilliQuantity::from_f64(*value).to_string(),
                *want,
                "value {value}"
            );
        }
    }

    #[test]
    fn unusable_values_are_zero() {
        for value in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -1.0, -0.0001] {
            assert_eq!(
                MilliQuantity::from_f64(value),
                MilliQuantity::ZERO,
                "value {value}"
            );
        }
    }

    #[test]
    fn huge_values_saturate_instead_of_wrapping() {
        assert_eq!(MilliQuantity::from_f64(1e300).milli(), i128::MAX);
        assert_eq!(
            MilliQuantity::from_integer(i64::MAX).milli(),
            i128::from(i64::MAX) * 1000
        );
        assert_eq!(MilliQuantity::from_f64(1e21).to_string(), "1000E");
    }

    #[test]
    fn integer_targets() {
        assert_eq!(MilliQuantity::from_integer(5).to_string(), "5");
        assert_eq!(MilliQuantity::from_integer(-3).to_string(), "0");
        assert_eq!(MilliQuantity::from_integer(5).as_f64(), 5.0);
    }
}
