//! The `?param=value&...` part of a go-sql-driver DSN.
//!
//! What each parameter does here, and why:
//! - `tls` (`true`/`false`/`skip-verify`/`preferred`, booleans as the driver reads them),
//!   `allowFallbackToPlaintext` and `allowCleartextPasswords` change how we connect: honoured.
//! - Options that only shape result decoding or client-side behaviour a single numeric query never
//!   exercises (`charset`, `collation`, `parseTime`, `loc`, `interpolateParams`, ...) are checked
//!   for the driver's syntax and otherwise ignored, so strings that work with KEDA keep working.
//! - `timeout`, `readTimeout`, `writeTimeout` are checked and ignored: the scaler's own timeout
//!   already bounds connecting and querying together.
//! - Options whose meaning we cannot provide are refused with a clear message rather than
//!   silently weakened: `serverPubKey`, `allowNativePasswords=false`, a custom (registered) `tls`
//!   config name.
//! - Anything else is a system variable, as in the driver: sent as `SET name=value` after
//!   connecting (an unknown one fails at connect time with the server's message).

use super::dsn::{Dsn, Tls};

/// Driver options validated as booleans and otherwise ignored.
const IGNORED_BOOLS: &[&str] = &[
    "allowAllFiles",
    "allowOldPasswords",
    "checkConnLiveness",
    "clientFoundRows",
    "columnsWithAlias",
    "compress",
    "interpolateParams",
    "multiStatements",
    "parseTime",
    "rejectReadOnly",
];
/// Driver options validated as durations and otherwise ignored.
const IGNORED_DURATIONS: &[&str] = &["timeout", "readTimeout", "writeTimeout", "timeTruncate"];
/// Driver options with free-form values, ignored.
const IGNORED_TEXT: &[&str] = &[
    "charset",
    "collation",
    "loc",
    "maxAllowedPacket",
    "connectionAttributes",
];

/// Applies `a=1&b=2` to `dsn`. Items without `=` are skipped, as the driver does.
pub(crate) fn apply(dsn: &mut Dsn, params: &str) -> Result<(), String> {
    for item in params.split('&') {
        let Some((key, value)) = item.split_once('=') else {
            continue;
        };
        apply_one(dsn, key, value).map_err(|e| format!("parameter \"{key}\": {e}"))?;
    }
    Ok(())
}

fn apply_one(dsn: &mut Dsn, key: &str, value: &str) -> Result<(), String> {
    match key {
        "tls" => apply_tls(dsn, value)?,
        "allowFallbackToPlaintext" => dsn.plaintext_fallback = go_bool(value)?,
        "allowCleartextPasswords" => dsn.cleartext_passwords = go_bool(value)?,
        "allowNativePasswords" => {
            if !go_bool(value)? {
                return Err("allowNativePasswords=false is not supported".to_string());
            }
        }
        "serverPubKey" => {
            return Err("registered server public keys are not supported; use tls=true".into());
        }
        k if IGNORED_BOOLS.contains(&k) => {
            go_bool(value)?;
        }
        k if IGNORED_DURATIONS.contains(&k) => {
            crate::convert::duration(value).map_err(|e| format!("expected {e}"))?;
        }
        k if IGNORED_TEXT.contains(&k) => {}
        name => {
            if !is_variable_name(name) {
                return Err("is neither a driver option nor a system variable name".to_string());
            }
            dsn.system_vars
                .push((name.to_string(), unescape(value, true)?));
        }
    }
    Ok(())
}

/// The driver's `tls` values. `preferred` is skip-verify with a plaintext fallback, exactly as
/// the driver defines it.
fn apply_tls(dsn: &mut Dsn, value: &str) -> Result<(), String> {
    match go_bool(value) {
        Ok(true) => dsn.tls = Tls::Verify,
        Ok(false) => dsn.tls = Tls::Off,
        Err(_) => match value.to_ascii_lowercase().as_str() {
            "skip-verify" => dsn.tls = Tls::SkipVerify,
            "preferred" => {
                dsn.tls = Tls::SkipVerify;
                dsn.plaintext_fallback = true;
            }
            _ => {
                return Err(format!(
                    "value \"{value}\" is not one of true, false, skip-verify, preferred \
                     (registered TLS configs are not supported)"
                ));
            }
        },
    }
    Ok(())
}

/// The driver's `readBool`: narrower than Go's `ParseBool`.
fn go_bool(value: &str) -> Result<bool, String> {
    match value {
        "1" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!(
            "value \"{value}\" is not a boolean (true or false)"
        )),
    }
}

fn is_variable_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '@')
}

/// Go's `url.PathUnescape` (or `QueryUnescape` with `plus_as_space`).
pub(crate) fn unescape(text: &str, plus_as_space: bool) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                    .ok_or("invalid %-escape")?;
                out.push(hex);
                i += 3;
            }
            b'+' if plus_as_space => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).map_err(|_| "not valid UTF-8 once unescaped".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mysql::dsn::parse;

    #[test]
    fn accepted() {
        // (params, tls, plaintext fallback, cleartext passwords, system variables)
        type Row = (
            &'static str,
            Tls,
            bool,
            bool,
            Vec<(&'static str, &'static str)>,
        );
        let cases: Vec<Row> = vec![
            // no parameters
            ("", Tls::Off, false, false, vec![]),
            // tls=true verifies
            ("tls=true", Tls::Verify, false, false, vec![]),
            // the driver's boolean spellings
            ("tls=1", Tls::Verify, false, false, vec![]),
            ("tls=False", Tls::Off, false, false, vec![]),
            // skip-verify, case-insensitive like the driver
            ("tls=Skip-Verify", Tls::SkipVerify, false, false, vec![]),
            // preferred = skip-verify that may fall back to plaintext
            ("tls=preferred", Tls::SkipVerify, true, false, vec![]),
            // verified TLS that may fall back
            (
                "tls=true&allowFallbackToPlaintext=true",
                Tls::Verify,
                true,
                false,
                vec![],
            ),
            // cleartext passwords (e.g. for PAM/LDAP auth)
            ("allowCleartextPasswords=1", Tls::Off, false, true, vec![]),
            // harmless options are ignored
            (
                "charset=utf8mb4&parseTime=true&loc=Local&timeout=5s&readTimeout=1m",
                Tls::Off,
                false,
                false,
                vec![],
            ),
            // items without '=' are skipped, as the driver does
            ("junk&tls=true", Tls::Verify, false, false, vec![]),
            // unknown names are system variables, values query-unescaped
            (
                "sql_mode=%27ANSI%27&time_zone=%27%2B00:00%27",
                Tls::Off,
                false,
                false,
                vec![("sql_mode", "'ANSI'"), ("time_zone", "'+00:00'")],
            ),
        ];
        for (params, tls, fallback, cleartext, vars) in cases {
            let dsn = parse(&format!("u:p@tcp(h)/d?{params}"))
                .unwrap_or_else(|e| panic!("{params}: {e}"));
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(
                (
                    dsn.tls,
                    dsn.plaintext_fallback,
                    dsn.cleartext_passwords,
                    dsn.system_vars
                ),
                (tls, fallback, cleartext, vars),
                "{params}"
            );
        }
    }

    #[test]
    fn refused() {
        let cases: &[(&str, &str)] = &[
            // a registered TLS config cannot exist here
            ("tls=custom", "registered TLS configs are not supported"),
            // booleans are checked even when ignored
            (
                "parseTime=yes",
                "parameter \"parseTime\": value \"yes\" is not a boolean",
            ),
            // durations are checked even when ignored
            ("timeout=5x", "parameter \"timeout\": expected a duration"),
            // meaning we cannot honour
            ("serverPubKey=mykey", "not supported"),
            ("allowNativePasswords=false", "not supported"),
            // not a variable name
            ("a b=1", "neither a driver option nor a system variable"),
            // bad escape in a system variable value
            ("sql_mode=%G1", "invalid %-escape"),
        ];
        for (params, want) in cases {
            let err = parse(&format!("u:secret@tcp(h)/d?{params}")).expect_err(params);
            assert!(err.contains(want), "{params}: {err}");
            assert!(!err.contains("secret"), "{params}: {err}");
        }
    }

    #[test]
    fn unescaping() {
        assert_eq!(unescape("a%20b+c", false).unwrap(), "a b+c");
        assert_eq!(unescape("a%20b+c", true).unwrap(), "a b c");
        assert!(unescape("%2", false).is_err());
        assert!(unescape("%ff", false).is_err(), "invalid UTF-8");
    }
}
