//! What the operator writes to the cluster, as pure functions: the HPA for a ScaledObject and
//! the metrics of `cpu`/`memory` triggers (the kube-runtime reconciler comes later).

pub mod hpa;
pub mod resource_metrics;
