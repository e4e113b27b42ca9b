//! Turning a Prometheus `/api/v1/query` answer into one number, with KEDA's rules for empty
//! results, several series, null and NaN (§5.1).

use serde_json::Value;

/// What a query answer means for the metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Answer {
    Value(f64),
    /// An empty answer tolerated by `ignoreNullValues`: served as 0. Counted separately so
    /// operators can see a target that may be lost.
    Empty,
}

/// Interprets a 2xx body. `query` appears in the "multiple elements" error, as in KEDA.
pub fn interpret(body: &[u8], query: &str, ignore_null_values: bool) -> Result<Answer, String> {
    let json: Value = serde_json::from_slice(body)
        .map_err(|e| format!("prometheus answered with something that is not JSON: {e}"))?;
    let empty = |what: &str| {
        if ignore_null_values {
            Ok(Answer::Empty)
        } else {
            Err(format!(
                "prometheus metrics 'prometheus' target may be lost, {what}"
            ))
        }
    };
    let results = match json.pointer("/data/result") {
        Some(Value::Array(results)) => results,
        _ => return empty("the result is empty"),
    };
    let series = match results.as_slice() {
        [] => return empty("the result is empty"),
        [one] => one,
        _ => {
            return Err(format!(
                "prometheus query {query} returned multiple elements"
            ));
        }
    };
    // A matrix result has `values`, not `value`: KEDA treats that as an empty value list.
    let value = match series.get("value") {
        Some(Value::Array(pair)) => pair,
        _ => return empty("the value list is empty"),
    };
    let sample = match value.as_slice() {
        [] => return empty("the value list is empty"),
        [_] => return Err("prometheus query didn't return enough values".to_string()),
        [_, sample, ..] => sample,
    };
    let number = match sample {
        // KEDA reads a null sample as -1, which is served as 0 and is never active.
        Value::Null => -1.0,
        Value::String(text) => parse_go_float(text).ok_or_else(|| {
            format!("prometheus query returned a sample that is not a number: {text:?}")
        })?,
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        other => {
            return Err(format!(
                "prometheus query returned a sample that is not a number: {other}"
            ));
        }
    };
    if number.is_finite() {
        Ok(Answer::Value(number))
    } else if ignore_null_values {
        Ok(Answer::Value(0.0))
    } else {
        Err(format!(
            "prometheus query returns {}",
            go_float_name(number)
        ))
    }
}

/// Prometheus prints samples with Go's `strconv.FormatFloat`: `NaN`, `+Inf`, `-Inf` or a decimal.
fn parse_go_float(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "+Inf" | "Inf" => Some(f64::INFINITY),
        "-Inf" => Some(f64::NEG_INFINITY),
        _ => text.parse::<f64>().ok().filter(|v| v.is_finite()),
    }
}

fn go_float_name(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value > 0.0 {
        "+Inf".into()
    } else {
        "-Inf".into()
    }
}

/// The error Prometheus explains a non-2xx answer with, when it sent one.
pub fn error_detail(body: &[u8]) -> Option<String> {
    let json: Value = serde_json::from_slice(body).ok()?;
    json.get("error")
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vector(samples: &[&str]) -> String {
        let series: Vec<String> = samples
            .iter()
            .map(|s| format!(r#"{{"metric":{{}},"value":[1700000000.1,{s}]}}"#))
            .collect();
        format!(
            r#"{{"status":"success","data":{{"resultType":"vector","result":[{}]}}}}"#,
            series.join(",")
        )
    }

    #[test]
    fn rules() {
        let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"3"]]}]}}"#;
        let scalar_like = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[]}]}}"#;
        let short = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1]}]}}"#;
        let cases: Vec<(&str, String, bool, Result<Answer, &str>)> = vec![
            (
                "one series",
                vector(&["\"42.5\""]),
                true,
                Ok(Answer::Value(42.5)),
            ),
            (
                "integer sample",
                vector(&["\"7\""]),
                false,
                Ok(Answer::Value(7.0)),
            ),
            (
                "negative passes through (clamped later)",
                vector(&["\"-3\""]),
                false,
                Ok(Answer::Value(-3.0)),
            ),
            (
                "empty result tolerated",
                vector(&[]),
                true,
                Ok(Answer::Empty),
            ),
            (
                "empty result refused",
                vector(&[]),
                false,
                Err("target may be lost, the result is empty"),
            ),
            (
                "two series",
                vector(&["\"1\"", "\"2\""]),
                true,
                Err("prometheus query up returned multiple elements"),
            ),
            (
                "null sample is -1",
                vector(&["null"]),
                false,
                Ok(Answer::Value(-1.0)),
            ),
            (
                "NaN tolerated as 0",
                vector(&["\"NaN\""]),
                true,
                Ok(Answer::Value(0.0)),
            ),
            (
                "NaN refused",
                vector(&["\"NaN\""]),
                false,
                Err("prometheus query returns NaN"),
            ),
            (
                "+Inf refused",
                vector(&["\"+Inf\""]),
                false,
                Err("prometheus query returns +Inf"),
            ),
            (
                "-Inf tolerated",
                vector(&["\"-Inf\""]),
                true,
                Ok(Answer::Value(0.0)),
            ),
            (
                "garbage sample",
                vector(&["\"abc\""]),
                true,
                Err("not a number"),
            ),
            (
                "matrix result has no value",
                matrix.to_string(),
                true,
                Ok(Answer::Empty),
            ),
            (
                "matrix refused without ignoreNullValues",
                matrix.to_string(),
                false,
                Err("the value list is empty"),
            ),
            (
                "empty value list",
                scalar_like.to_string(),
                false,
                Err("the value list is empty"),
            ),
            (
                "value without sample",
                short.to_string(),
                true,
                Err("didn't return enough values"),
            ),
            ("not JSON", "<html>".to_string(), true, Err("not JSON")),
            (
                "no data field",
                r#"{"status":"success"}"#.to_string(),
                false,
                Err("the result is empty"),
            ),
        ];
        for (what, body, ignore, want) in cases {
            let got = interpret(body.as_bytes(), "up", ignore);
            match (&got, &want) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{what}"),
                (Err(e), Err(fragment)) => assert!(e.contains(fragment), "{what}: {e}"),
                _ => panic!("{what}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn error_detail_reads_prometheus_errors() {
        let body = br#"{"status":"error","errorType":"bad_data","error":"parse error at char 4"}"#;
        assert_eq!(error_detail(body).as_deref(), Some("parse error at char 4"));
        assert_eq!(error_detail(b"oops"), None);
    }
}
