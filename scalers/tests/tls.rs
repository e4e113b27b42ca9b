//! The TLS paths of the prometheus and redis scalers, for real: a CA, server and client
//! certificates made afresh by each test, an HTTPS server that may require a client certificate,
//! and a private TLS-only redis-server (with client certificates optional or required).

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use kedars_scalers::{Connections, Scaler, TriggerContext, build};
use redis::AsyncCommands;
use support::tls::{ClientAuth, HttpsServer, Pki, RedisTlsServer};
use support::unique;

/// What Prometheus would answer to an instant query whose value is 4.
const PROMETHEUS_BODY: &str = r#"{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"4"]}]}}"#;

/// What a row expects.
#[derive(Debug)]
enum Want {
    /// The value read.
    Value(f64),
    /// A read error containing each fragment (compared in lower case).
    ReadError(&'static [&'static str]),
    /// A build error containing the fragment.
    BuildError(&'static str),
}

/// Which certificates a row gives the scaler, by name, so a table can say it in one word.
#[derive(Debug, Clone, Copy)]
enum Material {
    /// The CA that signed the server's certificate.
    Ca,
    /// A CA that signed nothing the server has.
    WrongCa,
    /// The client certificate and key, signed by the server's CA.
    ClientCert,
    /// A client certificate and key signed by the wrong CA.
    ForeignClientCert,
    /// The client certificate with the wrong CA's client key: the key does not belong to it.
    MismatchedKey,
    /// redis: `tls: enable`, as a TriggerAuthentication says it.
    TlsEnable,
}

/// One row: what it proves, extra trigger metadata, the certificates in authParams, the outcome.
type Row = (
    &'static str,
    Vec<(&'static str, &'static str)>,
    Vec<Material>,
    Want,
);

fn auth_params(pki: &Pki, other: &Pki, material: &[Material]) -> Vec<(String, String)> {
    let mut params = Vec::new();
    for m in material {
        match m {
            Material::Ca => params.push(("ca", pki.ca_pem.clone())),
            Material::WrongCa => params.push(("ca", other.ca_pem.clone())),
            Material::ClientCert => {
                params.push(("cert", pki.client_cert_pem.clone()));
                params.push(("key", pki.client_key_pem.clone()));
            }
            Material::ForeignClientCert => {
                params.push(("cert", other.client_cert_pem.clone()));
                params.push(("key", other.client_key_pem.clone()));
            }
            Material::MismatchedKey => {
                params.push(("cert", pki.client_cert_pem.clone()));
                params.push(("key", other.client_key_pem.clone()));
            }
            Material::TlsEnable => params.push(("tls", "enable".to_string())),
        }
    }
    params
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// Builds the scaler and reads it once; `Ok(value)`, or the build or read error as text.
async fn outcome(
    ctx: &TriggerContext,
    connections: &Arc<Connections>,
) -> Result<f64, (&'static str, String)> {
    let scaler: Box<dyn Scaler> = build(ctx, connections).map_err(|e| ("build", e.to_string()))?;
    let name = scaler.metric_specs()[0].name.clone();
    scaler
        .metrics_and_activity(&name, Utc::now())
        .await
        .map(|r| r.value.as_f64())
        .map_err(|e| ("read", e.to_string()))
}

/// Checks one row's outcome, and that no error carries a private key, whole or in part.
fn check(what: &str, got: Result<f64, (&'static str, String)>, want: &Want, keys: &[&str]) {
    if let Err((_, message)) = &got {
        assert!(!message.contains("PRIVATE KEY"), "{what}: {message}");
        for key in keys {
            for line in key
                .lines()
                .filter(|l| l.len() >= 16 && !l.starts_with("-----"))
            {
                assert!(!message.contains(line), "{what}: key material in {message}");
            }
        }
    }
    match (&got, want) {
        (Ok(v), Want::Value(w)) if v == w => {}
        (Err(("read", message)), Want::ReadError(fragments)) => {
            let lower = message.to_lowercase();
            for fragment in *fragments {
                assert!(lower.contains(fragment), "{what}: {message}");
            }
        }
        (Err(("build", message)), Want::BuildError(fragment)) => {
            assert!(message.contains(fragment), "{what}: {message}");
        }
        _ => panic!("{what}: got {got:?}, want {want:?}"),
    }
}

fn prometheus_trigger(
    server: &HttpsServer,
    metadata: &[(&str, &str)],
    auth: Vec<(String, String)>,
) -> TriggerContext {
    TriggerContext::new("prometheus", 0)
        .with_metadata([
            ("serverAddress", server.base_url.as_str()),
            ("query", "sum(up)"),
            ("threshold", "1"),
        ])
        .with_metadata(metadata.iter().copied())
        .with_auth_params(auth)
}

/// Runs `rows` against `server`, all through one `Connections`: a client cached for one TLS setup
/// must never serve another.
async fn run_prometheus_rows(server: &HttpsServer, pki: &Pki, other: &Pki, rows: Vec<Row>) {
    kedars_scalers::tls::install_crypto_provider();
    let connections = Connections::new(Duration::from_secs(3));
    let keys = [pki.client_key_pem.as_str(), other.client_key_pem.as_str()];
    for (what, metadata, material, want) in rows {
        let ctx = prometheus_trigger(server, &metadata, auth_params(pki, other, &material));
        check(what, outcome(&ctx, &connections).await, &want, &keys);
    }
}

#[tokio::test]
async fn prometheus_server_verification() {
    let (pki, other) = (Pki::generate(), Pki::generate());
    let server = HttpsServer::start(&pki, false, PROMETHEUS_BODY).await;
    let rows: Vec<Row> = vec![
        // Our CA is in no system store: the handshake fails and says why.
        (
            "no ca",
            vec![],
            vec![],
            Want::ReadError(&[
                "connection failed",
                "invalid peer certificate",
                "unknownissuer",
            ]),
        ),
        // `ca` in authParams is trusted, without any authMode.
        (
            "ca in authParams",
            vec![],
            vec![Material::Ca],
            Want::Value(4.0),
        ),
        // unsafeSsl skips verification altogether.
        (
            "unsafeSsl without ca",
            vec![("unsafeSsl", "true")],
            vec![],
            Want::Value(4.0),
        ),
        // A CA that did not sign the server's certificate is no help.
        (
            "wrong ca",
            vec![],
            vec![Material::WrongCa],
            Want::ReadError(&[
                "connection failed",
                "invalid peer certificate",
                "unknownissuer",
            ]),
        ),
        // A client certificate offered to a server that does not ask for one is harmless.
        (
            "authModes tls to a server without client auth",
            vec![],
            vec![Material::Ca, Material::ClientCert],
            Want::Value(4.0),
        ),
    ];
    run_prometheus_rows(&server, &pki, &other, rows).await;
}

#[tokio::test]
async fn prometheus_client_certificates() {
    let (pki, other) = (Pki::generate(), Pki::generate());
    let server = HttpsServer::start(&pki, true, PROMETHEUS_BODY).await;
    let with_tls_mode = || vec![("authModes", "tls")];
    let rows: Vec<Row> = vec![
        // authModes tls with cert and key, and the CA: mutual TLS works.
        (
            "authModes tls with cert, key and ca",
            with_tls_mode(),
            vec![Material::Ca, Material::ClientCert],
            Want::Value(4.0),
        ),
        // Without a client certificate the server ends the handshake.
        (
            "ca but no client certificate",
            vec![],
            vec![Material::Ca],
            Want::ReadError(&["connection failed", "certificaterequired"]),
        ),
        // cert and key without authModes tls are not sent, as in KEDA: the mode turns them on.
        (
            "cert and key without authModes tls",
            vec![],
            vec![Material::Ca, Material::ClientCert],
            Want::ReadError(&["connection failed", "certificaterequired"]),
        ),
        // A client certificate from a CA the server does not trust is refused.
        (
            "client certificate from another CA",
            with_tls_mode(),
            vec![Material::Ca, Material::ForeignClientCert],
            Want::ReadError(&["connection failed", "unknownca"]),
        ),
        // A key that does not belong to the certificate is refused when the scaler is built,
        // before any connection, naming both fields.
        (
            "key not matching the certificate",
            with_tls_mode(),
            vec![Material::Ca, Material::MismatchedKey],
            Want::BuildError(
                "parameters \"cert\" and \"key\" are invalid: the key does not belong",
            ),
        ),
    ];
    run_prometheus_rows(&server, &pki, &other, rows).await;
    assert_eq!(
        server.client_certs_seen(),
        vec![true],
        "exactly one handshake completed, and it presented our client certificate"
    );
}

/// KEDA builds a separate transport when `ca` or authMode tls is set and does not apply
/// `unsafeSsl` to it, so a wrong CA fails there even with `unsafeSsl: "true"`. kedars honours
/// `unsafeSsl` whatever else is set (docs/compat.md).
#[tokio::test]
async fn prometheus_unsafe_ssl_is_honoured_even_with_a_custom_ca_unlike_keda() {
    let (pki, other) = (Pki::generate(), Pki::generate());
    let plain = HttpsServer::start(&pki, false, PROMETHEUS_BODY).await;
    let mutual = HttpsServer::start(&pki, true, PROMETHEUS_BODY).await;
    let unsafe_ssl = || vec![("unsafeSsl", "true")];
    let unsafe_tls = || vec![("unsafeSsl", "true"), ("authModes", "tls")];
    // A wrong ca with unsafeSsl: verification is skipped, the value is read.
    let rows: Vec<Row> = vec![(
        "unsafeSsl with a wrong ca",
        unsafe_ssl(),
        vec![Material::WrongCa],
        Want::Value(4.0),
    )];
    run_prometheus_rows(&plain, &pki, &other, rows).await;
    // The same with a client certificate: unsafeSsl still applies on the mutual-TLS transport.
    let rows: Vec<Row> = vec![(
        "unsafeSsl with a wrong ca and a client certificate",
        unsafe_tls(),
        vec![Material::WrongCa, Material::ClientCert],
        Want::Value(4.0),
    )];
    run_prometheus_rows(&mutual, &pki, &other, rows).await;
}

fn redis_trigger(
    server: &RedisTlsServer,
    list: &str,
    metadata: &[(&str, &str)],
    auth: Vec<(String, String)>,
) -> TriggerContext {
    TriggerContext::new("redis", 0)
        .with_metadata([("address", server.address().as_str()), ("listName", list)])
        .with_metadata(metadata.iter().copied())
        .with_auth_params(auth)
}

/// Starts a TLS-only redis-server, puts `length` items in a fresh list through a client of its
/// own, and runs `rows` against it through one `Connections`.
async fn run_redis_rows(client_auth: ClientAuth, length: usize, rows: Vec<Row>) {
    kedars_scalers::tls::install_crypto_provider();
    let (pki, other) = (Pki::generate(), Pki::generate());
    let server = RedisTlsServer::start(&pki, client_auth).await;
    let list = unique("tls-list");
    let mut admin = server.admin(&pki).await;
    for i in 0..length {
        let _: () = admin.rpush(&list, i).await.unwrap();
    }
    let connections = Connections::new(Duration::from_secs(3));
    let keys = [pki.client_key_pem.as_str(), other.client_key_pem.as_str()];
    for (what, metadata, material, want) in rows {
        let ctx = redis_trigger(
            &server,
            &list,
            &metadata,
            auth_params(&pki, &other, &material),
        );
        check(what, outcome(&ctx, &connections).await, &want, &keys);
    }
}

#[tokio::test]
async fn redis_server_verification() {
    let tls_on = || vec![("enableTLS", "true")];
    let rows: Vec<Row> = vec![
        // enableTLS in metadata with the CA: the list's length is read.
        (
            "enableTLS with ca",
            tls_on(),
            vec![Material::Ca],
            Want::Value(3.0),
        ),
        // The TriggerAuthentication's `tls: enable` works the same.
        (
            "tls=enable in authParams with ca",
            vec![],
            vec![Material::TlsEnable, Material::Ca],
            Want::Value(3.0),
        ),
        // unsafeSsl skips verification: no CA needed.
        (
            "unsafeSsl without ca",
            vec![("enableTLS", "true"), ("unsafeSsl", "true")],
            vec![],
            Want::Value(3.0),
        ),
        // Our CA is in no system store: a clear connection error.
        (
            "no ca and no unsafeSsl",
            tls_on(),
            vec![],
            Want::ReadError(&[
                "connection failed",
                "invalid peer certificate",
                "unknownissuer",
            ]),
        ),
        // A CA that did not sign the server's certificate is no help.
        (
            "wrong ca",
            tls_on(),
            vec![Material::WrongCa],
            Want::ReadError(&[
                "connection failed",
                "invalid peer certificate",
                "unknownissuer",
            ]),
        ),
        // KEDA applies unsafeSsl to redis whatever the CA, and so does kedars.
        (
            "unsafeSsl with a wrong ca",
            vec![("enableTLS", "true"), ("unsafeSsl", "true")],
            vec![Material::WrongCa],
            Want::Value(3.0),
        ),
        // Plain RESP to a TLS-only port fails (within the timeout), it does not read zero.
        (
            "no TLS at all",
            vec![],
            vec![],
            Want::ReadError(&["redis: connection failed"]),
        ),
    ];
    run_redis_rows(ClientAuth::Optional, 3, rows).await;
}

#[tokio::test]
async fn redis_client_certificates() {
    let tls_on = || vec![("enableTLS", "true")];
    let rows: Vec<Row> = vec![
        // cert and key in authParams, with the CA: the server accepts the client.
        (
            "client cert, key and ca",
            tls_on(),
            vec![Material::Ca, Material::ClientCert],
            Want::Value(2.0),
        ),
        // Without a client certificate the server refuses the connection.
        (
            "ca but no client certificate",
            tls_on(),
            vec![Material::Ca],
            Want::ReadError(&["connection failed", "certificaterequired"]),
        ),
        // A client certificate from a CA the server does not trust is refused.
        (
            "client certificate from another CA",
            tls_on(),
            vec![Material::Ca, Material::ForeignClientCert],
            Want::ReadError(&["connection failed", "unknownca"]),
        ),
        // A key that does not belong to the certificate: an error before any handshake.
        (
            "key not matching the certificate",
            tls_on(),
            vec![Material::Ca, Material::MismatchedKey],
            Want::ReadError(&["redis: connection failed", "keymismatch"]),
        ),
    ];
    run_redis_rows(ClientAuth::Required, 2, rows).await;
}
