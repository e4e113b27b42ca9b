//! KEDA's value grammar for trigger parameters (`scalersconfig/typed_config.go`): integers and
//! floats as JSON numbers, booleans as Go's `strconv.ParseBool`, durations as Go duration strings
//! or integer milliseconds, maps as `k=v,k2=v2`, lists comma-separated. Each function returns the
//! expectation as its error, so a message can say what was wanted.

use std::collections::BTreeMap;
use std::time::Duration;

pub fn int(value: &str) -> Result<i64, String> {
    serde_json::from_str::<i64>(value).map_err(|_| "an integer such as 5".to_string())
}

pub fn float(value: &str) -> Result<f64, String> {
    serde_json::from_str::<f64>(value).map_err(|_| "a number such as 5, 2.5 or 1e3".to_string())
}

/// Go's `strconv.ParseBool`, exactly: no `yes`/`no`, no surrounding spaces (already trimmed).
pub fn bool(value: &str) -> Result<bool, String> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err("a boolean (true or false)".to_string()),
    }
}

/// An integer number of milliseconds, or a Go duration string (`300ms`, `1.5s`, `2m30s`).
/// Negative durations are rejected, as KEDA does.
pub fn duration(value: &str) -> Result<Duration, String> {
    const EXPECTED: &str = "a duration such as 3000 (milliseconds), 500ms or 1m30s";
    if let Ok(ms) = serde_json::from_str::<i64>(value) {
        return u64::try_from(ms)
            .map(Duration::from_millis)
            .map_err(|_| format!("{EXPECTED}, not negative"));
    }
    go_duration(value).ok_or_else(|| EXPECTED.to_string())
}

/// Go's `time.ParseDuration` for non-negative values: a sequence of decimal numbers, each with a
/// unit among ns, us, µs, ms, s, m, h; `0` alone is allowed.
fn go_duration(text: &str) -> Option<Duration> {
    let text = text.strip_prefix('+').unwrap_or(text);
    if text == "0" {
        return Some(Duration::ZERO);
    }
    if text.is_empty() {
        return None;
    }
    let mut rest = text;
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." {
            return None;
        }
        let amount: f64 = number.parse().ok()?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let nanos_per_unit = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total_nanos += amount * nanos_per_unit;
    }
    (total_nanos <= u64::MAX as f64).then(|| Duration::from_nanos(total_nanos as u64))
}

/// `k1=v1,k2=v2`: each comma-separated item must hold exactly one `=`; keys and values trimmed.
pub fn map(value: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    for item in value.split(',') {
        let mut parts = item.split('=');
        match (parts.next(), parts.next(), parts.next()) {
            (Some(k), Some(v), None) => {
                out.insert(k.trim().to_string(), v.trim().to_string());
            }
            _ => return Err("a list of key=value pairs separated by commas".to_string()),
        }
    }
    Ok(out)
}

/// A comma-separated list, each item trimmed.
pub fn list(value: &str) -> Vec<String> {
    value.split(',').map(|s| s.trim().to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints_follow_json_grammar() {
        let cases: &[(&str, Option<i64>)] = &[
            ("5", Some(5)),                // plain
            ("-3", Some(-3)),              // negative is a valid JSON number
            ("0", Some(0)),                // zero
            ("5.0", None),  // a float is not an int (json.Unmarshal into int64 fails)
            ("1e3", None),  // exponent is float syntax
            ("+5", None),   // JSON has no leading plus
            ("05", None),   // nor leading zeros
            ("five", None), // words
            ("9223372036854775808", None), // overflows int64
        ];
        for (input, want) in cases {
            assert_eq!(int(input).ok(), *want, "input {input:?}");
        }
    }

    #[test]
    fn floats_follow_json_grammar() {
        let cases: &[(&str, Option<f64>)] = &[
            ("5", Some(5.0)),      // integer literal
            ("2.5", Some(2.5)),    // decimal
            ("1e3", Some(1000.0)), // exponent
            ("-0.5", Some(-0.5)),  // negative
            (".5", None),          // JSON needs a leading digit
            ("NaN", None),         // not JSON
            ("Inf", None),         // not JSON
            ("5m", None),          // not a quantity
        ];
        for (input, want) in cases {
            assert_eq!(float(input).ok(), *want, "input {input:?}");
        }
    }

    #[test]
    fn bools_follow_go_parse_bool() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(bool(t), Ok(true), "{t}");
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(bool(f), Ok(false), "{f}");
        }
        for bad in ["yes", "no", "tRuE", "on", "2"] {
            assert!(bool(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn durations() {
        let cases: &[(&str, Option<Duration>)] = &[
            ("3000", Some(Duration::from_millis(3000))), // integer milliseconds
            ("0", Some(Duration::ZERO)),                 // zero
            ("500ms", Some(Duration::from_millis(500))), // Go unit
            ("1.5s", Some(Duration::from_millis(1500))), // fractional
            ("1m30s", Some(Duration::from_secs(90))),    // compound
            ("2h", Some(Duration::from_secs(7200))),     // hours
            ("10us", Some(Duration::from_micros(10))),   // micro
            ("-1", None),                                // negative milliseconds
            ("-1s", None),                               // negative Go duration
            ("1", Some(Duration::from_millis(1))),       // bare number means ms
            ("1d", None),                                // Go has no day unit
            ("s", None),                                 // unit without number
            ("1.5", None),                               // fraction without unit
        ];
        for (input, want) in cases {
            assert_eq!(duration(input).ok(), *want, "input {input:?}");
        }
    }

    #[test]
    fn maps() {
        let ok = map(" a = 1 ,b=2").unwrap();
        assert_eq!(ok.get("a").map(String::as_str), Some("1"));
        assert_eq!(ok.get("b").map(String::as_str), Some("2"));
        assert!(map("a=1,b").is_err(), "item without =");
        assert!(map("a=1=2").is_err(), "item with two =");
        assert_eq!(map("a=").unwrap().get("a").map(String::as_str), Some(""));
    }

    #[test]
    fn lists() {
        assert_eq!(list("a, b ,c"), vec!["a", "b", "c"]);
        assert_eq!(list("single"), vec!["single"]);
    }
}
