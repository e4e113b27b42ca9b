//! From a [`Dsn`] to mysql_async's pool options, and the identity under which the pool is shared.

use mysql_async::{Opts, OptsBuilder, PoolConstraints, PoolOpts, SslOpts};

use super::dsn::{Addr, Dsn, Tls};

/// Idle connections kept per endpoint (Go's `database/sql` keeps 2), and the most opened at once:
/// triggers sharing an endpoint poll at most once each at a time, so a few suffice.
const POOL_MIN: usize = 2;
const POOL_MAX: usize = 10;

/// mysql_async options equivalent to what go-sql-driver would do with `dsn`.
pub(crate) fn to_opts(dsn: &Dsn) -> Opts {
    let mut builder = OptsBuilder::default()
        .user(dsn.user.clone())
        .pass(dsn.password.clone())
        .db_name(dsn.db_name.clone())
        // mysql_async would otherwise ask the server for its socket after a TCP connect to a
        // loopback address and silently switch to it; the driver never does, and it would
        // bypass whatever the user pointed us at.
        .prefer_socket(false)
        .enable_cleartext_plugin(dsn.cleartext_passwords)
        .pool_opts(pool_opts())
        .ssl_opts(ssl_opts(dsn.tls));
    builder = match &dsn.addr {
        Addr::Tcp { host, port } => builder.ip_or_hostname(host.clone()).tcp_port(*port),
        // The host name is unused for a socket, but TLS would verify against it.
        Addr::Unix { path } => builder
            .ip_or_hostname("localhost")
            .socket(Some(path.clone())),
    };
    if !dsn.system_vars.is_empty() {
        builder = builder.init(vec![set_statement(&dsn.system_vars)]);
    }
    builder.into()
}

fn pool_opts() -> PoolOpts {
    let constraints = PoolConstraints::new(POOL_MIN, POOL_MAX).expect("min <= max, max > 0");
    PoolOpts::default().with_constraints(constraints)
}

fn ssl_opts(tls: Tls) -> Option<SslOpts> {
    match tls {
        Tls::Off => None,
        Tls::Verify => Some(SslOpts::default()),
        Tls::SkipVerify => Some(
            SslOpts::default()
                .with_danger_accept_invalid_certs(true)
                .with_danger_skip_domain_validation(true),
        ),
    }
}

/// The driver sends every system variable in one statement: `SET a=1,b=2`.
fn set_statement(vars: &[(String, String)]) -> String {
    let assignments: Vec<String> = vars.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("SET {}", assignments.join(","))
}

/// Everything that makes two connections not interchangeable, as one string: triggers whose
/// DSNs agree on all of it share one pool, however each spelled its DSN. Contains the password,
/// like every key of the connection cache.
pub(crate) fn identity(dsn: &Dsn) -> String {
    let addr = match &dsn.addr {
        Addr::Tcp { host, port } => format!("tcp:{host}:{port}"),
        Addr::Unix { path } => format!("unix:{path}"),
    };
    let vars: Vec<String> = dsn
        .system_vars
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    // JSON keeps the fields apart whatever characters they contain.
    serde_json::json!([
        addr,
        dsn.user,
        dsn.password,
        dsn.db_name,
        format!("{:?}", dsn.tls),
        dsn.cleartext_passwords,
        vars,
    ])
    .to_string()
}

/// The same DSN without TLS: where `preferred` and `allowFallbackToPlaintext` fall back to.
pub(crate) fn plaintext(dsn: &Dsn) -> Dsn {
    Dsn {
        tls: Tls::Off,
        plaintext_fallback: false,
        ..dsn.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mysql::dsn::parse;

    #[test]
    fn opts_follow_the_dsn() {
        let opts =
            to_opts(&parse("u:p@tcp(db:3307)/stats?tls=skip-verify&sql_mode=%27ANSI%27").unwrap());
        assert_eq!(opts.user(), Some("u"));
        assert_eq!(opts.pass(), Some("p"));
        assert_eq!(opts.db_name(), Some("stats"));
        assert_eq!((opts.ip_or_hostname(), opts.tcp_port()), ("db", 3307));
        assert!(!opts.prefer_socket());
        assert!(opts.ssl_opts().is_some_and(|s| s.accept_invalid_certs()));
        assert_eq!(opts.init(), ["SET sql_mode='ANSI'"]);

        let unix = to_opts(&parse("u@unix(/run/mysqld.sock)/d").unwrap());
        assert_eq!(unix.socket(), Some("/run/mysqld.sock"));
        assert!(unix.ssl_opts().is_none());
    }

    #[test]
    fn identity_ignores_spelling_but_not_substance() {
        let id = |s: &str| identity(&parse(s).unwrap());
        // the default port spelled out or not, ignored options: the same endpoint
        assert_eq!(
            id("u:p@tcp(h)/d"),
            id("u:p@tcp(h:3306)/d?charset=utf8&parseTime=true")
        );
        // a different password, database or TLS mode: a different pool
        assert_ne!(id("u:p@tcp(h)/d"), id("u:q@tcp(h)/d"));
        assert_ne!(id("u:p@tcp(h)/d"), id("u:p@tcp(h)/e"));
        assert_ne!(id("u:p@tcp(h)/d"), id("u:p@tcp(h)/d?tls=true"));
        // the plaintext fallback of a preferred DSN is the plain DSN's pool
        assert_eq!(
            identity(&plaintext(&parse("u:p@tcp(h)/d?tls=preferred").unwrap())),
            id("u:p@tcp(h)/d")
        );
    }
}
