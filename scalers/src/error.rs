//! Typed errors: a trigger that cannot be built ([`BuildError`]), and a query that failed
//! ([`ScalerError`]). Neither ever carries a secret value.

use std::fmt;
use std::time::Duration;

use crate::params::Source;

/// One thing wrong with a trigger's parameters.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamProblem {
    #[error("missing required parameter \"{key}\" in [{}]", join_sources(.sources))]
    Missing { key: String, sources: Vec<Source> },
    #[error("parameter \"{key}\" value \"{value}\" is invalid: expected {expected}")]
    Invalid {
        key: String,
        /// The value as given, or `<redacted>` when it came from a secret.
        value: String,
        expected: String,
    },
    #[error("{0}")]
    Other(String),
}

fn join_sources(sources: &[Source]) -> String {
    sources
        .iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A trigger's parameters did not make sense; every problem found is listed.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    pub trigger_type: String,
    pub problems: Vec<ParamProblem>,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error parsing {} metadata: ", self.trigger_type)?;
        for (i, problem) in self.problems.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

/// Why a trigger could not become a scaler.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum BuildError {
    #[error("no scaler found for type \"{trigger_type}\"; known types: {}", .known.join(", "))]
    UnknownType {
        trigger_type: String,
        known: Vec<&'static str>,
    },
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// A query to an event source failed. Messages are scrubbed of secrets by the scaler that made
/// them.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScalerError {
    #[error("{scaler}: no answer within {}ms", .after.as_millis())]
    Timeout {
        scaler: &'static str,
        after: Duration,
    },
    #[error("{scaler}: connection failed: {message}")]
    Connection {
        scaler: &'static str,
        message: String,
    },
    #[error("{scaler}: {message}")]
    Query {
        scaler: &'static str,
        message: String,
    },
    #[error("{scaler}: no metric named \"{metric}\"")]
    UnknownMetric {
        scaler: &'static str,
        metric: String,
    },
}

/// An error and its causes on one line (`error sending request: tcp connect error: Connection
/// refused`): client libraries often put the useful part in a source, not the top message.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn causes_are_joined_once() {
        let e = Outer(std::io::Error::other("inner reason"));
        assert_eq!(with_causes(&e), "outer: inner reason");
    }
}
