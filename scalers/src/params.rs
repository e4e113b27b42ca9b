//! KEDA's typed parameter lookup (§5.0): each key is looked for in a declared order of sources
//! (trigger metadata, the target's environment through `<key>FromEnv`, the TriggerAuthentication's
//! parameters); values are trimmed and an empty value counts as absent. Problems are collected, so
//! one error lists everything wrong with a trigger.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::context::TriggerContext;
use crate::convert;
use crate::error::{ParamProblem, ParseError};
use crate::redact::REDACTED;

/// Where a parameter may come from; `Display` uses KEDA's names, which appear in its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Metadata,
    Env,
    Auth,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Metadata => "triggerMetadata",
            Source::Env => "resolvedEnv",
            Source::Auth => "authParams",
        })
    }
}

pub const METADATA: &[Source] = &[Source::Metadata];
pub const AUTH: &[Source] = &[Source::Auth];

/// A parameter: its names (aliases, tried in order), its sources (tried in order), and whether its
/// value is secret (then it never appears in a message).
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub names: &'static [&'static str],
    pub order: &'static [Source],
    pub secret: bool,
}

impl Key {
    pub const fn new(names: &'static [&'static str], order: &'static [Source]) -> Key {
        Key {
            names,
            order,
            secret: false,
        }
    }

    pub const fn secret(self) -> Key {
        Key {
            secret: true,
            ..self
        }
    }

    fn primary(&self) -> &'static str {
        self.names[0]
    }
}

/// A value found for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found<'a> {
    pub name: &'static str,
    pub source: Source,
    pub value: &'a str,
}

/// Reads a trigger's parameters and collects what is wrong with them.
pub struct Params<'a> {
    ctx: &'a TriggerContext,
    problems: Vec<ParamProblem>,
}

impl<'a> Params<'a> {
    pub fn new(ctx: &'a TriggerContext) -> Self {
        Params {
            ctx,
            problems: Vec::new(),
        }
    }

    pub fn context(&self) -> &'a TriggerContext {
        self.ctx
    }

    /// The first non-empty value for any of the key's names, sources in the key's order.
    pub fn find(&self, key: &Key) -> Option<Found<'a>> {
        key.order.iter().find_map(|&source| {
            key.names.iter().find_map(|&name| {
                self.lookup(name, source).map(|value| Found {
                    name,
                    source,
                    value,
                })
            })
        })
    }

    fn lookup(&self, name: &str, source: Source) -> Option<&'a str> {
        let ctx = self.ctx;
        let raw = match source {
            Source::Metadata => ctx.metadata.get(name),
            Source::Auth => ctx.auth_params.get(name),
            Source::Env => ctx
                .metadata
                .get(&format!("{name}FromEnv"))
                .map(|var| var.trim())
                .filter(|var| !var.is_empty())
                .and_then(|var| ctx.resolved_env.get(var)),
        }?;
        Some(raw.trim()).filter(|v| !v.is_empty())
    }

    pub fn is_set(&self, key: &Key) -> bool {
        self.find(key).is_some()
    }

    pub fn string(&mut self, key: &Key) -> Option<String> {
        self.find(key).map(|f| f.value.to_string())
    }

    pub fn required_string(&mut self, key: &Key) -> Option<String> {
        let value = self.string(key);
        if value.is_none() {
            self.missing(key);
        }
        value
    }

    /// Converts the value with `convert`, recording a problem (value redacted when secret) if it
    /// does not fit.
    pub fn parse<T>(
        &mut self,
        key: &Key,
        convert: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let found = self.find(key)?;
        match convert(found.value) {
            Ok(v) => Some(v),
            Err(expected) => {
                let value = self.shown(key, &found);
                self.problems.push(ParamProblem::Invalid {
                    key: found.name.to_string(),
                    value,
                    expected,
                });
                None
            }
        }
    }

    pub fn int(&mut self, key: &Key) -> Option<i64> {
        self.parse(key, convert::int)
    }

    pub fn float(&mut self, key: &Key) -> Option<f64> {
        self.parse(key, convert::float)
    }

    pub fn required_float(&mut self, key: &Key) -> Option<f64> {
        if !self.is_set(key) {
            self.missing(key);
            return None;
        }
        self.float(key)
    }

    pub fn bool(&mut self, key: &Key) -> Option<bool> {
        self.parse(key, convert::bool)
    }

    pub fn duration(&mut self, key: &Key) -> Option<Duration> {
        self.parse(key, convert::duration)
    }

    pub fn map(&mut self, key: &Key) -> Option<BTreeMap<String, String>> {
        self.parse(key, convert::map)
    }

    pub fn list(&mut self, key: &Key) -> Option<Vec<String>> {
        self.find(key).map(|f| convert::list(f.value))
    }

    /// A value restricted to a set of allowed spellings.
    pub fn one_of(&mut self, key: &Key, allowed: &[&str]) -> Option<String> {
        self.parse(key, |v| {
            if allowed.contains(&v) {
                Ok(v.to_string())
            } else {
                Err(format!("one of [{}]", allowed.join(", ")))
            }
        })
    }

    pub fn missing(&mut self, key: &Key) {
        self.problems.push(ParamProblem::Missing {
            key: key.primary().to_string(),
            sources: key.order.to_vec(),
        });
    }

    /// Records a problem that is not about a single value's syntax.
    pub fn problem(&mut self, message: impl Into<String>) {
        self.problems.push(ParamProblem::Other(message.into()));
    }

    /// Records a value that parsed but is not acceptable (e.g. out of range).
    pub fn invalid(&mut self, key: &Key, expected: impl Into<String>) {
        if let Some(found) = self.find(key) {
            let value = self.shown(key, &found);
            self.problems.push(ParamProblem::Invalid {
                key: found.name.to_string(),
                value,
                expected: expected.into(),
            });
        }
    }

    /// Values from a TriggerAuthentication or the environment, and keys declared secret, are
    /// never shown.
    fn shown(&self, key: &Key, found: &Found<'_>) -> String {
        if key.secret || found.source != Source::Metadata {
            REDACTED.to_string()
        } else {
            found.value.to_string()
        }
    }

    pub fn finish(self) -> Result<(), ParseError> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(ParseError {
                trigger_type: self.ctx.trigger_type.clone(),
                problems: self.problems,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: Key = Key::new(
        &["host", "hosts"],
        &[Source::Metadata, Source::Env, Source::Auth],
    );
    const PASSWORD: Key = Key::new(&["password"], &[Source::Auth, Source::Env]).secret();
    const LENGTH: Key = Key::new(&["listLength"], METADATA);

    fn ctx() -> TriggerContext {
        TriggerContext::new("redis", 0)
    }

    #[test]
    fn lookup_order_and_aliases() {
        type Row = (
            &'static str,
            TriggerContext,
            Option<(&'static str, Source, &'static str)>,
        );
        let cases: &[Row] = &[
            ("absent everywhere", ctx(), None),
            (
                "metadata wins over auth",
                ctx()
                    .with_metadata([("host", "m")])
                    .with_auth_params([("host", "a")]),
                Some(("host", Source::Metadata, "m")),
            ),
            (
                "alias found when the first name is absent",
                ctx().with_metadata([("hosts", "m1,m2")]),
                Some(("hosts", Source::Metadata, "m1,m2")),
            ),
            (
                "empty counts as absent, falls through to auth",
                ctx()
                    .with_metadata([("host", "  ")])
                    .with_auth_params([("host", "a")]),
                Some(("host", Source::Auth, "a")),
            ),
            (
                "FromEnv names the variable in the target's environment",
                ctx()
                    .with_metadata([("hostFromEnv", "REDIS_HOST")])
                    .with_resolved_env([("REDIS_HOST", " env-host ")])
                    .with_auth_params([("host", "a")]),
                Some(("host", Source::Env, "env-host")),
            ),
            (
                "FromEnv naming a missing variable is absent",
                ctx()
                    .with_metadata([("hostFromEnv", "NOPE")])
                    .with_auth_params([("host", "a")]),
                Some(("host", Source::Auth, "a")),
            ),
        ];
        for (what, ctx, want) in cases {
            let params = Params::new(ctx);
            let got = params.find(&HOST).map(|f| (f.name, f.source, f.value));
            assert_eq!(got, *want, "{what}");
        }
    }

    #[test]
    fn source_order_is_the_keys() {
        let ctx = ctx()
            .with_auth_params([("password", "from-auth")])
            .with_metadata([("passwordFromEnv", "P")])
            .with_resolved_env([("P", "from-env")]);
        let mut params = Params::new(&ctx);
        assert_eq!(params.string(&PASSWORD).as_deref(), Some("from-auth"));
    }

    #[test]
    fn problems_name_key_value_and_expectation() {
        let ctx = ctx().with_metadata([("listLength", "abc")]);
        let mut params = Params::new(&ctx);
        assert_eq!(params.int(&LENGTH), None);
        let err = params.finish().unwrap_err().to_string();
        assert_eq!(
            err,
            "error parsing redis metadata: parameter \"listLength\" value \"abc\" is invalid: \
             expected an integer such as 5"
        );
    }

    #[test]
    fn secret_values_are_redacted_in_problems() {
        const PORT: Key = Key::new(&["port"], &[Source::Auth]);
        let ctx = ctx().with_auth_params([("port", "s3cr3t-port")]);
        let mut params = Params::new(&ctx);
        assert_eq!(params.int(&PORT), None);
        let err = params.finish().unwrap_err().to_string();
        assert!(err.contains("<redacted>"), "{err}");
        assert!(!err.contains("s3cr3t"), "{err}");
    }

    #[test]
    fn missing_lists_the_sources() {
        let c = ctx();
        let mut params = Params::new(&c);
        assert_eq!(params.required_string(&HOST), None);
        assert_eq!(
            params.finish().unwrap_err().to_string(),
            "error parsing redis metadata: missing required parameter \"host\" in \
             [triggerMetadata resolvedEnv authParams]"
        );
    }
}
