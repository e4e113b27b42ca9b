//! Leader election on a coordination.k8s.io Lease: only the holder reconciles and scales, so two
//! operator replicas never both act. Writes use the Lease's resourceVersion: of two candidates
//! racing for an expired lease, the API server lets exactly one win.

use std::time::Duration;

use chrono::{DateTime, Utc};
use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use kube::Api;
use kube::api::PostParams;

#[derive(Debug, Clone)]
pub struct LeaseConfig {
    pub namespace: String,
    pub name: String,
    pub identity: String,
    /// A holder that has not renewed for this long has lost the lease.
    pub duration: Duration,
    /// How often the holder renews, and a candidate retries.
    pub retry: Duration,
}

pub struct LeaderElection {
    api: Api<Lease>,
    config: LeaseConfig,
}

fn micro_time(t: DateTime<Utc>) -> MicroTime {
    let timestamp = k8s_openapi::jiff::Timestamp::from_microsecond(t.timestamp_micros())
        .expect("a representable time");
    MicroTime(timestamp)
}

fn to_chrono(t: &MicroTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_micros(t.0.as_microsecond())
}

impl LeaderElection {
    pub fn new(client: kube::Client, config: LeaseConfig) -> Self {
        LeaderElection {
            api: Api::namespaced(client, &config.namespace),
            config,
        }
    }

    /// Waits until this process holds the lease.
    pub async fn acquire(&self) {
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => {
                    tracing::info!(lease = %self.config.name, "acquired the lease: leading");
                    return;
                }
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "leader election"),
            }
            tokio::time::sleep(self.config.retry).await;
        }
    }

    /// Renews until a renewal fails for longer than the lease lasts; then returns (leadership
    /// lost: the caller must stop acting at once).
    pub async fn hold(&self) {
        let mut last_renewed = tokio::time::Instant::now();
        loop {
            tokio::time::sleep(self.config.retry).await;
            match self.try_acquire_or_renew().await {
                Ok(true) => last_renewed = tokio::time::Instant::now(),
                Ok(false) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot renew the lease");
                    if last_renewed.elapsed() >= self.config.duration {
                        return;
                    }
                }
            }
        }
    }

    /// Gives the lease up (on shutdown) so a standby takes over without waiting for expiry.
    pub async fn release(&self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.config.name).await else {
            return;
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if spec.holder_identity.as_deref() != Some(self.config.identity.as_str()) {
            return;
        }
        spec.holder_identity = None;
        spec.renew_time = None;
        if let Err(e) = self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await
        {
            tracing::warn!(error = %e, "cannot release the lease");
        }
    }

    /// `Ok(true)` when this process holds the lease after the call.
    async fn try_acquire_or_renew(&self) -> Result<bool, kube::Error> {
        let now = Utc::now();
        let seconds = i32::try_from(self.config.duration.as_secs()).unwrap_or(i32::MAX);
        let Some(mut lease) = self.api.get_opt(&self.config.name).await? else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.config.name.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(self.config.identity.clone()),
                    lease_duration_seconds: Some(seconds),
                    acquire_time: Some(micro_time(now)),
                    renew_time: Some(micro_time(now)),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
                Err(e) => Err(e),
            };
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        let mine = spec.holder_identity.as_deref() == Some(self.config.identity.as_str());
        let held_by_other = spec
            .holder_identity
            .as_deref()
            .is_some_and(|h| !h.is_empty())
            && !mine;
        let expired = spec
            .renew_time
            .as_ref()
            .and_then(to_chrono)
            .is_none_or(|renewed| {
                let duration = spec.lease_duration_seconds.unwrap_or(seconds);
                renewed + chrono::Duration::seconds(duration.into()) < now
            });
        if held_by_other && !expired {
            return Ok(false);
        }
        if !mine {
            spec.acquire_time = Some(micro_time(now));
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
            spec.holder_identity = Some(self.config.identity.clone());
        }
        spec.renew_time = Some(micro_time(now));
        spec.lease_duration_seconds = Some(seconds);
        match self
            .api
            .replace(&self.config.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => Ok(true),
            Err(kube::Error::Api(s)) if s.code == 409 => Ok(false),
            Err(e) => Err(e),
        }
    }
}
