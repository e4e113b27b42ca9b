//! The external metrics API's TLS flags, the same for `kedars metrics-server` and the operator's
//! all-in-one mode: a serving certificate (or a self-signed one), and who may call — clients
//! signed by the given CAs (the aggregator's proxy certificate is signed by the API server's
//! requestheader CA), or, only when asked for, anyone.

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;

use crate::metrics_api::tls::{self, ClientAuth, TlsError};

#[derive(Debug, Clone, Args)]
pub struct ServingTlsArgs {
    /// Serving certificate (PEM); with --tls-private-key-file. Default: a self-signed pair.
    #[arg(long, requires = "tls_private_key_file")]
    pub tls_cert_file: Option<PathBuf>,
    #[arg(long, requires = "tls_cert_file")]
    pub tls_private_key_file: Option<PathBuf>,
    /// CA that signs client certificates allowed to read metrics.
    #[arg(long)]
    pub client_ca_file: Option<PathBuf>,
    /// CA of the aggregator's proxy client certificate (the API server's
    /// --requestheader-client-ca-file).
    #[arg(long)]
    pub requestheader_client_ca_file: Option<PathBuf>,
    /// Serve any client, authenticated or not. Only for local experiments.
    #[arg(long)]
    pub insecure_allow_any_client: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ServingTlsError {
    #[error(
        "client authentication needs --client-ca-file or --requestheader-client-ca-file; pass \
         --insecure-allow-any-client to serve anyone"
    )]
    NoClientAuth,
    #[error(transparent)]
    Tls(#[from] TlsError),
}

impl ServingTlsArgs {
    /// Who may call: refuses to guess when no CA is given and anyone was not asked for.
    pub fn client_auth(&self) -> Result<ClientAuth, ServingTlsError> {
        let cas: Vec<PathBuf> = [&self.client_ca_file, &self.requestheader_client_ca_file]
            .into_iter()
            .flatten()
            .cloned()
            .collect();
        match (cas.is_empty(), self.insecure_allow_any_client) {
            (false, _) => Ok(ClientAuth::SignedBy(cas)),
            (true, true) => Ok(ClientAuth::Anyone),
            (true, false) => Err(ServingTlsError::NoClientAuth),
        }
    }

    /// The server's rustls configuration from these flags.
    pub fn server_config(&self) -> Result<Arc<rustls::ServerConfig>, ServingTlsError> {
        let clients = self.client_auth()?;
        let identity = match (&self.tls_cert_file, &self.tls_private_key_file) {
            (Some(cert), Some(key)) => tls::identity_from_files(cert, key)?,
            _ => tls::self_signed(&[])?,
        };
        Ok(tls::server_config(identity, &clients)?)
    }
}
