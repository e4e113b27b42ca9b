//! The servers under load: kedars' router served exactly as production serves it, and a bare
//! hyper server answering a fixed body over the same transport — the machine's ceiling for
//! this kind of request, measured in the same run so the ratio survives a noisy machine. Between
//! the two, production's serving path (`serve_tls`, hyper-util, axum) answering the fixed body
//! tells the server's share of the gap from the engine's.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::CONTENT_TYPE;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use kedars::metrics_api::{server, tls};
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// How clients reach the servers: TLS as in production, or plain HTTP to see TLS's share.
#[derive(Clone)]
pub enum Transport {
    Tls {
        server: Arc<rustls::ServerConfig>,
        client: TlsConnector,
    },
    Plain,
}

impl Transport {
    /// The production server configuration (self-signed pair, no client certificates: local
    /// mode's settings) and a client that trusts that certificate and speaks HTTP/1.1 only.
    pub fn tls() -> Transport {
        kedars::scalers::tls::install_crypto_provider();
        let identity = tls::self_signed(&[]).expect("a self-signed certificate");
        let mut roots = rustls::RootCertStore::empty();
        for cert in &identity.cert_chain {
            roots.add(cert.clone()).expect("a usable certificate");
        }
        let server = tls::server_config(identity, &tls::ClientAuth::Anyone).expect("TLS config");
        let mut client = rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth();
        client.alpn_protocols = vec![b"http/1.1".to_vec()];
        Transport::Tls {
            server,
            client: TlsConnector::from(Arc::new(client)),
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Transport::Tls { .. } => {
                "HTTPS (rustls, ring, self-signed certificate, no client auth)"
            }
            Transport::Plain => "plain HTTP",
        }
    }

    pub fn server_name() -> ServerName<'static> {
        ServerName::try_from("localhost").expect("a DNS name")
    }
}

async fn listen() -> (TcpListener, SocketAddr) {
    let listener = server::bind("127.0.0.1:0".parse().expect("an address"))
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("a bound address");
    (listener, addr)
}

/// Serves `router` until the runtime stops: over TLS with the product's own `serve_tls`; plain,
/// with the same connection handling minus the handshake.
pub async fn start_kedars(transport: &Transport, router: Router) -> SocketAddr {
    let (listener, addr) = listen().await;
    match transport {
        Transport::Tls { server: config, .. } => {
            let serve = server::serve_tls(listener, config.clone(), router, std::future::pending());
            tokio::spawn(serve);
        }
        Transport::Plain => {
            tokio::spawn(serve_router_plain(listener, router));
        }
    }
    addr
}

/// An axum router answering every request with `body`, as JSON: production's plumbing without
/// the engine.
pub fn fixed_body_router(body: Bytes) -> Router {
    Router::new().fallback(move || {
        let body = body.clone();
        async move { ([(CONTENT_TYPE, "application/json")], body) }
    })
}

async fn serve_router_plain(listener: TcpListener, router: Router) {
    while let Ok((stream, _)) = listener.accept().await {
        let service = TowerToHyperService::new(router.clone());
        tokio::spawn(async move {
            let builder = auto::Builder::new(TokioExecutor::new());
            let _ = builder
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// A bare HTTP/1.1 server answering every request with `body` (as JSON, like the router).
pub async fn start_bare(transport: &Transport, body: Bytes) -> SocketAddr {
    let (listener, addr) = listen().await;
    let acceptor = match transport {
        Transport::Tls { server: config, .. } => Some(TlsAcceptor::from(config.clone())),
        Transport::Plain => None,
    };
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let body = body.clone();
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                match acceptor {
                    Some(acceptor) => {
                        if let Ok(tls_stream) = acceptor.accept(stream).await {
                            serve_fixed(tls_stream, body).await;
                        }
                    }
                    None => serve_fixed(stream, body).await,
                }
            });
        }
    });
    addr
}

async fn serve_fixed<S>(stream: S, body: Bytes)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = service_fn(move |_request: Request<Incoming>| {
        let response = Response::builder()
            .header(CONTENT_TYPE, "application/json")
            .body(Full::new(body.clone()))
            .expect("a fixed response");
        async move { Ok::<_, Infallible>(response) }
    });
    let _ = hyper::server::conn::http1::Builder::new()
        .serve_connection(TokioIo::new(stream), service)
        .await;
}
