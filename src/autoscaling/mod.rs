//! The HorizontalPodAutoscaler's algorithm (upstream `pkg/controller/podautoscaler`,
//! `horizontal.go` and `replica_calculator.go`, autoscaling/v2), so that `kedars run` and
//! `kedars simulate` can say what the HPA would do with the values served, and so that the test
//! cluster's simulated HPA controller does what the real one does.
//!
//! [`hpa::sync`] is one sync of one HPA as a pure function: the caller passes the time, the
//! target's replicas, the HPA's spec and what it read for each metric, and keeps an
//! [`HpaState`] per HPA between syncs (recommendations for stabilization windows, scale events
//! for policies' periods). [`replicas::desired`] is the memoryless shortcut for a snapshot.

pub mod behavior;
pub mod calc;
mod history;
pub mod hpa;
pub mod metrics;
mod normalize;
mod pod_sources;
pub mod quantity;
pub mod replicas;
mod sources;
pub mod status;

pub use behavior::default_behavior;
pub use calc::{PodSample, Tolerances};
pub use history::HpaState;
pub use hpa::{Condition, SyncInput, SyncOutcome, get_scale_failed, rescale_failed, sync};
pub use metrics::Reading;
pub use status::{apply_status, merge_conditions};
