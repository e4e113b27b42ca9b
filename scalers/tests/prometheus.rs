//! The prometheus scaler against a real Prometheus (series put in through the pushgateway it
//! scrapes), and against a recording server to see exactly what goes over the wire.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use kedars_scalers::{Connections, Scaler, ScalerError, TriggerContext, build};
use support::http::Recorder;
use support::{Proxy, service, unique};

fn prometheus() -> String {
    service("KEDARS_TEST_PROMETHEUS", "http://127.0.0.1:19090")
}
fn pushgateway() -> String {
    service("KEDARS_TEST_PUSHGATEWAY", "http://127.0.0.1:19091")
}

fn trigger(server: &str, query: &str, extra: &[(&str, &str)]) -> TriggerContext {
    TriggerContext::new("prometheus", 0)
        .with_metadata([
            ("serverAddress", server),
            ("query", query),
            ("threshold", "10"),
        ])
        .with_metadata(extra.iter().copied())
}

async fn read(scaler: &dyn Scaler) -> Result<(f64, bool), ScalerError> {
    let name = scaler.metric_specs()[0].name.clone();
    scaler
        .metrics_and_activity(&name, Utc::now())
        .await
        .map(|r| (r.value.as_f64(), r.active))
}

/// Pushes `metric value` for `job`/`instance` and waits until Prometheus has scraped it.
async fn push(job: &str, instance: &str, metric: &str, value: f64) {
    let http = reqwest::Client::new();
    let url = format!("{}/metrics/job/{job}/instance/{instance}", pushgateway());
    let response = http
        .put(url)
        .body(format!("# TYPE {metric} gauge\n{metric} {value}\n"))
        .send()
        .await
        .expect("pushgateway reachable");
    assert!(
        response.status().is_success(),
        "push failed: {}",
        response.status()
    );
    let query = format!("{metric}{{job=\"{job}\",instance=\"{instance}\"}}");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let body: serde_json::Value = http
            .get(format!("{}/api/v1/query", prometheus()))
            .query(&[("query", query.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let seen = body
            .pointer("/data/result/0/value/1")
            .and_then(|v| v.as_str());
        if seen.and_then(|v| v.parse::<f64>().ok()) == Some(value) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "Prometheus never scraped {query}: {body}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn built(ctx: &TriggerContext, connections: &Arc<Connections>) -> Box<dyn Scaler> {
    kedars_scalers::tls::install_crypto_provider();
    build(ctx, connections).unwrap()
}

#[tokio::test]
async fn known_series_empty_results_and_several_series() {
    kedars_scalers::tls::install_crypto_provider();
    let job = unique("job").replace('-', "_");
    push(&job, "a", "kedars_test_queue_depth", 42.0).await;
    let connections = Connections::new(Duration::from_secs(3));

    let one = format!("sum(kedars_test_queue_depth{{job=\"{job}\"}})");
    let s = built(
        &trigger(&prometheus(), &one, &[("activationThreshold", "41.5")]),
        &connections,
    );
    assert_eq!(
        read(s.as_ref()).await.unwrap(),
        (42.0, true),
        "a known series"
    );

    let s = built(
        &trigger(&prometheus(), &one, &[("activationThreshold", "42")]),
        &connections,
    );
    assert_eq!(
        read(s.as_ref()).await.unwrap(),
        (42.0, false),
        "active only above the threshold"
    );

    let nothing = format!("kedars_test_queue_depth{{job=\"{job}-absent\"}}");
    let s = built(&trigger(&prometheus(), &nothing, &[]), &connections);
    assert_eq!(
        read(s.as_ref()).await.unwrap(),
        (0.0, false),
        "no data with ignoreNullValues"
    );
    let s = built(
        &trigger(&prometheus(), &nothing, &[("ignoreNullValues", "false")]),
        &connections,
    );
    let err = read(s.as_ref()).await.unwrap_err().to_string();
    assert!(err.contains("the result is empty"), "{err}");

    push(&job, "b", "kedars_test_queue_depth", 7.0).await;
    let both = format!("kedars_test_queue_depth{{job=\"{job}\"}}");
    let s = built(&trigger(&prometheus(), &both, &[]), &connections);
    let err = read(s.as_ref()).await.unwrap_err().to_string();
    assert!(err.contains("returned multiple elements"), "{err}");

    let s = built(&trigger(&prometheus(), "sum(rate(", &[]), &connections);
    let err = read(s.as_ref()).await.unwrap_err().to_string();
    assert!(
        err.contains("prometheus query api returned error. status: 400"),
        "{err}"
    );
    assert_eq!(
        connections.endpoint_counts().http,
        1,
        "one client for every plain trigger"
    );
}

#[tokio::test]
async fn nan_results_follow_ignore_null_values() {
    let connections = Connections::new(Duration::from_secs(3));
    let s = built(&trigger(&prometheus(), "vector(NaN)", &[]), &connections);
    assert_eq!(read(s.as_ref()).await.unwrap(), (0.0, false));
    let s = built(
        &trigger(
            &prometheus(),
            "vector(NaN)",
            &[("ignoreNullValues", "false")],
        ),
        &connections,
    );
    assert!(
        read(s.as_ref())
            .await
            .unwrap_err()
            .to_string()
            .contains("returns NaN")
    );
}

#[tokio::test]
async fn auth_headers_namespace_and_parameters_go_over_the_wire() {
    let body = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"3"]}]}}"#;
    let server = Recorder::start(200, body).await;
    let connections = Connections::new(Duration::from_secs(3));
    let cases: Vec<(&str, TriggerContext, Vec<&str>)> = vec![
        (
            "bearer",
            trigger(&server.base_url, "up", &[])
                .with_auth_params([("authModes", "bearer"), ("bearerToken", "tok-123")]),
            vec!["authorization: Bearer tok-123"],
        ),
        (
            "basic",
            trigger(&server.base_url, "up", &[]).with_auth_params([
                ("authModes", "basic"),
                ("username", "u"),
                ("password", "p"),
            ]),
            vec!["authorization: Basic dTpw"],
        ),
        (
            "custom header and custom headers",
            trigger(
                &server.base_url,
                "up",
                &[("customHeaders", "X-Scope-OrgID=team-a")],
            )
            .with_auth_params([
                ("authModes", "custom"),
                ("customAuthHeader", "X-Api-Key"),
                ("customAuthValue", "k-9"),
            ]),
            vec!["x-api-key: k-9", "x-scope-orgid: team-a"],
        ),
        (
            "namespace and query parameters",
            trigger(
                &server.base_url,
                "up",
                &[("namespace", "ns1"), ("queryParameters", "dedup=true")],
            ),
            vec![
                "GET /api/v1/query?query=up&time=",
                "&namespace=ns1&dedup=true HTTP/1.1",
            ],
        ),
    ];
    for (what, ctx, wanted) in cases {
        let s = built(&ctx, &connections);
        assert_eq!(read(s.as_ref()).await.unwrap(), (3.0, true), "{what}");
        let head = server.requests().pop().unwrap().to_lowercase();
        for want in wanted {
            assert!(
                head.contains(&want.to_lowercase()),
                "{what}: {want} not in\n{head}"
            );
        }
    }
}

#[tokio::test]
async fn server_errors_are_reported_with_prometheus_reason() {
    let server = Recorder::start(503, r#"{"status":"error","error":"too busy"}"#).await;
    let connections = Connections::new(Duration::from_secs(3));
    let s = built(&trigger(&server.base_url, "up", &[]), &connections);
    let err = read(s.as_ref()).await.unwrap_err().to_string();
    assert_eq!(
        err,
        "prometheus: prometheus query api returned error. status: 503: too busy"
    );
}

#[tokio::test]
async fn outage_costs_one_timeout_and_recovery_is_automatic() {
    let upstream = prometheus().trim_start_matches("http://").to_string();
    let mut proxy = Proxy::start(&upstream).await;
    let connections = Connections::new(Duration::from_secs(3));
    let ctx = trigger(
        &format!("http://{}", proxy.addr),
        "vector(5)",
        &[("timeout", "700ms")],
    );
    let s = built(&ctx, &connections);
    assert_eq!(read(s.as_ref()).await.unwrap(), (5.0, true));

    proxy.cut().await;
    let err = read(s.as_ref()).await.unwrap_err();
    assert!(matches!(err, ScalerError::Connection { .. }), "{err:?}");

    proxy.hang().await;
    let started = Instant::now();
    let err = read(s.as_ref()).await.unwrap_err();
    assert!(matches!(err, ScalerError::Timeout { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_millis(1500),
        "took {:?}",
        started.elapsed()
    );

    proxy.restore().await;
    assert_eq!(read(s.as_ref()).await.unwrap(), (5.0, true));
}

#[tokio::test]
async fn credentials_in_the_server_address_never_appear_in_errors() {
    let connections = Connections::new(Duration::from_millis(500));
    // Nothing listens on port 9 (discard) here: the connection is refused.
    let ctx = trigger("http://admin:hunter22@127.0.0.1:9", "up", &[]);
    let s = built(&ctx, &connections);
    let err = read(s.as_ref()).await.unwrap_err().to_string();
    assert!(!err.contains("hunter22"), "{err}");
}
