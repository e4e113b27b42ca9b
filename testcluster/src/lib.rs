//! kedars-testcluster: an in-process Kubernetes API server test double that speaks the real
//! HTTP/JSON protocol (discovery, CRUD, patches, watches, status and scale subresources,
//! finalizers and garbage collection) so that kubectl, kube-rs and the kedars binaries can run
//! against it. Dev-only; never part of the shipped binary. See README.md for what it does not
//! implement.

mod builtin;
pub mod cluster;
pub mod crd;
mod defaults;
pub mod error;
mod events;
pub mod faults;
mod jsonpath;
mod kinds;
pub mod kubeconfig;
pub mod meta;
pub mod ops;
pub mod patch;
mod printers;
mod proto;
pub mod registry;
mod schema;
pub mod selector;
mod server;
pub mod store;
mod table;
pub mod watch;
mod workloads;

pub use cluster::{Config, Gvr, Shared, TestCluster};
pub use error::{ApiError, ApiResult};
pub use faults::{Faults, Matcher};
pub use patch::PatchType;
pub use watch::{Watch, WatchItem};
