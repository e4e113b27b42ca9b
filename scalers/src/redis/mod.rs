//! The `redis`, `redis-cluster` and `redis-sentinel` list scalers (KEDA `redis_scaler.go`): the
//! length of a list (or the size of a set, sorted set or hash) against `listLength`.

mod endpoint;
pub mod metadata;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::connections::Connections;
use crate::context::TriggerContext;
use crate::error::{ParseError, ScalerError, with_causes};
use crate::metric_name;
use crate::quantity::MilliQuantity;
use crate::redact::Redactor;
use crate::scaler::{self, MetricSpec, Reading, Scaler};
pub use endpoint::Endpoint;
pub use metadata::RedisMetadata;

const SCALER: &str = "redis";

/// The length of whatever collection the key holds, in one round trip; a missing key is an empty
/// list. Other types are an error, as in KEDA.
const LENGTH_SCRIPT: &str = r#"
local kind = redis.call('TYPE', KEYS[1])['ok']
if kind == 'list' or kind == 'none' then return redis.call('LLEN', KEYS[1]) end
if kind == 'set' then return redis.call('SCARD', KEYS[1]) end
if kind == 'zset' then return redis.call('ZCARD', KEYS[1]) end
if kind == 'hash' then return redis.call('HLEN', KEYS[1]) end
return redis.error_reply('ERR unsupported key type: ' .. kind)
"#;

pub struct RedisScaler {
    endpoint: Arc<Endpoint>,
    list_name: String,
    activation_list_length: i64,
    specs: Vec<MetricSpec>,
    timeout: Duration,
    script: redis::Script,
    redactor: Redactor,
}

pub fn build(
    ctx: &TriggerContext,
    connections: &Arc<Connections>,
) -> Result<Box<dyn Scaler>, ParseError> {
    let md = metadata::parse(ctx)?;
    let endpoint = connections
        .redis
        .get_or_insert_with(&Endpoint::identity(&md), || {
            Arc::new(Endpoint::new(md.clone()))
        });
    let mut secrets = ctx.secret_values();
    secrets.extend(md.password.clone());
    secrets.extend(md.sentinel.as_ref().and_then(|s| s.password.clone()));
    Ok(Box::new(RedisScaler {
        endpoint,
        specs: vec![MetricSpec {
            name: metric_name::with_index(ctx.index, &format!("redis-{}", md.list_name)),
            target: MilliQuantity::from_integer(md.list_length),
            metric_type: ctx.metric_type,
        }],
        list_name: md.list_name,
        activation_list_length: md.activation_list_length,
        timeout: connections.default_timeout(),
        script: redis::Script::new(LENGTH_SCRIPT),
        redactor: Redactor::new(secrets),
    }))
}

impl RedisScaler {
    async fn length(&self) -> Result<i64, ScalerError> {
        let connection_error = |e: redis::RedisError| ScalerError::Connection {
            scaler: SCALER,
            message: self.redactor.scrub(&with_causes(&e)),
        };
        let mut conn = self
            .endpoint
            .connection(self.timeout)
            .await
            .map_err(connection_error)?;
        match conn.run_script(&self.script, &self.list_name).await {
            Ok(length) => Ok(length),
            Err(e) if e.is_io_error() || e.is_connection_dropped() || e.is_timeout() => {
                self.endpoint.reset().await;
                Err(connection_error(e))
            }
            Err(e) => Err(ScalerError::Query {
                scaler: SCALER,
                message: self.redactor.scrub(&with_causes(&e)),
            }),
        }
    }
}

#[async_trait]
impl Scaler for RedisScaler {
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
        let result = scaler::with_timeout(SCALER, self.timeout, self.length()).await;
        if let Err(ScalerError::Timeout { .. }) = result {
            // A connection that hangs is as bad as one that failed: start afresh next time.
            self.endpoint.reset().await;
        }
        let length = result?;
        Ok(Reading {
            raw: length as f64,
            value: MilliQuantity::from_integer(length),
            active: length > self.activation_list_length,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_spec_follows_keda() {
        let ctx = TriggerContext::new("redis", 1).with_metadata([
            ("address", "redis:6379"),
            ("listName", "jobs.high:prio"),
            ("listLength", "10"),
        ]);
        let built = build(&ctx, &Connections::new(scaler::DEFAULT_TIMEOUT)).unwrap();
        let spec = &built.metric_specs()[0];
        assert_eq!(spec.name, "s1-redis-jobs-high-prio");
        assert_eq!(spec.target.to_string(), "10");
    }

    #[test]
    fn triggers_on_one_endpoint_share_it() {
        let connections = Connections::new(scaler::DEFAULT_TIMEOUT);
        for (i, list) in ["a", "b", "c"].iter().enumerate() {
            let ctx = TriggerContext::new("redis", i)
                .with_metadata([("address", "redis:6379"), ("listName", list)])
                .with_auth_params([("password", "same")]);
            build(&ctx, &connections).unwrap();
        }
        let other_password = TriggerContext::new("redis", 0)
            .with_metadata([("address", "redis:6379"), ("listName", "a")])
            .with_auth_params([("password", "different")]);
        build(&other_password, &connections).unwrap();
        assert_eq!(connections.endpoint_counts().redis, 2);
    }
}
