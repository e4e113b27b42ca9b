//! Table-driven metadata tests, one row per case, as KEDA's `mysql_scaler_test.go`.

use super::*;
use crate::mysql::dsn::Addr;

const QUERY: (&str, &str) = ("query", "SELECT COUNT(*) FROM jobs");
const TARGET: (&str, &str) = ("queryValue", "4.4");

fn ctx() -> TriggerContext {
    TriggerContext::new("mysql", 0).with_metadata([QUERY, TARGET])
}

/// What a successful parse must yield: address, user, password, database, metric suffix.
struct Want {
    addr: (&'static str, u16),
    user: Option<&'static str>,
    password: Option<&'static str>,
    db: Option<&'static str>,
    metric_db: &'static str,
}

fn check_ok(what: &str, got: &MySqlMetadata, want: &Want) {
    let Addr::Tcp { host, port } = &got.dsn.addr else {
        panic!("{what}: expected tcp, got {:?}", got.dsn.addr);
    };
    assert_eq!((host.as_str(), *port), want.addr, "{what}: address");
    assert_eq!(got.dsn.user.as_deref(), want.user, "{what}: user");
    assert_eq!(
        got.dsn.password.as_deref(),
        want.password,
        "{what}: password"
    );
    assert_eq!(got.dsn.db_name.as_deref(), want.db, "{what}: db");
    assert_eq!(got.metric_db_name, want.metric_db, "{what}: metric db name");
}

#[test]
fn valid() {
    let cases: Vec<(&str, TriggerContext, Want)> = vec![
        (
            "KEDA's documented example: connectionString from a TriggerAuthentication",
            ctx().with_auth_params([("connectionString", "user:pw@tcp(mysql:3306)/stats_db")]),
            Want {
                addr: ("mysql", 3306),
                user: Some("user"),
                password: Some("pw"),
                db: Some("stats_db"),
                metric_db: "stats_db",
            },
        ),
        (
            "connectionString from the target's environment via connectionStringFromEnv",
            ctx()
                .with_metadata([("connectionStringFromEnv", "MYSQL_DSN")])
                .with_resolved_env([("MYSQL_DSN", "u:p@tcp(db)/app")]),
            Want {
                addr: ("db", 3306),
                user: Some("u"),
                password: Some("p"),
                db: Some("app"),
                metric_db: "app",
            },
        ),
        (
            "dbName quirk: the metric suffix keeps ?params after the last '/'",
            ctx().with_auth_params([(
                "connectionString",
                "u:p@tcp(db:3306)/stats_db?tls=false&charset=utf8",
            )]),
            Want {
                addr: ("db", 3306),
                user: Some("u"),
                password: Some("p"),
                db: Some("stats_db"),
                metric_db: "stats_db?tls=false&charset=utf8",
            },
        ),
        (
            "connectionString wins over host/username/password keys, as in KEDA",
            ctx()
                .with_metadata([("host", "ignored"), ("username", "ignored")])
                .with_auth_params([
                    ("connectionString", "u@tcp(real:1)/d"),
                    ("password", "ignored-pw"),
                ]),
            Want {
                addr: ("real", 1),
                user: Some("u"),
                password: None,
                db: Some("d"),
                metric_db: "d",
            },
        ),
        (
            "host/port/dbName in metadata, credentials from the TriggerAuthentication",
            ctx()
                .with_metadata([
                    ("host", "mysql.ns.svc"),
                    ("port", "3307"),
                    ("dbName", "stats"),
                ])
                .with_auth_params([("username", "keda"), ("password", "s3cret")]),
            Want {
                addr: ("mysql.ns.svc", 3307),
                user: Some("keda"),
                password: Some("s3cret"),
                db: Some("stats"),
                metric_db: "stats",
            },
        ),
        (
            "host only: port 3306, no database, empty metric suffix as in KEDA",
            ctx().with_metadata([("host", "db")]),
            Want {
                addr: ("db", 3306),
                user: None,
                password: None,
                db: None,
                metric_db: "",
            },
        ),
        (
            "host, port and dbName from authParams; username from the environment",
            ctx()
                .with_metadata([("usernameFromEnv", "DB_USER")])
                .with_resolved_env([("DB_USER", "envuser")])
                .with_auth_params([("host", "h"), ("port", "13306"), ("dbName", "x")]),
            Want {
                addr: ("h", 13306),
                user: Some("envuser"),
                password: None,
                db: Some("x"),
                metric_db: "x",
            },
        ),
        (
            "metricName is accepted and ignored",
            ctx().with_metadata([("host", "db"), ("dbName", "d"), ("metricName", "custom")]),
            Want {
                addr: ("db", 3306),
                user: None,
                password: None,
                db: Some("d"),
                metric_db: "d",
            },
        ),
    ];
    for (what, ctx, want) in cases {
        let got = parse(&ctx).unwrap_or_else(|e| panic!("{what}: {e}"));
        check_ok(what, &got, &want);
    }
}

#[test]
fn values() {
    let ctx = ctx().with_metadata([
        ("host", "db"),
        ("queryValue", "1e3"),
        ("activationQueryValue", "5.4"),
    ]);
    let got = parse(&ctx).unwrap();
    assert_eq!(got.query, "SELECT COUNT(*) FROM jobs");
    assert_eq!((got.query_value, got.activation_query_value), (1000.0, 5.4));
    // activationQueryValue defaults to 0
    let got =
        parse(&TriggerContext::new("mysql", 0).with_metadata([QUERY, TARGET, ("host", "db")]))
            .unwrap();
    assert_eq!((got.query_value, got.activation_query_value), (4.4, 0.0));
}

#[test]
fn invalid() {
    // (what, context, substrings the message must hold, secrets it must not)
    let cases: Vec<(&str, TriggerContext, Vec<&str>, Vec<&str>)> = vec![
        (
            "missing query",
            TriggerContext::new("mysql", 0).with_metadata([TARGET, ("host", "db")]),
            vec![
                "error parsing mysql metadata: missing required parameter \"query\" in [triggerMetadata]",
            ],
            vec![],
        ),
        (
            "missing queryValue",
            TriggerContext::new("mysql", 0).with_metadata([QUERY, ("host", "db")]),
            vec!["missing required parameter \"queryValue\""],
            vec![],
        ),
        (
            "queryValue not a number: key and value named",
            ctx().with_metadata([("host", "db"), ("queryValue", "four")]),
            vec!["parameter \"queryValue\" value \"four\" is invalid: expected a number"],
            vec![],
        ),
        (
            "bad activationQueryValue",
            ctx().with_metadata([("host", "db"), ("activationQueryValue", "5m")]),
            vec!["parameter \"activationQueryValue\" value \"5m\""],
            vec![],
        ),
        (
            "neither connectionString nor host (KEDA fails only when connecting)",
            ctx()
                .with_metadata([("dbName", "d")])
                .with_auth_params([("password", "hunter22")]),
            vec!["neither \"connectionString\"", "nor \"host\""],
            vec!["hunter22"],
        ),
        (
            "port not a number",
            ctx().with_metadata([("host", "db"), ("port", "mysql")]),
            vec!["parameter \"port\" value \"mysql\" is invalid: expected a port number"],
            vec![],
        ),
        (
            "malformed connectionString: the shape is explained, the value (with its password) is not shown",
            ctx().with_auth_params([("connectionString", "user:hunter22@tcp(db:3306)")]),
            vec![
                "parameter \"connectionString\" value \"<redacted>\" is invalid",
                "missing the \"/\"",
            ],
            vec!["hunter22", "db:3306"],
        ),
        (
            "connectionString with a bad parameter: secret still hidden",
            ctx().with_auth_params([("connectionString", "user:hunter22@tcp(db)/d?tls=maybe")]),
            vec!["<redacted>", "parameter \"tls\""],
            vec!["hunter22"],
        ),
        (
            "every problem listed at once",
            TriggerContext::new("mysql", 0),
            vec!["\"query\"", "\"queryValue\"", "nor \"host\""],
            vec![],
        ),
    ];
    for (what, ctx, wants, secrets) in cases {
        let err = parse(&ctx).expect_err(what).to_string();
        for want in wants {
            assert!(err.contains(want), "{what}: {err}");
        }
        for secret in secrets {
            assert!(!err.contains(secret), "{what}: leaks {secret}: {err}");
        }
    }
}

#[test]
fn secrets_are_collected_for_scrubbing() {
    let ctx = ctx().with_auth_params([("connectionString", "u:pw1@tcp(h)/d")]);
    assert_eq!(parse(&ctx).unwrap().secrets, vec!["u:pw1@tcp(h)/d", "pw1"]);
    let ctx = ctx.clone().with_metadata([("host", "h")]);
    let ctx = TriggerContext {
        auth_params: [("password".to_string(), "pw2".to_string())].into(),
        ..ctx
    };
    assert_eq!(parse(&ctx).unwrap().secrets, vec!["pw2"]);
}

#[test]
fn debug_shows_no_secret() {
    let ctx = ctx().with_auth_params([("connectionString", "u:hunter22@tcp(h)/d")]);
    let printed = format!("{:?}", parse(&ctx).unwrap());
    assert!(!printed.contains("hunter22"), "{printed}");
}
