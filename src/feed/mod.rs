//! The metrics feed between the operator and metrics-server processes (issue 6, "the split").
//!
//! KEDA's adapter asks the operator over gRPC on every HPA request, so a request waits on a
//! round-trip and, through it, on the sources. Here the operator pushes every poll's values to
//! each subscribed metrics-server ([`server`], fed by a [`hub::FeedHub`]), and a metrics-server
//! answers from the values it holds ([`client`]): a request never waits on the network. Both ends
//! authenticate each other with certificates.

pub mod client;
pub mod hub;
pub mod proto;
pub mod server;
pub mod values;
pub mod view;

#[cfg(test)]
mod parity_tests;

use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("metrics feed address {address:?}: {message}")]
    Address { address: String, message: String },
    #[error("metrics feed: {0}")]
    Transport(String),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl From<tonic::transport::Error> for FeedError {
    fn from(e: tonic::transport::Error) -> Self {
        FeedError::Transport(describe(&e))
    }
}

/// An error with its causes: tonic's own messages ("transport error") say little alone.
pub fn describe(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

fn read_pem(path: &Path) -> Result<Vec<u8>, FeedError> {
    std::fs::read(path).map_err(|e| FeedError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    })
}
