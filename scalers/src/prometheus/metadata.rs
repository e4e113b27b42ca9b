//! The prometheus trigger's parameters (KEDA `prometheus_scaler.go`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::auth::{self, HttpAuth};
use crate::context::TriggerContext;
use crate::error::ParseError;
use crate::params::{Key, METADATA, Params, Source};

const SERVER_ADDRESS: Key = Key::new(&["serverAddress"], METADATA);
const QUERY: Key = Key::new(&["query"], METADATA);
const THRESHOLD: Key = Key::new(&["threshold"], METADATA);
const ACTIVATION_THRESHOLD: Key = Key::new(&["activationThreshold"], METADATA);
const QUERY_PARAMETERS: Key = Key::new(&["queryParameters"], METADATA);
const NAMESPACE: Key = Key::new(&["namespace"], METADATA);
const CUSTOM_HEADERS: Key = Key::new(&["customHeaders"], METADATA);
const IGNORE_NULL_VALUES: Key = Key::new(&["ignoreNullValues"], METADATA);
const UNSAFE_SSL: Key = Key::new(&["unsafeSsl"], METADATA);
const TIMEOUT: Key = Key::new(&["timeout"], METADATA);
/// Cloud identity keys: recognised so that using one is a clear error, not silence.
const AWS_REGION: Key = Key::new(&["awsRegion"], &[Source::Metadata, Source::Auth]);
const AZURE_RESOURCE: Key = Key::new(&["azureManagedPrometheusResourceURL"], METADATA);

#[derive(Debug, Clone, PartialEq)]
pub struct PrometheusMetadata {
    pub server_address: url::Url,
    pub query: String,
    pub threshold: f64,
    pub activation_threshold: f64,
    pub query_parameters: BTreeMap<String, String>,
    pub namespace: Option<String>,
    pub custom_headers: BTreeMap<String, String>,
    pub ignore_null_values: bool,
    pub unsafe_ssl: bool,
    /// `None`: the process default (KEDA's `KEDA_HTTP_DEFAULT_TIMEOUT`).
    pub timeout: Option<Duration>,
    pub auth: HttpAuth,
}

pub fn parse(ctx: &TriggerContext) -> Result<PrometheusMetadata, ParseError> {
    let mut p = Params::new(ctx);
    let server_address = p.required_string(&SERVER_ADDRESS).and_then(|_| {
        p.parse(&SERVER_ADDRESS, |v| {
            url::Url::parse(v)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
                .ok_or_else(|| "an http:// or https:// URL such as http://prometheus:9090".into())
        })
    });
    let query = p.required_string(&QUERY);
    let threshold = p.required_float(&THRESHOLD);
    let activation_threshold = p.float(&ACTIVATION_THRESHOLD).unwrap_or(0.0);
    let query_parameters = p.map(&QUERY_PARAMETERS).unwrap_or_default();
    let namespace = p.string(&NAMESPACE);
    let custom_headers = p.map(&CUSTOM_HEADERS).unwrap_or_default();
    let ignore_null_values = p.bool(&IGNORE_NULL_VALUES).unwrap_or(true);
    let unsafe_ssl = p.bool(&UNSAFE_SSL).unwrap_or(false);
    let timeout = p.duration(&TIMEOUT);
    if timeout == Some(Duration::ZERO) {
        p.invalid(&TIMEOUT, "a duration greater than zero");
    }
    for cloud in [AWS_REGION, AZURE_RESOURCE] {
        if p.is_set(&cloud) {
            p.problem(format!(
                "parameter \"{}\" asks for cloud identity authentication, which kedars does not \
                 support yet",
                cloud.names[0]
            ));
        }
    }
    // KEDA accepts apiKey and oauth for prometheus but never applies them.
    let auth = auth::parse(&mut p, &["apiKey", "oauth"]);
    p.finish()?;
    Ok(PrometheusMetadata {
        server_address: server_address.expect("checked by finish"),
        query: query.expect("checked by finish"),
        threshold: threshold.expect("checked by finish"),
        activation_threshold,
        query_parameters,
        namespace,
        custom_headers,
        ignore_null_values,
        unsafe_ssl,
        timeout,
        auth,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(metadata: &[(&str, &str)]) -> TriggerContext {
        TriggerContext::new("prometheus", 0).with_metadata(metadata.iter().copied())
    }

    const BASE: &[(&str, &str)] = &[
        ("serverAddress", "http://localhost:9090"),
        ("query", "sum(rate(http_requests_total[2m]))"),
        ("threshold", "100"),
    ];

    fn with(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut all = BASE.to_vec();
        all.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
        all.extend_from_slice(extra);
        all
    }

    #[test]
    fn parse_table() {
        type Row = (
            &'static str,
            Vec<(&'static str, &'static str)>,
            Result<(), &'static str>,
        );
        let cases: Vec<Row> = vec![
            ("the documented minimal trigger", with(&[]), Ok(())),
            (
                "activation threshold as float",
                with(&[("activationThreshold", "2.5")]),
                Ok(()),
            ),
            (
                "threshold in exponent form",
                with(&[("threshold", "1e3")]),
                Ok(()),
            ),
            (
                "query parameters map",
                with(&[("queryParameters", "key-1=value-1,key-2=value-2")]),
                Ok(()),
            ),
            (
                "custom headers map",
                with(&[("customHeaders", "X-Client-Id=cid,X-Tenant-Id=tid")]),
                Ok(()),
            ),
            (
                "timeout as Go duration",
                with(&[("timeout", "500ms")]),
                Ok(()),
            ),
            (
                "timeout as milliseconds",
                with(&[("timeout", "1000")]),
                Ok(()),
            ),
            (
                "missing serverAddress",
                vec![("query", "up"), ("threshold", "1")],
                Err("missing required parameter \"serverAddress\""),
            ),
            (
                "serverAddress not a URL",
                with(&[("serverAddress", "localhost:9090")]),
                Err("parameter \"serverAddress\" value \"localhost:9090\" is invalid"),
            ),
            (
                "missing query",
                vec![("serverAddress", "http://p:9090"), ("threshold", "1")],
                Err("missing required parameter \"query\""),
            ),
            (
                "missing threshold",
                vec![("serverAddress", "http://p:9090"), ("query", "up")],
                Err("missing required parameter \"threshold\""),
            ),
            (
                "threshold not a number",
                with(&[("threshold", "lots")]),
                Err("parameter \"threshold\" value \"lots\" is invalid: expected a number"),
            ),
            (
                "activation threshold not a number",
                with(&[("activationThreshold", "x")]),
                Err("\"activationThreshold\" value \"x\""),
            ),
            (
                "ignoreNullValues not a bool",
                with(&[("ignoreNullValues", "yes")]),
                Err("\"ignoreNullValues\" value \"yes\" is invalid: expected a boolean"),
            ),
            (
                "unsafeSsl not a bool",
                with(&[("unsafeSsl", "sure")]),
                Err("\"unsafeSsl\" value \"sure\""),
            ),
            (
                "queryParameters malformed",
                with(&[("queryParameters", "a=1,b")]),
                Err("\"queryParameters\" value \"a=1,b\""),
            ),
            (
                "negative timeout",
                with(&[("timeout", "-5")]),
                Err("\"timeout\" value \"-5\""),
            ),
            (
                "zero timeout",
                with(&[("timeout", "0")]),
                Err("greater than zero"),
            ),
            (
                "AWS SigV4 is not supported yet",
                with(&[("awsRegion", "eu-west-1")]),
                Err("\"awsRegion\" asks for cloud identity"),
            ),
            (
                "all problems reported at once",
                vec![("threshold", "x")],
                Err("missing required parameter \"serverAddress\""),
            ),
        ];
        for (what, metadata, want) in cases {
            match (parse(&ctx(&metadata)), want) {
                (Ok(_), Ok(())) => {}
                (Err(e), Err(fragment)) => {
                    let e = e.to_string();
                    assert!(
                        e.starts_with("error parsing prometheus metadata: "),
                        "{what}: {e}"
                    );
                    assert!(e.contains(fragment), "{what}: {e}");
                }
                (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn defaults() {
        let m = parse(&ctx(BASE)).unwrap();
        assert!(
            m.ignore_null_values,
            "KEDA defaults ignoreNullValues to true"
        );
        assert!(!m.unsafe_ssl);
        assert_eq!(m.activation_threshold, 0.0);
        assert_eq!(m.timeout, None);
        assert_eq!(m.threshold, 100.0);
    }
}
