//! The mysql scaler against a real MariaDB (`KEDARS_TEST_MYSQL`, default 127.0.0.1:3306, root
//! without a password, database `test`). Every test uses its own table, so they run in parallel;
//! outages are simulated with a proxy, never by stopping the shared server.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use kedars_scalers::{Connections, Scaler, ScalerError, TriggerContext, build};
use mysql_async::prelude::Queryable;
use support::{Proxy, service, unique};

const USER: &str = "kedars";
const PASSWORD: &str = "kedars-pass";

fn server() -> String {
    service("KEDARS_TEST_MYSQL", "127.0.0.1:3306")
}

fn root_dsn(addr: &str) -> String {
    format!("root@tcp({addr})/test")
}

/// Runs statements as root (setup and cleanup only; the scaler never gets this connection).
async fn admin(statements: &[&str]) {
    let url = format!("mysql://root@{}/test?prefer_socket=false", server());
    let mut conn = mysql_async::Conn::from_url(url).await.unwrap();
    for statement in statements {
        conn.query_drop(*statement).await.unwrap();
    }
    conn.disconnect().await.unwrap();
}

/// A fresh table holding `rows` rows; its name is returned quoted.
async fn table(rows: usize) -> String {
    let name = format!("`{}`", unique("jobs"));
    admin(&[&format!(
        "CREATE TABLE {name} (id INT AUTO_INCREMENT PRIMARY KEY, state TEXT)"
    )])
    .await;
    for _ in 0..rows {
        admin(&[&format!("INSERT INTO {name} (state) VALUES ('queued')")]).await;
    }
    name
}

async fn drop_table(name: &str) {
    admin(&[&format!("DROP TABLE IF EXISTS {name}")]).await;
}

/// The unprivileged user the credential tests log in as. MariaDB may match a TCP client from
/// 127.0.0.1 against '%' (with skip-name-resolve) or 'localhost' (without), so both exist.
async fn ensure_user() {
    for host in ["%", "localhost"] {
        admin(&[
            &format!("CREATE USER IF NOT EXISTS '{USER}'@'{host}' IDENTIFIED BY '{PASSWORD}'"),
            &format!("GRANT ALL ON test.* TO '{USER}'@'{host}'"),
        ])
        .await;
    }
}

fn trigger(index: usize, query: &str, metadata: &[(&str, &str)]) -> TriggerContext {
    TriggerContext::new("mysql", index)
        .with_metadata([("query", query), ("queryValue", "2")])
        .with_metadata(metadata.iter().copied())
}

fn with_dsn(query: &str, dsn: &str) -> TriggerContext {
    trigger(0, query, &[]).with_auth_params([("connectionString", dsn)])
}

fn scaler(ctx: &TriggerContext, connections: &Arc<Connections>) -> Box<dyn Scaler> {
    build(ctx, connections).unwrap()
}

async fn read(scaler: &dyn Scaler) -> Result<(f64, bool), ScalerError> {
    let name = scaler.metric_specs()[0].name.clone();
    let reading = scaler.metrics_and_activity(&name, Utc::now()).await?;
    Ok((reading.raw, reading.active))
}

/// Builds a scaler for `ctx` and reads it once.
async fn value(ctx: &TriggerContext, connections: &Arc<Connections>) -> f64 {
    read(scaler(ctx, connections).as_ref()).await.unwrap().0
}

async fn failure(ctx: &TriggerContext, connections: &Arc<Connections>) -> ScalerError {
    read(scaler(ctx, connections).as_ref()).await.unwrap_err()
}

/// Asserts the error's message holds every `want` and none of `never`.
fn assert_message(err: &ScalerError, want: &[&str], never: &[&str]) {
    let message = err.to_string();
    for w in want {
        assert!(message.contains(w), "{message:?} lacks {w:?}");
    }
    for n in never {
        assert!(!message.contains(n), "{message:?} holds {n:?}");
    }
}

fn assert_within(started: Instant, limit: Duration) {
    let took = started.elapsed();
    assert!(took < limit, "took {took:?}, limit {limit:?}");
}

// In a module so that `cargo test -p kedars-scalers mysql` selects these tests too.
mod mysql {
    use super::*;

    #[tokio::test]
    async fn count_query_metric_and_activation() {
        let jobs = table(7).await;
        let connections = Connections::new(Duration::from_secs(3));
        let count = format!("SELECT COUNT(*) FROM {jobs} WHERE state='queued'");
        for (what, activation, want_active) in [
            ("default activation 0: seven rows are active", None, true),
            ("activation 6.5 exceeded", Some("6.5"), true),
            (
                "activation 7 not exceeded: active means above",
                Some("7"),
                false,
            ),
        ] {
            let mut ctx = with_dsn(&count, &root_dsn(&server()));
            if let Some(a) = activation {
                ctx = ctx.with_metadata([("activationQueryValue", a)]);
            }
            let s = scaler(&ctx, &connections);
            assert_eq!(s.metric_specs()[0].name, "s0-mysql-test");
            assert_eq!(
                read(s.as_ref()).await.unwrap(),
                (7.0, want_active),
                "{what}"
            );
        }
        assert_eq!(connections.endpoint_counts().mysql, 1, "one DSN, one pool");
        drop_table(&jobs).await;
    }

    #[tokio::test]
    async fn numeric_results_and_query_errors() {
        let empty = table(0).await;
        let connections = Connections::new(Duration::from_secs(3));
        let dsn = root_dsn(&server());
        for (query, want) in [
            ("SELECT CAST(12.5 AS DECIMAL(6,2))", 12.5),
            ("SELECT CEIL(13 / 6)", 3.0),
            ("SELECT 1.5e0", 1.5),
            ("SELECT '42'", 42.0),
            ("SELECT -3", -3.0),
        ] {
            assert_eq!(
                value(&with_dsn(query, &dsn), &connections).await,
                want,
                "{query}"
            );
        }
        let no_rows = format!("SELECT id FROM {empty}");
        for (query, want) in [
            (
                "SELECT NULL AS pending",
                "column \"pending\" of the first row: NULL is not a number",
            ),
            (&no_rows, "the query returned no rows"),
            ("SELECT 'abc'", "\"abc\" is not a number"),
            ("SELEC 1", "You have an error in your SQL syntax"),
        ] {
            let err = failure(&with_dsn(query, &dsn), &connections).await;
            assert!(matches!(err, ScalerError::Query { .. }), "{query}: {err:?}");
            assert_message(&err, &["mysql: error inspecting MySQL: ", want], &[]);
        }
        drop_table(&empty).await;
    }

    #[tokio::test]
    async fn credentials_from_auth_params_or_connection_string() {
        ensure_user().await;
        let jobs = table(3).await;
        let connections = Connections::new(Duration::from_secs(3));
        let count = format!("SELECT COUNT(*) FROM {jobs}");
        let (host, port) = server()
            .rsplit_once(':')
            .map(|(h, p)| (h.to_string(), p.to_string()))
            .unwrap();
        let metadata = [
            ("host", host.as_str()),
            ("port", &port),
            ("dbName", "test"),
            ("username", USER),
        ];
        let keys = trigger(0, &count, &metadata).with_auth_params([("password", PASSWORD)]);
        let dsn = format!("{USER}:{PASSWORD}@tcp({})/test", server());
        assert_eq!(
            value(&keys, &connections).await,
            3.0,
            "password via authParams"
        );
        assert_eq!(
            value(&with_dsn(&count, &dsn), &connections).await,
            3.0,
            "password in the DSN"
        );
        assert_eq!(
            connections.endpoint_counts().mysql,
            1,
            "both spellings, one endpoint"
        );

        let wrong = "wrong-Pa55word";
        let wrong_dsn = format!("{USER}:{wrong}@tcp({})/test", server());
        for (what, ctx) in [
            (
                "wrong password via authParams",
                keys.clone().with_auth_params([("password", wrong)]),
            ),
            ("wrong password in the DSN", with_dsn(&count, &wrong_dsn)),
        ] {
            let err = failure(&ctx, &connections).await;
            assert!(
                matches!(err, ScalerError::Connection { .. }),
                "{what}: {err:?}"
            );
            assert_message(&err, &["Access denied for user 'kedars'"], &[wrong]);
        }
        // A result that happens to hold the password is scrubbed like everything else.
        let err = failure(
            &with_dsn(&format!("SELECT '{PASSWORD}'"), &dsn),
            &connections,
        )
        .await;
        assert_message(&err, &["\"<redacted>\" is not a number"], &[PASSWORD]);
        drop_table(&jobs).await;
    }

    #[tokio::test]
    async fn triggers_on_one_endpoint_share_one_pool() {
        let jobs = table(2).await;
        let connections = Connections::new(Duration::from_secs(3));
        let dsn = root_dsn(&server());
        let a = scaler(
            &with_dsn(&format!("SELECT COUNT(*) FROM {jobs}"), &dsn),
            &connections,
        );
        let b = trigger(1, "SELECT 5", &[]).with_auth_params([("connectionString", dsn.as_str())]);
        let b = scaler(&b, &connections);
        let (ra, rb) = tokio::join!(read(a.as_ref()), read(b.as_ref()));
        assert_eq!((ra.unwrap().0, rb.unwrap().0), (2.0, 5.0));
        assert_eq!(connections.endpoint_counts().mysql, 1);
        drop_table(&jobs).await;
    }

    #[tokio::test]
    async fn dsn_parameters_reach_the_server() {
        let connections = Connections::new(Duration::from_secs(3));
        let base = root_dsn(&server());
        // An unknown parameter is a session variable, as with the Go driver.
        let ansi = format!("{base}?sql_mode=%27ANSI_QUOTES%27&charset=utf8mb4");
        let query = "SELECT @@sql_mode LIKE '%ANSI_QUOTES%'";
        assert_eq!(value(&with_dsn(query, &ansi), &connections).await, 1.0);
        let bogus = with_dsn("SELECT 1", &format!("{base}?no_such_variable=1"));
        let err = failure(&bogus, &connections).await;
        assert_message(&err, &["Unknown system variable 'no_such_variable'"], &[]);
        // tls=preferred falls back to plaintext on a server without TLS, and works either way.
        let s = scaler(
            &with_dsn("SELECT 3", &format!("{base}?tls=preferred")),
            &connections,
        );
        for _ in 0..2 {
            assert_eq!(
                read(s.as_ref()).await.unwrap().0,
                3.0,
                "first, and once fallen back"
            );
        }
        // tls=true must not silently fall back.
        if value(&with_dsn("SELECT @@have_ssl = 'YES'", &base), &connections).await == 0.0 {
            let strict = with_dsn("SELECT 1", &format!("{base}?tls=true"));
            let err = failure(&strict, &connections).await;
            assert_message(&err, &["server does not have this capability"], &[]);
        }
    }

    #[tokio::test]
    async fn unix_socket() {
        let socket = "/run/mysqld/mysqld.sock";
        if server() != "127.0.0.1:3306" || !std::path::Path::new(socket).exists() {
            eprintln!("skipped: no local MariaDB socket");
            return;
        }
        let connections = Connections::new(Duration::from_secs(3));
        let ctx = with_dsn("SELECT 9", &format!("root@unix({socket})/test"));
        assert_eq!(value(&ctx, &connections).await, 9.0);
    }

    #[tokio::test]
    async fn unreachable_servers_fail_within_the_timeout() {
        let timeout = Duration::from_millis(600);
        let connections = Connections::new(timeout);
        // Nothing listens: refused at once, and the message says where.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let free = listener.local_addr().unwrap().to_string();
        drop(listener);
        let started = Instant::now();
        let err = failure(&with_dsn("SELECT 1", &root_dsn(&free)), &connections).await;
        assert_within(started, timeout);
        assert!(matches!(err, ScalerError::Connection { .. }), "{err:?}");
        assert_message(&err, &[&format!("connection failed: {free}: ")], &[]);

        // Accepts but never answers: one timeout, not a hang.
        let mut stall = Proxy::start(&server()).await;
        stall.hang().await;
        let started = Instant::now();
        let err = failure(
            &with_dsn("SELECT 1", &root_dsn(&stall.addr.to_string())),
            &connections,
        )
        .await;
        assert_within(started, timeout + Duration::from_millis(300));
        assert!(matches!(err, ScalerError::Timeout { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn the_same_scaler_recovers_when_the_server_returns() {
        let jobs = table(4).await;
        let timeout = Duration::from_millis(800);
        let connections = Connections::new(timeout);
        let mut proxy = Proxy::start(&server()).await;
        let count = format!("SELECT COUNT(*) FROM {jobs}");
        let s = scaler(
            &with_dsn(&count, &root_dsn(&proxy.addr.to_string())),
            &connections,
        );
        assert_eq!(
            read(s.as_ref()).await.unwrap().0,
            4.0,
            "a pooled connection now exists"
        );

        proxy.cut().await;
        let started = Instant::now();
        let err = read(s.as_ref()).await.unwrap_err();
        assert_within(started, timeout + Duration::from_millis(300));
        assert!(
            matches!(err, ScalerError::Connection { .. }),
            "the source died: {err:?}"
        );

        proxy.hang().await;
        let started = Instant::now();
        let err = read(s.as_ref()).await.unwrap_err();
        assert_within(started, timeout + Duration::from_millis(300));
        assert!(
            matches!(err, ScalerError::Timeout { .. }),
            "the source stalls: {err:?}"
        );

        proxy.restore().await;
        admin(&[&format!("INSERT INTO {jobs} (state) VALUES ('queued')")]).await;
        assert_eq!(
            read(s.as_ref()).await.unwrap().0,
            5.0,
            "back, through the same pool"
        );
        drop_table(&jobs).await;
    }

    #[tokio::test]
    async fn queries_abandoned_at_the_timeout_do_not_exhaust_the_pool() {
        let connections = Connections::new(Duration::from_millis(300));
        let dsn = root_dsn(&server());
        let slow = scaler(&with_dsn("SELECT SLEEP(20)", &dsn), &connections);
        // More hung queries than the pool has connections (10).
        for _ in 0..12 {
            let err = read(slow.as_ref()).await.unwrap_err();
            assert!(matches!(err, ScalerError::Timeout { .. }), "{err:?}");
        }
        // Had the abandoned connections gone back to the pool, all ten would still be waiting
        // for SLEEP(20), and this query would time out waiting for one.
        assert_eq!(value(&with_dsn("SELECT 6", &dsn), &connections).await, 6.0);
    }
}
