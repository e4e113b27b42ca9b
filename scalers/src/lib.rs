//! The scalers: the [`Scaler`] contract, the trigger context a scaler is built from, KEDA's typed
//! parameter lookup, and one module per event source. No Kubernetes here: a scaler sees strings,
//! secrets and a clock, never a cluster.

pub mod auth;
pub mod connections;
pub mod context;
pub mod convert;
pub mod error;
pub mod metric_name;
pub mod params;
pub mod quantity;
pub mod redact;
pub mod registry;
pub mod scaler;
pub mod time_based;
pub mod tls;

pub mod cron;
pub mod mysql;
pub mod prometheus;
pub mod redis;
pub mod timetable;

pub use connections::Connections;
pub use context::{MetricType, TriggerContext};
pub use error::{BuildError, ParamProblem, ParseError, ScalerError};
pub use quantity::MilliQuantity;
pub use registry::{KNOWN_TYPES, build};
pub use scaler::{MetricSpec, Reading, Scaler};
pub use time_based::TimeBased;
