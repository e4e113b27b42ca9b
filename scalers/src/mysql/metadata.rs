//! The mysql trigger's parameters (KEDA `pkg/scalers/mysql_scaler.go`), keys and lookup orders
//! as KEDA declares them.

use crate::context::TriggerContext;
use crate::error::{ParamProblem, ParseError};
use crate::params::{Key, METADATA, Params, Source};

use super::dsn::{self, Dsn};

const CONNECTION_STRING: Key =
    Key::new(&["connectionString"], &[Source::Auth, Source::Env]).secret();
const USERNAME: Key = Key::new(
    &["username"],
    &[Source::Metadata, Source::Auth, Source::Env],
);
const PASSWORD: Key = Key::new(&["password"], &[Source::Auth, Source::Env]).secret();
const HOST: Key = Key::new(&["host"], &[Source::Metadata, Source::Auth]);
const PORT: Key = Key::new(&["port"], &[Source::Metadata, Source::Auth]);
const DB_NAME: Key = Key::new(&["dbName"], &[Source::Metadata, Source::Auth]);
const QUERY: Key = Key::new(&["query"], METADATA);
const QUERY_VALUE: Key = Key::new(&["queryValue"], METADATA);
const ACTIVATION_QUERY_VALUE: Key = Key::new(&["activationQueryValue"], METADATA);
// `metricName` is accepted and ignored, as in KEDA: the name is always `s<i>-mysql-<dbName>`.

/// What a mysql trigger asks for. `Debug` shows no secret.
#[derive(Clone, PartialEq)]
pub struct MySqlMetadata {
    pub dsn: Dsn,
    pub query: String,
    /// The HPA target.
    pub query_value: f64,
    /// Active when the result is above this.
    pub activation_query_value: f64,
    /// The metric name's suffix after `mysql-`.
    pub metric_db_name: String,
    /// The password and the connection string, for scrubbing messages.
    pub secrets: Vec<String>,
}

impl std::fmt::Debug for MySqlMetadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MySqlMetadata")
            .field("dsn", &self.dsn)
            .field("query", &self.query)
            .field("query_value", &self.query_value)
            .field("activation_query_value", &self.activation_query_value)
            .field("metric_db_name", &self.metric_db_name)
            .field(
                "secrets",
                &format_args!("<{} redacted>", self.secrets.len()),
            )
            .finish()
    }
}

pub fn parse(ctx: &TriggerContext) -> Result<MySqlMetadata, ParseError> {
    let mut params = Params::new(ctx);
    let query = params.required_string(&QUERY);
    let query_value = params.required_float(&QUERY_VALUE);
    let activation = params.float(&ACTIVATION_QUERY_VALUE).unwrap_or(0.0);
    let connection_string = params.string(&CONNECTION_STRING);
    let password = params.string(&PASSWORD);
    let endpoint = match &connection_string {
        Some(text) => from_connection_string(&mut params, text),
        None => from_keys(&mut params, password),
    };
    params.finish()?;
    // finish() succeeded, so every value above was found; the fallback arm is never taken.
    match (query, query_value, endpoint) {
        (Some(query), Some(query_value), Some((dsn, metric_db_name))) => Ok(MySqlMetadata {
            // The DSN's own password too: it is a substring no other secret covers.
            secrets: connection_string
                .into_iter()
                .chain(dsn.password.clone())
                .collect(),
            dsn,
            query,
            query_value,
            activation_query_value: activation,
            metric_db_name,
        }),
        _ => Err(ParseError {
            trigger_type: ctx.trigger_type.clone(),
            problems: vec![ParamProblem::Other("incomplete mysql metadata".into())],
        }),
    }
}

/// KEDA names the metric after the text behind the connection string's last `/`, query
/// parameters included; kept so metric names (and the HPAs and dashboards using them) match.
fn from_connection_string(params: &mut Params<'_>, text: &str) -> Option<(Dsn, String)> {
    match dsn::parse(text) {
        Ok(dsn) => {
            let tail = text.rsplit('/').next().unwrap_or_default();
            Some((dsn, tail.to_string()))
        }
        Err(problem) => {
            params.invalid(
                &CONNECTION_STRING,
                format!("a DSN such as user:password@tcp(host:3306)/db ({problem})"),
            );
            None
        }
    }
}

/// KEDA's DSN from the separate keys: `user:password@tcp(host:port)/dbName`. KEDA does not check
/// that a host is given (the connect fails later); we say so at once.
fn from_keys(params: &mut Params<'_>, password: Option<String>) -> Option<(Dsn, String)> {
    let port = match params.find(&PORT) {
        None => Some(dsn::DEFAULT_PORT),
        Some(_) => params.parse(&PORT, port_number),
    };
    let user = params.string(&USERNAME);
    let db_name = params.string(&DB_NAME);
    let Some(host) = params.string(&HOST) else {
        params.problem(
            "neither \"connectionString\" (from authParams or resolvedEnv) nor \"host\" (from \
             triggerMetadata or authParams) is set: one of them must say where MySQL is",
        );
        return None;
    };
    let mut dsn = Dsn::tcp(&host, port?);
    dsn.user = user;
    dsn.password = password;
    dsn.db_name = db_name.clone();
    Some((dsn, db_name.unwrap_or_default()))
}

fn port_number(value: &str) -> Result<u16, String> {
    dsn::parse_port(value).map_err(|_| "a port number between 1 and 65535".to_string())
}

#[cfg(test)]
#[path = "metadata_tests.rs"]
mod tests;
