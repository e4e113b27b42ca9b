//! One query on a pooled connection, read as KEDA reads it: the first column of the first row,
//! scanned as a float.

use mysql_async::prelude::Queryable;
use mysql_async::{Pool, Row, Value};

/// Longest piece of a non-numeric result quoted in a message.
const QUOTE_LIMIT: usize = 64;

/// Why a query produced no value. Connecting and querying fail differently: a connection error
/// may mean "retry without TLS", and the scaler reports the two under different kinds.
#[derive(Debug)]
pub(crate) enum Failure {
    Connect(mysql_async::Error),
    Query(String),
}

/// Gets a connection from `pool` and runs `query`. Not bounded in time: the caller wraps it in
/// the scaler's timeout. Cancelling it is safe: mysql_async discards a connection dropped in the
/// middle of a query rather than pooling it (the stream is out of the connection while a packet
/// is awaited), so hung queries never pin pool slots; a test holds it to that.
pub(crate) async fn first_value(pool: &Pool, query: &str) -> Result<f64, Failure> {
    let mut conn = pool.get_conn().await.map_err(Failure::Connect)?;
    let row = conn
        .query_first::<Row, _>(query)
        .await
        .map_err(|e| Failure::Query(e.to_string()))?
        .ok_or_else(|| Failure::Query("the query returned no rows".to_string()))?;
    first_column(&row).map_err(Failure::Query)
}

fn first_column(row: &Row) -> Result<f64, String> {
    let value = row
        .as_ref(0)
        .ok_or_else(|| "the query returned a row without columns".to_string())?;
    let column = row
        .columns_ref()
        .first()
        .map(|c| c.name_str().into_owned())
        .unwrap_or_default();
    to_f64(value).map_err(|why| format!("column \"{column}\" of the first row: {why}"))
}

/// A value as Go's `database/sql` scans it into a float64: numbers as they are, text (how MySQL
/// sends every value of a plain query, decimals included) parsed as a float.
pub(crate) fn to_f64(value: &Value) -> Result<f64, String> {
    match value {
        Value::NULL => Err("NULL is not a number".to_string()),
        Value::Int(i) => Ok(*i as f64),
        Value::UInt(u) => Ok(*u as f64),
        Value::Float(f) => Ok(f64::from(*f)),
        Value::Double(d) => Ok(*d),
        Value::Bytes(bytes) => {
            let text = String::from_utf8_lossy(bytes);
            text.parse::<f64>()
                .map_err(|_| format!("\"{}\" is not a number", quote(&text)))
        }
        Value::Date(..) | Value::Time(..) => Err("a date or time is not a number".to_string()),
    }
}

fn quote(text: &str) -> String {
    match text.char_indices().nth(QUOTE_LIMIT) {
        Some((cut, _)) => format!("{}...", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_scan_like_database_sql() {
        let cases: &[(&str, Value, Result<f64, &str>)] = &[
            ("COUNT(*) as text", Value::Bytes(b"42".to_vec()), Ok(42.0)),
            ("DECIMAL as text", Value::Bytes(b"12.50".to_vec()), Ok(12.5)),
            ("exponent", Value::Bytes(b"1e3".to_vec()), Ok(1000.0)),
            (
                "negative (clamped later)",
                Value::Bytes(b"-3".to_vec()),
                Ok(-3.0),
            ),
            ("binary-protocol int", Value::Int(-7), Ok(-7.0)),
            ("unsigned", Value::UInt(7), Ok(7.0)),
            ("float", Value::Float(1.5), Ok(1.5)),
            ("double", Value::Double(2.25), Ok(2.25)),
            ("NULL", Value::NULL, Err("NULL is not a number")),
            (
                "text",
                Value::Bytes(b"abc".to_vec()),
                Err("\"abc\" is not a number"),
            ),
            (
                "empty text",
                Value::Bytes(Vec::new()),
                Err("\"\" is not a number"),
            ),
            (
                "date",
                Value::Date(2024, 1, 2, 0, 0, 0, 0),
                Err("a date or time is not a number"),
            ),
        ];
        for (what, value, want) in cases {
            let got = to_f64(value);
            match want {
                Ok(v) => assert_eq!(got, Ok(*v), "{what}"),
                Err(e) => assert_eq!(got.unwrap_err(), *e, "{what}"),
            }
        }
    }

    #[test]
    fn long_values_are_cut_in_messages() {
        let long = "x".repeat(200);
        let err = to_f64(&Value::Bytes(long.into_bytes())).unwrap_err();
        assert!(err.len() < 100, "{err}");
    }
}
