//! One HTTP client per distinct TLS setup, shared by every prometheus trigger that uses it
//! (reqwest pools connections per host inside a client).

use reqwest::{Certificate, Client, Identity};
use sha2::{Digest, Sha256};

use crate::auth::HttpAuth;
use crate::connections::Connections;

/// The client for this TLS setup, built on first use. The cache key is a digest, so it holds no
/// key material in clear.
pub fn shared_client(
    connections: &Connections,
    auth: &HttpAuth,
    unsafe_ssl: bool,
) -> Result<Client, String> {
    let mut digest = Sha256::new();
    digest.update([u8::from(unsafe_ssl)]);
    for part in [
        auth.ca_pem.as_deref(),
        auth.client_identity.as_ref().map(|i| i.cert_pem.as_str()),
        auth.client_identity.as_ref().map(|i| i.key_pem.as_str()),
    ] {
        digest.update(part.unwrap_or("").as_bytes());
        digest.update([0]);
    }
    let key = format!("{:x}", digest.finalize());
    connections
        .http
        .get_or_try_insert_with(&key, || build_client(auth, unsafe_ssl))
}

fn build_client(auth: &HttpAuth, unsafe_ssl: bool) -> Result<Client, String> {
    crate::tls::install_crypto_provider();
    let mut builder = Client::builder().tls_danger_accept_invalid_certs(unsafe_ssl);
    if let Some(ca) = &auth.ca_pem {
        let certs = Certificate::from_pem_bundle(ca.as_bytes())
            .ok()
            .filter(|c| !c.is_empty())
            .ok_or("parameter \"ca\" is invalid: expected PEM certificates")?;
        for cert in certs {
            builder = builder.add_root_certificate(cert);
        }
    }
    if let Some(identity) = &auth.client_identity {
        let pem = format!("{}\n{}", identity.cert_pem, identity.key_pem);
        let identity = Identity::from_pem(pem.as_bytes()).map_err(|_| {
            "parameters \"cert\" and \"key\" are invalid: expected a PEM certificate and its \
             PEM private key"
        })?;
        builder = builder.identity(identity);
    }
    let has_identity = auth.client_identity.is_some();
    builder.build().map_err(|e| {
        let cause = crate::error::with_causes(&e.without_url());
        // rustls checks that the key belongs to the certificate only here.
        if has_identity && cause.contains("KeyMismatch") {
            "parameters \"cert\" and \"key\" are invalid: the key does not belong to the \
             certificate"
                .to_string()
        } else {
            format!("cannot build the HTTP client: {cause}")
        }
    })
}
