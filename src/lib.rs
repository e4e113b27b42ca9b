//! kedars: an event-driven autoscaler for Kubernetes that accepts KEDA's `keda.sh/v1alpha1`
//! manifests. The scalers live in the `kedars-scalers` crate; this crate grows the API types,
//! engine, controller, metrics API and CLI around them.

pub mod api;
pub mod autoscaling;
pub mod cli;
pub mod controller;
pub mod engine;
pub mod feed;
pub mod manifest;
pub mod metrics_api;
pub mod resolve;
pub mod simulate;

pub use kedars_scalers as scalers;
