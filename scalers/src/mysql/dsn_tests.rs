//! The DSN parser's table: every shape the Go driver accepts, and what it refuses.

use super::*;

fn tcp(host: &str, port: u16) -> Addr {
    Addr::Tcp {
        host: host.to_string(),
        port,
    }
}

fn some(s: &str) -> Option<String> {
    Some(s.to_string())
}

#[test]
fn shapes() {
    // (dsn, user, password, addr, db_name)
    type Row = (
        &'static str,
        Option<String>,
        Option<String>,
        Addr,
        Option<String>,
    );
    let cases: Vec<Row> = vec![
        // KEDA's documented example
        (
            "user:password@tcp(mysql:3306)/stats_db",
            some("user"),
            some("password"),
            tcp("mysql", 3306),
            some("stats_db"),
        ),
        // no password
        (
            "user@tcp(mysql:3306)/stats_db",
            some("user"),
            None,
            tcp("mysql", 3306),
            some("stats_db"),
        ),
        // no credentials, no port: 3306
        (
            "tcp(db.example)/x",
            None,
            None,
            tcp("db.example", 3306),
            some("x"),
        ),
        // the bare minimum: local server, no database
        ("/", None, None, tcp("127.0.0.1", 3306), None),
        // net without address: the driver's local default
        (
            "u@tcp/d",
            some("u"),
            None,
            tcp("127.0.0.1", 3306),
            some("d"),
        ),
        // password with ':' '@' and '/': user ends at the first ':', credentials at the last '@'
        (
            "u:p:a@s/s@tcp(h:1)/d",
            some("u"),
            some("p:a@s/s"),
            tcp("h", 1),
            some("d"),
        ),
        // IPv6 with and without brackets
        (
            "u:p@tcp([::1]:3307)/d",
            some("u"),
            some("p"),
            tcp("::1", 3307),
            some("d"),
        ),
        (
            "u:p@tcp(::1)/d",
            some("u"),
            some("p"),
            tcp("::1", 3306),
            some("d"),
        ),
        // unix socket, path contains '/'
        (
            "u:p@unix(/run/mysqld/mysqld.sock)/d",
            some("u"),
            some("p"),
            Addr::Unix {
                path: "/run/mysqld/mysqld.sock".into(),
            },
            some("d"),
        ),
        // unix without a path: the driver's default socket
        (
            "u@unix/d",
            some("u"),
            None,
            Addr::Unix {
                path: "/tmp/mysql.sock".into(),
            },
            some("d"),
        ),
        // database name is path-unescaped
        (
            "u@tcp(h)/my%20db?charset=utf8",
            some("u"),
            None,
            tcp("h", 3306),
            some("my db"),
        ),
        // empty user and password mean none
        (":@tcp(h:3306)/d", None, None, tcp("h", 3306), some("d")),
    ];
    for (dsn, user, password, addr, db) in cases {
        let got = parse(dsn).unwrap_or_else(|e| panic!("{dsn}: {e}"));
        assert_eq!(
            (got.user, got.password, got.addr, got.db_name),
            (user, password, addr, db),
            "{dsn}"
        );
    }
}

#[test]
fn malformed() {
    let cases: &[(&str, &str)] = &[
        // no slash at all
        ("user:secret@tcp(h:3306)", "missing the \"/\""),
        // address not closed
        ("user:secret@tcp(h:3306/db", "not terminated"),
        // a '/' in a parameter value moves the separator into the params
        ("user:secret@tcp(h:3306)/db?x=a/b", "not terminated"),
        // custom dialers are not registered
        (
            "user:secret@cloudsql(p:r:i)/db",
            "network \"cloudsql\" is not supported",
        ),
        // port out of range
        ("user:secret@tcp(h:99999)/db", "port \"99999\""),
        // empty port
        ("user:secret@tcp(h:)/db", "port \"\""),
        // bad escape in the database name
        ("user:secret@tcp(h)/d%zz", "database name"),
        // unterminated IPv6 bracket
        ("user:secret@tcp([::1)/d", "unterminated"),
    ];
    for (dsn, want) in cases {
        let err = parse(dsn).expect_err(dsn);
        assert!(err.contains(want), "{dsn}: {err}");
        assert!(
            !err.contains("secret"),
            "{dsn}: error leaks the password: {err}"
        );
    }
}

#[test]
fn debug_hides_the_password() {
    let dsn = parse("u:hunter2@tcp(h)/d").unwrap();
    let printed = format!("{dsn:?}");
    assert!(!printed.contains("hunter2"), "{printed}");
}
