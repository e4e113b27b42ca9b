//! The HorizontalPodAutoscaler's algorithm (upstream `pkg/controller/podautoscaler`), so that
//! `kedars run` and `kedars simulate` can say what the HPA would do with the values served.

pub mod replicas;
