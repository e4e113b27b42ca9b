//! Connections shared by every scaler that talks to the same endpoint: ten ScaledObjects reading
//! ten lists on one Redis use one multiplexed connection, not ten.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::scaler::DEFAULT_TIMEOUT;

/// A map from an endpoint's identity (address, credentials, TLS settings: everything that makes
/// two connections not interchangeable) to its shared client. Keys may contain credentials, so
/// `Debug` shows only the count.
pub struct EndpointCache<V> {
    entries: Mutex<HashMap<String, V>>,
}

impl<V: Clone> EndpointCache<V> {
    pub fn get_or_insert_with(&self, key: &str, make: impl FnOnce() -> V) -> V {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.entry(key.to_string()).or_insert_with(make).clone()
    }

    /// Like [`Self::get_or_insert_with`], for clients whose construction can fail; a failure
    /// caches nothing.
    pub fn get_or_try_insert_with<E>(
        &self,
        key: &str,
        make: impl FnOnce() -> Result<V, E>,
    ) -> Result<V, E> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(existing) = entries.get(key) {
            return Ok(existing.clone());
        }
        let made = make()?;
        entries.insert(key.to_string(), made.clone());
        Ok(made)
    }

    pub fn len(&self) -> usize {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<V> Default for EndpointCache<V> {
    fn default() -> Self {
        EndpointCache {
            entries: Mutex::new(HashMap::new()),
        }
    }
}

impl<V> fmt::Debug for EndpointCache<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.entries.lock().map(|e| e.len()).unwrap_or(0);
        write!(f, "EndpointCache({n} endpoints)")
    }
}

/// Every shared client, one per endpoint, for the whole process.
#[derive(Debug)]
pub struct Connections {
    pub(crate) redis: EndpointCache<Arc<crate::redis::Endpoint>>,
    pub(crate) mysql: EndpointCache<mysql_async::Pool>,
    pub(crate) http: EndpointCache<reqwest::Client>,
    default_timeout: Duration,
}

impl Connections {
    /// `default_timeout` bounds each query of a scaler without a `timeout` key of its own
    /// (KEDA's `KEDA_HTTP_DEFAULT_TIMEOUT`).
    pub fn new(default_timeout: Duration) -> Arc<Self> {
        Arc::new(Connections {
            redis: EndpointCache::default(),
            mysql: EndpointCache::default(),
            http: EndpointCache::default(),
            default_timeout,
        })
    }

    pub fn default_timeout(&self) -> Duration {
        self.default_timeout
    }

    /// How many distinct endpoints have clients, per kind (for tests and diagnostics).
    pub fn endpoint_counts(&self) -> EndpointCounts {
        EndpointCounts {
            redis: self.redis.len(),
            mysql: self.mysql.len(),
            http: self.http.len(),
        }
    }
}

impl Default for Connections {
    fn default() -> Self {
        Arc::into_inner(Connections::new(DEFAULT_TIMEOUT)).expect("fresh Arc has one owner")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndpointCounts {
    pub redis: usize,
    pub mysql: usize,
    pub http: usize,
}
