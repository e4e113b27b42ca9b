//! The `keda.sh/v1alpha1` API, as users write it: ScaledObject, ScaledJob,
//! TriggerAuthentication and ClusterTriggerAuthentication, with their CRDs.

pub mod annotations;
pub mod conditions;
pub mod crds;
pub mod scaled_job;
pub mod scaled_object;
pub mod trigger;
pub mod trigger_auth;
pub mod validation;

pub use scaled_job::{ScaledJob, ScaledJobSpec};
pub use scaled_object::{ScaledObject, ScaledObjectSpec, ScaledObjectStatus};
pub use trigger::{AuthenticationRef, ScaleTrigger};
pub use trigger_auth::{
    ClusterTriggerAuthentication, TriggerAuthentication, TriggerAuthenticationSpec,
};

/// The API group and version every kind here belongs to.
pub const GROUP: &str = "keda.sh";
pub const VERSION: &str = "v1alpha1";
pub const API_VERSION: &str = "keda.sh/v1alpha1";
