//! The scaling engine, independent of Kubernetes: what the triggers say, and what to do about it.

pub mod build;
pub mod clock;
pub mod executor;
pub mod fallback;
pub mod modifiers;
pub mod opening_readiness;
pub mod registry;
pub mod scale_loop;
pub mod scaled_object;
pub mod state;
pub mod target;
pub mod trigger;

#[cfg(test)]
mod tests;
