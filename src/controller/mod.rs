//! What the operator writes to the cluster, as pure functions: the HPA for a ScaledObject and
//! the metrics of `cpu`/`memory` triggers (the kube-runtime reconciler comes later).

pub mod auth_watch;
pub mod context;
pub mod finalize;
pub mod hpa;
pub mod leader;
pub mod metrics;
pub mod objects;
pub mod owned_hpa_changes;
pub mod pause;
pub mod reconcile;
pub mod reporter;
pub mod resource_metrics;
pub mod scale;
pub mod scheduled_capacity;
pub mod status;
