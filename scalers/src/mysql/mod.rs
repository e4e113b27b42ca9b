//! The `mysql` scaler: one SQL query per poll, its first column the metric (KEDA
//! `mysql_scaler.go`).
//!
//! Differences from KEDA, each deliberate (and tested):
//! - Building opens nothing (KEDA connects and pings); a trigger that says neither
//!   `connectionString` nor `host` is refused at parse time instead of failing at the ping.
//! - `port` and the DSN are checked at parse time; a bad one names the key (never a secret value).
//! - A pool per endpoint (address, credentials, database, TLS, session variables) is shared by
//!   every trigger that uses it (KEDA opens one `sql.DB` per trigger).

pub mod dsn;
mod dsn_params;
pub mod metadata;
mod opts;
mod query;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use mysql_async::{DriverError, Pool};

use crate::connections::Connections;
use crate::context::TriggerContext;
use crate::error::{ParseError, ScalerError};
use crate::metric_name;
use crate::quantity::MilliQuantity;
use crate::redact::Redactor;
use crate::scaler::{self, MetricSpec, Reading, Scaler};
pub use metadata::{MySqlMetadata, parse};
use query::Failure;

const SCALER: &str = "mysql";

pub struct MySqlScaler {
    specs: Vec<MetricSpec>,
    query: String,
    activation: f64,
    endpoint: Endpoint,
    timeout: Duration,
    redactor: Redactor,
}

/// The scaler's way to its server: the shared pool, and for `tls=preferred` or
/// `allowFallbackToPlaintext` the shared plaintext pool to use once the server turns out to
/// offer no TLS (mysql_async has no opportunistic mode of its own).
struct Endpoint {
    pool: Pool,
    address: String,
    fallback: Option<Fallback>,
}

struct Fallback {
    pool: Pool,
    /// Set once the server said it has no TLS; later queries go straight to plaintext.
    engaged: AtomicBool,
}

/// Builds the scaler: parses (no I/O) and fetches the shared pool, which connects lazily.
pub fn build(
    ctx: &TriggerContext,
    connections: &Arc<Connections>,
) -> Result<Box<dyn Scaler>, ParseError> {
    let metadata = parse(ctx)?;
    let mut secrets = ctx.secret_values();
    secrets.extend(metadata.secrets.iter().cloned());
    Ok(Box::new(MySqlScaler {
        specs: vec![MetricSpec {
            name: metric_name::with_index(ctx.index, &format!("mysql-{}", metadata.metric_db_name)),
            target: MilliQuantity::from_f64(metadata.query_value),
            metric_type: ctx.metric_type,
        }],
        endpoint: Endpoint::shared(&metadata.dsn, connections),
        query: metadata.query,
        activation: metadata.activation_query_value,
        timeout: connections.default_timeout(),
        redactor: Redactor::new(secrets),
    }))
}

impl Endpoint {
    fn shared(dsn: &dsn::Dsn, connections: &Connections) -> Endpoint {
        crate::tls::install_crypto_provider();
        let pool = |dsn: &dsn::Dsn| {
            connections
                .mysql
                .get_or_insert_with(&opts::identity(dsn), || Pool::new(opts::to_opts(dsn)))
        };
        let fallback = (dsn.plaintext_fallback && dsn.tls != dsn::Tls::Off).then(|| Fallback {
            pool: pool(&opts::plaintext(dsn)),
            engaged: AtomicBool::new(false),
        });
        let address = match &dsn.addr {
            dsn::Addr::Tcp { host, port } if host.contains(':') => format!("[{host}]:{port}"),
            dsn::Addr::Tcp { host, port } => format!("{host}:{port}"),
            dsn::Addr::Unix { path } => path.clone(),
        };
        Endpoint {
            pool: pool(dsn),
            address,
            fallback,
        }
    }

    async fn first_value(&self, query: &str) -> Result<f64, Failure> {
        let Some(fallback) = &self.fallback else {
            return query::first_value(&self.pool, query).await;
        };
        if fallback.engaged.load(Ordering::Relaxed) {
            return query::first_value(&fallback.pool, query).await;
        }
        match query::first_value(&self.pool, query).await {
            Err(Failure::Connect(mysql_async::Error::Driver(
                DriverError::NoClientSslFlagFromServer,
            ))) => {
                fallback.engaged.store(true, Ordering::Relaxed);
                query::first_value(&fallback.pool, query).await
            }
            other => other,
        }
    }
}

impl MySqlScaler {
    async fn query_value(&self) -> Result<f64, ScalerError> {
        self.endpoint
            .first_value(&self.query)
            .await
            .map_err(|failure| match failure {
                Failure::Connect(e) => ScalerError::Connection {
                    scaler: SCALER,
                    // mysql_async nests I/O errors under two identical labels.
                    message: self.redactor.scrub(
                        &format!("{}: {e}", self.endpoint.address).replace(
                            "Input/output error: Input/output error:",
                            "Input/output error:",
                        ),
                    ),
                },
                Failure::Query(message) => ScalerError::Query {
                    scaler: SCALER,
                    message: self
                        .redactor
                        .scrub(&format!("error inspecting MySQL: {message}")),
                },
            })
    }
}

#[async_trait]
impl Scaler for MySqlScaler {
    fn trigger_type(&self) -> &'static str {
        SCALER
    }

    fn metric_specs(&self) -> &[MetricSpec] {
        &self.specs
    }

    async fn metrics_and_activity(
        &self,
        metric_name: &str,
        _now: DateTime<Utc>,
    ) -> Result<Reading, ScalerError> {
        scaler::check_metric_name(SCALER, &self.specs, metric_name)?;
        let raw = scaler::with_timeout(SCALER, self.timeout, self.query_value()).await?;
        Ok(Reading::above(raw, self.activation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(index: usize) -> TriggerContext {
        TriggerContext::new("mysql", index)
            .with_metadata([("query", "SELECT 1"), ("queryValue", "4.4")])
    }

    #[test]
    fn metric_spec_follows_keda() {
        let cases: &[(&str, TriggerContext, &str, &str)] = &[
            (
                "KEDA's example: name from the DSN's database",
                ctx(0).with_auth_params([("connectionString", "u:p@tcp(mysql:3306)/stats_db")]),
                "s0-mysql-stats_db",
                "4400m",
            ),
            (
                "?params kept and normalised (KEDA's quirk)",
                ctx(2).with_auth_params([("connectionString", "u:p@tcp(h)/db?timeout=1.5s")]),
                "s2-mysql-db?timeout=1-5s",
                "4400m",
            ),
            (
                "dbName key without connectionString",
                ctx(1).with_metadata([("host", "h"), ("dbName", "my.db"), ("queryValue", "10")]),
                "s1-mysql-my-db",
                "10",
            ),
        ];
        let connections = Connections::new(scaler::DEFAULT_TIMEOUT);
        for (what, ctx, name, target) in cases {
            let built = build(ctx, &connections).unwrap_or_else(|e| panic!("{what}: {e}"));
            let spec = &built.metric_specs()[0];
            assert_eq!(
                (spec.name.as_str(), spec.target.to_string().as_str()),
                (*name, *target),
                "{what}"
            );
            assert_eq!(built.trigger_type(), "mysql");
        }
    }

    #[test]
    fn same_endpoint_shares_one_pool_without_a_runtime() {
        // Building is pure: no tokio runtime here, and nothing connects.
        let connections = Connections::new(scaler::DEFAULT_TIMEOUT);
        let a = ctx(0).with_auth_params([("connectionString", "u:p@tcp(h:3306)/d")]);
        let b = ctx(1)
            .with_metadata([("host", "h"), ("dbName", "d"), ("username", "u")])
            .with_auth_params([("password", "p")]);
        let c = ctx(2).with_auth_params([("connectionString", "u:other@tcp(h:3306)/d")]);
        for ctx in [a, b, c] {
            build(&ctx, &connections).unwrap();
        }
        assert_eq!(connections.endpoint_counts().mysql, 2);
    }

    #[test]
    fn preferred_tls_prepares_a_plaintext_fallback_pool() {
        let connections = Connections::new(scaler::DEFAULT_TIMEOUT);
        let ctx = ctx(0).with_auth_params([("connectionString", "u:p@tcp(h)/d?tls=preferred")]);
        build(&ctx, &connections).unwrap();
        assert_eq!(connections.endpoint_counts().mysql, 2);
    }
}
