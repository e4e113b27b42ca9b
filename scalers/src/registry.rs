//! From a trigger's type to its scaler.

use std::sync::Arc;

use crate::connections::Connections;
use crate::context::TriggerContext;
use crate::error::BuildError;
use crate::scaler::Scaler;

/// Every trigger type this build can poll, sorted.
pub const KNOWN_TYPES: &[&str] = &[
    "cron",
    "mysql",
    "prometheus",
    "redis",
    "redis-cluster",
    "redis-sentinel",
    "timetable",
];

/// Builds the scaler for a trigger: a pure step that checks every parameter and opens nothing;
/// connections are made (and shared) on first query.
pub fn build(
    ctx: &TriggerContext,
    connections: &Arc<Connections>,
) -> Result<Box<dyn Scaler>, BuildError> {
    let scaler: Box<dyn Scaler> = match ctx.trigger_type.as_str() {
        "prometheus" => crate::prometheus::build(ctx, connections)?,
        "redis" | "redis-cluster" | "redis-sentinel" => crate::redis::build(ctx, connections)?,
        "mysql" => crate::mysql::build(ctx, connections)?,
        "cron" => crate::cron::build(ctx, connections)?,
        "timetable" => crate::timetable::build(ctx, connections)?,
        other => {
            return Err(BuildError::UnknownType {
                trigger_type: other.to_string(),
                known: KNOWN_TYPES.to_vec(),
            });
        }
    };
    Ok(scaler)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_type_names_the_known_ones() {
        let err = build(
            &TriggerContext::new("rabbitmq-typo", 0),
            &Connections::new(crate::scaler::DEFAULT_TIMEOUT),
        )
        .err()
        .expect("unknown type must fail");
        assert_eq!(
            err.to_string(),
            "no scaler found for type \"rabbitmq-typo\"; known types: cron, mysql, prometheus, \
             redis, redis-cluster, redis-sentinel, timetable"
        );
    }

    #[test]
    fn known_types_are_sorted() {
        let mut sorted = KNOWN_TYPES.to_vec();
        sorted.sort();
        assert_eq!(sorted, KNOWN_TYPES);
    }
}
