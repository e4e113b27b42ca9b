//! TLS fixtures made afresh for each test: a throwaway CA with a server and a client certificate,
//! an HTTPS server that answers every request with one fixed body (optionally requiring a client
//! certificate), and a private TLS-only redis-server child process.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use redis::IntoConnectionInfo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate, all PEM.
pub struct Pki {
    pub ca_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
    pub client_cert_pem: String,
    pub client_key_pem: String,
}

impl Pki {
    pub fn generate() -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
        // A name of its own, so a certificate from another Pki's CA is "unknown issuer", not a
        // bad signature from a CA of the same name.
        ca_params
            .distinguished_name
            .push(DnType::CommonName, super::unique("kedars test CA"));
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let ca = Issuer::new(ca_params, ca_key);
        let (server_cert_pem, server_key_pem) = leaf(
            &ca,
            &["127.0.0.1", "localhost"],
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client_cert_pem, client_key_pem) =
            leaf(&ca, &["scaler"], ExtendedKeyUsagePurpose::ClientAuth);
        Pki {
            ca_pem: ca_cert.pem(),
            server_cert_pem,
            server_key_pem,
            client_cert_pem,
            client_key_pem,
        }
    }

    fn server_config(&self, require_client_cert: bool) -> ServerConfig {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .unwrap();
        let builder = if require_client_cert {
            let mut roots = RootCertStore::empty();
            roots.add(der(&self.ca_pem)).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        } else {
            builder.with_no_client_auth()
        };
        builder
            .with_single_cert(
                vec![der(&self.server_cert_pem)],
                PrivateKeyDer::from_pem_slice(self.server_key_pem.as_bytes()).unwrap(),
            )
            .unwrap()
    }
}

fn leaf(
    ca: &Issuer<'_, KeyPair>,
    names: &[&str],
    usage: ExtendedKeyUsagePurpose,
) -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    let mut params = CertificateParams::new(names.clone()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, &names[0]);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![usage];
    params.use_authority_key_identifier_extension = true;
    let cert = params.signed_by(&key, ca).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn der(pem: &str) -> CertificateDer<'static> {
    CertificateDer::from_pem_slice(pem.as_bytes()).unwrap()
}

/// An HTTPS server on 127.0.0.1 that answers every request with `200` and a fixed JSON body. It
/// records, per completed handshake, whether the client presented a certificate.
pub struct HttpsServer {
    pub base_url: String,
    client_certs: Arc<Mutex<Vec<bool>>>,
    task: JoinHandle<()>,
}

impl HttpsServer {
    pub async fn start(pki: &Pki, require_client_cert: bool, body: &str) -> HttpsServer {
        let acceptor = TlsAcceptor::from(Arc::new(pki.server_config(require_client_cert)));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base_url = format!("https://{}", listener.local_addr().unwrap());
        let response = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
             connection: close\r\n\r\n{body}",
            body.len()
        );
        let client_certs = Arc::new(Mutex::new(Vec::new()));
        let seen = client_certs.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    return;
                };
                let (acceptor, response, seen) = (acceptor.clone(), response.clone(), seen.clone());
                tokio::spawn(async move {
                    // A failed handshake (the client distrusts us, or has no certificate for us)
                    // is the client's error to report; the server just drops the connection.
                    let Ok(mut tls) = acceptor.accept(socket).await else {
                        return;
                    };
                    let presented = tls.get_ref().1.peer_certificates().is_some();
                    seen.lock().unwrap().push(presented);
                    let mut head = Vec::new();
                    let mut buf = [0u8; 4096];
                    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                        match tls.read(&mut buf).await {
                            Ok(0) | Err(_) => return,
                            Ok(n) => head.extend_from_slice(&buf[..n]),
                        }
                    }
                    let _ = tls.write_all(response.as_bytes()).await;
                    let _ = tls.shutdown().await;
                });
            }
        });
        HttpsServer {
            base_url,
            client_certs,
            task,
        }
    }

    /// For each connection that completed its handshake: did the client present a certificate?
    pub fn client_certs_seen(&self) -> Vec<bool> {
        self.client_certs.lock().unwrap().clone()
    }
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How a private redis-server treats client certificates (`--tls-auth-clients`).
#[derive(Debug, Clone, Copy)]
pub enum ClientAuth {
    Optional,
    Required,
}

/// A redis-server of its own, listening only for TLS on 127.0.0.1, with the certificates of a
/// [`Pki`]; killed, and its directory removed, on drop.
pub struct RedisTlsServer {
    pub addr: SocketAddr,
    child: Child,
    dir: PathBuf,
}

impl RedisTlsServer {
    /// Starts the server and waits (bounded) until it answers a TLS PING.
    pub async fn start(pki: &Pki, client_auth: ClientAuth) -> RedisTlsServer {
        let dir = std::env::temp_dir().join(super::unique("kedars-redis-tls"));
        std::fs::create_dir_all(&dir).unwrap();
        for (name, pem) in [
            ("ca.pem", &pki.ca_pem),
            ("server.pem", &pki.server_cert_pem),
            ("server.key", &pki.server_key_pem),
        ] {
            std::fs::write(dir.join(name), pem).unwrap();
        }
        let auth_clients = match client_auth {
            ClientAuth::Optional => "optional",
            ClientAuth::Required => "yes",
        };
        // The port is picked free and handed over; if another process takes it in between,
        // redis-server exits and we try again with another.
        for _ in 0..3 {
            let addr = SocketAddr::from(([127, 0, 0, 1], free_port()));
            let mut child = Command::new("redis-server")
                .args(["--bind", "127.0.0.1", "--port", "0", "--tls-port"])
                .arg(addr.port().to_string())
                .arg("--tls-cert-file")
                .arg(dir.join("server.pem"))
                .arg("--tls-key-file")
                .arg(dir.join("server.key"))
                .arg("--tls-ca-cert-file")
                .arg(dir.join("ca.pem"))
                .args(["--tls-auth-clients", auth_clients])
                .args(["--save", "", "--appendonly", "no", "--dir"])
                .arg(&dir)
                .arg("--logfile")
                .arg(dir.join("redis.log"))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("redis-server is installed (scripts/test-services.sh installs it)");
            if wait_ready(&mut child, addr, pki).await {
                return RedisTlsServer { addr, child, dir };
            }
        }
        let log = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
        let _ = std::fs::remove_dir_all(&dir);
        panic!("TLS redis-server did not start; its log:\n{log}");
    }

    /// A connection that trusts the CA and presents the client certificate, independent of the
    /// scaler, for putting data in.
    pub async fn admin(&self, pki: &Pki) -> redis::aio::MultiplexedConnection {
        admin(self.addr, pki).await.unwrap()
    }

    pub fn address(&self) -> String {
        self.addr.to_string()
    }
}

impl Drop for RedisTlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// True once a TLS PING succeeds; false if the process exited first (it is then reaped). Panics
/// after 10 s.
async fn wait_ready(child: &mut Child, addr: SocketAddr, pki: &Pki) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if let Ok(mut conn) = admin(addr, pki).await
            && redis::cmd("PING")
                .query_async::<String>(&mut conn)
                .await
                .is_ok()
        {
            return true;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("TLS redis-server on {addr} not ready after 10 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn admin(
    addr: SocketAddr,
    pki: &Pki,
) -> redis::RedisResult<redis::aio::MultiplexedConnection> {
    kedars_scalers::tls::install_crypto_provider();
    let addr = redis::ConnectionAddr::TcpTls {
        host: addr.ip().to_string(),
        port: addr.port(),
        insecure: false,
        tls_params: None,
    };
    let certificates = redis::TlsCertificates {
        client_tls: Some(redis::ClientTlsConfig {
            client_cert: pki.client_cert_pem.clone().into_bytes(),
            client_key: pki.client_key_pem.clone().into_bytes(),
        }),
        root_cert: Some(pki.ca_pem.clone().into_bytes()),
    };
    let config = redis::AsyncConnectionConfig::new()
        .set_connection_timeout(Some(Duration::from_secs(2)))
        .set_response_timeout(Some(Duration::from_secs(2)));
    redis::Client::build_with_tls(addr.into_connection_info()?, certificates)?
        .get_multiplexed_async_connection_with_config(&config)
        .await
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
