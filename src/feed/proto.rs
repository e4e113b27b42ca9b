//! Code generated from proto/metrics_feed.proto by build.rs.
#![allow(clippy::all, clippy::pedantic, missing_docs)]

tonic::include_proto!("kedars.feed.v1");
