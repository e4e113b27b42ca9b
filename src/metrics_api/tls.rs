//! The server's TLS: its certificate (from files, or a self-signed pair made at start), and
//! client-certificate authentication, so that in a cluster only the API server's aggregator
//! (whose proxy certificate the request-header CA signs) can read metrics.

use std::path::Path;
use std::sync::Arc;

use rustls::RootCertStore;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path} holds no {what}")]
    Empty { path: String, what: &'static str },
    #[error("TLS configuration: {0}")]
    Config(String),
}

/// Who may call the server.
#[derive(Debug, Clone, Default)]
pub enum ClientAuth {
    /// Any client, authenticated or not: only for local mode on 127.0.0.1.
    #[default]
    Anyone,
    /// A certificate signed by one of these CAs (PEM files: `--client-ca-file` and the
    /// aggregator's `--requestheader-client-ca-file`).
    SignedBy(Vec<std::path::PathBuf>),
}

pub struct ServerIdentity {
    pub cert_chain: Vec<CertificateDer<'static>>,
    pub key: PrivateKeyDer<'static>,
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|e| TlsError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}

pub fn identity_from_files(cert: &Path, key: &Path) -> Result<ServerIdentity, TlsError> {
    let cert_chain = rustls_pemfile::certs(&mut read(cert)?.as_slice())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::Config(format!("{}: {e}", cert.display())))?;
    if cert_chain.is_empty() {
        return Err(TlsError::Empty {
            path: cert.display().to_string(),
            what: "PEM certificate",
        });
    }
    let key = rustls_pemfile::private_key(&mut read(key)?.as_slice())
        .map_err(|e| TlsError::Config(format!("{}: {e}", key.display())))?
        .ok_or_else(|| TlsError::Empty {
            path: key.display().to_string(),
            what: "PEM private key",
        })?;
    Ok(ServerIdentity { cert_chain, key })
}

/// A self-signed certificate for `localhost`, 127.0.0.1 and the given extra names.
pub fn self_signed(extra_names: &[String]) -> Result<ServerIdentity, TlsError> {
    let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
    names.extend(extra_names.iter().cloned());
    let certified =
        rcgen::generate_simple_self_signed(names).map_err(|e| TlsError::Config(e.to_string()))?;
    Ok(ServerIdentity {
        cert_chain: vec![certified.cert.der().clone()],
        key: PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into()),
    })
}

pub fn server_config(
    identity: ServerIdentity,
    clients: &ClientAuth,
) -> Result<Arc<rustls::ServerConfig>, TlsError> {
    kedars_scalers::tls::install_crypto_provider();
    let builder = rustls::ServerConfig::builder();
    let builder = match clients {
        ClientAuth::Anyone => builder.with_no_client_auth(),
        ClientAuth::SignedBy(ca_files) => {
            let mut roots = RootCertStore::empty();
            for file in ca_files {
                for cert in rustls_pemfile::certs(&mut read(file)?.as_slice()) {
                    let cert =
                        cert.map_err(|e| TlsError::Config(format!("{}: {e}", file.display())))?;
                    roots
                        .add(cert)
                        .map_err(|e| TlsError::Config(format!("{}: {e}", file.display())))?;
                }
            }
            if roots.is_empty() {
                return Err(TlsError::Config("no client CA certificate given".into()));
            }
            let verifier = WebPkiClientVerifier::builder(Arc::new(roots))
                .build()
                .map_err(|e| TlsError::Config(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
    };
    let mut config = builder
        .with_single_cert(identity.cert_chain, identity.key)
        .map_err(|e| TlsError::Config(e.to_string()))?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}
