//! The `prometheus` scaler: one PromQL instant query per poll (KEDA `prometheus_scaler.go`).

mod client;
pub mod metadata;
pub mod response;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Client;

use crate::auth::Credential;
use crate::connections::Connections;
use crate::context::TriggerContext;
use crate::error::{ParamProblem, ParseError, ScalerError, with_causes};
use crate::metric_name;
use crate::quantity::MilliQuantity;
use crate::redact::Redactor;
use crate::scaler::{self, MetricSpec, Reading, Scaler};
pub use metadata::PrometheusMetadata;
use response::Answer;

const SCALER: &str = "prometheus";

pub struct PrometheusScaler {
    metadata: PrometheusMetadata,
    client: Client,
    specs: Vec<MetricSpec>,
    timeout: Duration,
    redactor: Redactor,
}

pub fn build(
    ctx: &TriggerContext,
    connections: &Arc<Connections>,
) -> Result<Box<dyn Scaler>, ParseError> {
    let metadata = metadata::parse(ctx)?;
    let client = client::shared_client(connections, &metadata.auth, metadata.unsafe_ssl).map_err(
        |message| ParseError {
            trigger_type: ctx.trigger_type.clone(),
            problems: vec![ParamProblem::Other(message)],
        },
    )?;
    let mut secrets = ctx.secret_values();
    secrets.extend(metadata.server_address.password().map(str::to_string));
    Ok(Box::new(PrometheusScaler {
        specs: vec![MetricSpec {
            name: metric_name::with_index(ctx.index, "prometheus"),
            target: MilliQuantity::from_f64(metadata.threshold),
            metric_type: ctx.metric_type,
        }],
        timeout: metadata.timeout.unwrap_or(connections.default_timeout()),
        metadata,
        client,
        redactor: Redactor::new(secrets),
    }))
}

impl PrometheusScaler {
    /// `GET <serverAddress>/api/v1/query?query=..&time=..[&namespace=..][&<queryParameters>]`.
    fn query_url(&self, now: DateTime<Utc>) -> url::Url {
        let md = &self.metadata;
        let mut url = md.server_address.clone();
        let path = format!("{}/api/v1/query", url.path().trim_end_matches('/'));
        url.set_path(&path);
        {
            let mut query = url.query_pairs_mut();
            query.append_pair("query", &md.query);
            // KEDA truncates to the second, which can miss a sample scraped within the last
            // second; milliseconds cost nothing and keep the value as fresh as the source.
            query.append_pair("time", &now.to_rfc3339_opts(SecondsFormat::Millis, true));
            if let Some(namespace) = &md.namespace {
                query.append_pair("namespace", namespace);
            }
            for (k, v) in &md.query_parameters {
                query.append_pair(k, v);
            }
        }
        url
    }

    async fn query(&self, now: DateTime<Utc>) -> Result<Answer, ScalerError> {
        let md = &self.metadata;
        let mut request = self.client.get(self.query_url(now));
        for (name, value) in &md.custom_headers {
            request = request.header(name, value);
        }
        if let Some((name, value)) = &md.auth.custom_header {
            request = request.header(name, value);
        }
        request = match &md.auth.credential {
            Some(Credential::Bearer(token)) => request.bearer_auth(token),
            Some(Credential::Basic { username, password }) => {
                request.basic_auth(username, Some(password))
            }
            None => request,
        };
        let response = request.send().await.map_err(|e| ScalerError::Connection {
            scaler: SCALER,
            message: self.redactor.scrub(&with_causes(&e.without_url())),
        })?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| ScalerError::Connection {
                scaler: SCALER,
                message: self.redactor.scrub(&with_causes(&e.without_url())),
            })?;
        let fail = |message: String| ScalerError::Query {
            scaler: SCALER,
            message: self.redactor.scrub(&message),
        };
        if !status.is_success() {
            let detail = response::error_detail(&body)
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            return Err(fail(format!(
                "prometheus query api returned error. status: {}{detail}",
                status.as_u16()
            )));
        }
        response::interpret(&body, &md.query, md.ignore_null_values).map_err(fail)
    }
}

#[async_trait]
impl Scaler for PrometheusScaler {
    fn trigger_type(&self) -> &'static str {
        SCALER
    }

    fn metric_specs(&self) -> &[MetricSpec] {
        &self.specs
    }

    async fn metrics_and_activity(
        &self,
        metric_name: &str,
        now: DateTime<Utc>,
    ) -> Result<Reading, ScalerError> {
        scaler::check_metric_name(SCALER, &self.specs, metric_name)?;
        let answer = scaler::with_timeout(SCALER, self.timeout, self.query(now)).await?;
        let raw = match answer {
            Answer::Value(v) => v,
            Answer::Empty => 0.0,
        };
        Ok(Reading::above(raw, self.metadata.activation_threshold))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn scaler(metadata: &[(&str, &str)]) -> PrometheusScaler {
        let ctx = TriggerContext::new("prometheus", 2).with_metadata(metadata.iter().copied());
        let metadata = metadata::parse(&ctx).unwrap();
        PrometheusScaler {
            client: Client::new(),
            specs: vec![],
            timeout: Duration::from_secs(1),
            metadata,
            redactor: Redactor::default(),
        }
    }

    #[test]
    fn query_url_carries_query_time_namespace_and_parameters() {
        let s = scaler(&[
            ("serverAddress", "http://prom.monitoring:9090/prefix/"),
            ("query", "sum(rate(x{a=\"b\"}[2m]))"),
            ("threshold", "1"),
            ("namespace", "team-a"),
            ("queryParameters", "dedup=true,partial_response=false"),
        ]);
        let now = Utc.with_ymd_and_hms(2026, 11, 27, 8, 30, 0).unwrap();
        assert_eq!(
            s.query_url(now).as_str(),
            "http://prom.monitoring:9090/prefix/api/v1/query?\
             query=sum%28rate%28x%7Ba%3D%22b%22%7D%5B2m%5D%29%29&time=2026-11-27T08%3A30%3A00.000Z\
             &namespace=team-a&dedup=true&partial_response=false"
        );
    }

    #[test]
    fn metric_spec_follows_keda() {
        let ctx = TriggerContext::new("prometheus", 2).with_metadata([
            ("serverAddress", "http://p:9090"),
            ("query", "up"),
            ("threshold", "2.5"),
        ]);
        let built = build(&ctx, &Connections::new(scaler::DEFAULT_TIMEOUT)).unwrap();
        let spec = &built.metric_specs()[0];
        assert_eq!(spec.name, "s2-prometheus");
        assert_eq!(spec.target.to_string(), "2500m");
    }

    #[test]
    fn bad_ca_is_a_build_error_without_the_pem() {
        let ctx = TriggerContext::new("prometheus", 0)
            .with_metadata([
                ("serverAddress", "https://p:9090"),
                ("query", "up"),
                ("threshold", "1"),
            ])
            .with_auth_params([("ca", "not-a-pem-SECRETISH")]);
        let err = build(&ctx, &Connections::new(scaler::DEFAULT_TIMEOUT))
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("parameter \"ca\" is invalid"), "{err}");
        assert!(!err.contains("SECRETISH"), "{err}");
    }
}
