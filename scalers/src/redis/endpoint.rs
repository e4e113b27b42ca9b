//! One shared, lazily opened connection per Redis endpoint. A multiplexed connection serves every
//! trigger that reads from the same server with the same credentials; after an I/O error or a
//! timeout it is dropped, so the next query reconnects (and, behind sentinels, asks again which
//! server is the master).

use std::time::Duration;

use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::sentinel::{SentinelClientBuilder, SentinelServerType};
use redis::{
    AsyncConnectionConfig, Client, ClientTlsConfig, ConnectionAddr, IntoConnectionInfo,
    RedisConnectionInfo, RedisError, TlsCertificates, TlsMode,
};
use sha2::{Digest, Sha256};
use tokio::sync::Mutex;

use super::metadata::{RedisMetadata, Topology};

#[derive(Clone)]
pub enum Connection {
    Single(MultiplexedConnection),
    Cluster(ClusterConnection),
}

impl Connection {
    /// Runs a script that reads one key, routed to the key's node in a cluster.
    pub async fn run_script(
        &mut self,
        script: &redis::Script,
        key: &str,
    ) -> Result<i64, RedisError> {
        let invocation = script.key(key);
        match self {
            Connection::Single(c) => invocation.invoke_async(c).await,
            Connection::Cluster(c) => invocation.invoke_async(c).await,
        }
    }

    /// Used by tests to check the connection works; kept generic over both kinds.
    pub async fn ping(&mut self) -> Result<(), RedisError> {
        let cmd = redis::cmd("PING");
        match self {
            Connection::Single(c) => c.req_packed_command(&cmd).await.map(|_| ()),
            Connection::Cluster(c) => c.req_packed_command(&cmd).await.map(|_| ()),
        }
    }
}

pub struct Endpoint {
    metadata: RedisMetadata,
    connection: Mutex<Option<Connection>>,
}

impl Endpoint {
    pub fn new(metadata: RedisMetadata) -> Self {
        Endpoint {
            metadata,
            connection: Mutex::new(None),
        }
    }

    /// Everything that makes two endpoints' connections not interchangeable. Passwords and key
    /// material enter only through a digest.
    pub fn identity(md: &RedisMetadata) -> String {
        let mut secret = Sha256::new();
        for part in [
            md.password.as_deref(),
            md.sentinel.as_ref().and_then(|s| s.password.as_deref()),
            md.tls.as_ref().and_then(|t| t.ca_pem.as_deref()),
            md.tls.as_ref().and_then(|t| t.client_cert_pem.as_deref()),
            md.tls.as_ref().and_then(|t| t.client_key_pem.as_deref()),
        ] {
            secret.update(part.unwrap_or("\u{0}absent").as_bytes());
            secret.update([0]);
        }
        let database = match md.topology {
            Topology::Cluster => 0, // clusters have one database
            _ => md.database_index,
        };
        let addresses = match md.topology {
            Topology::Standalone => &md.addresses[..1],
            _ => &md.addresses[..],
        };
        format!(
            "{:?}|{:?}|{database}|{:?}|{:?}|{:?}|{:?}|{:x}",
            md.topology,
            addresses,
            md.username,
            md.tls.as_ref().map(|t| t.unsafe_ssl),
            md.sentinel.as_ref().map(|s| &s.master),
            md.sentinel.as_ref().map(|s| &s.username),
            secret.finalize()
        )
    }

    /// The shared connection, opened if there is none.
    pub async fn connection(&self, timeout: Duration) -> Result<Connection, RedisError> {
        let mut slot = self.connection.lock().await;
        if let Some(existing) = slot.as_ref() {
            return Ok(existing.clone());
        }
        let opened = connect(&self.metadata, timeout).await?;
        *slot = Some(opened.clone());
        Ok(opened)
    }

    /// Forgets the connection so the next query opens a new one.
    pub async fn reset(&self) {
        *self.connection.lock().await = None;
    }
}

async fn connect(md: &RedisMetadata, timeout: Duration) -> Result<Connection, RedisError> {
    crate::tls::install_crypto_provider();
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout));
    match md.topology {
        Topology::Standalone => {
            let (host, port) = md.addresses[0].clone();
            let client = client(md, host, port)?;
            let conn = client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            Ok(Connection::Single(conn))
        }
        Topology::Cluster => {
            let seeds: Vec<_> = md
                .addresses
                .iter()
                .map(|(h, p)| ConnectionAddr::Tcp(h.clone(), *p))
                .collect();
            let mut builder = redis::cluster::ClusterClientBuilder::new(seeds)
                .connection_timeout(timeout)
                .response_timeout(timeout)
                .retries(1);
            if let Some(u) = &md.username {
                builder = builder.username(u);
            }
            if let Some(p) = &md.password {
                builder = builder.password(p);
            }
            if let Some(tls) = &md.tls {
                builder = builder
                    .tls(tls_mode(tls.unsafe_ssl))
                    .certs(certificates(md));
            }
            let conn = builder.build()?.get_async_connection().await?;
            Ok(Connection::Cluster(conn))
        }
        Topology::Sentinel => {
            let sentinel = md.sentinel.clone().unwrap_or_default();
            let nodes: Vec<_> = md
                .addresses
                .iter()
                .map(|(h, p)| ConnectionAddr::Tcp(h.clone(), *p))
                .collect();
            let mut builder =
                SentinelClientBuilder::new(nodes, &sentinel.master, SentinelServerType::Master)?
                    .set_client_to_redis_db(md.database_index);
            if let Some(u) = &md.username {
                builder = builder.set_client_to_redis_username(u);
            }
            if let Some(p) = &md.password {
                builder = builder.set_client_to_redis_password(p);
            }
            if let Some(u) = &sentinel.username {
                builder = builder.set_client_to_sentinel_username(u);
            }
            if let Some(p) = &sentinel.password {
                builder = builder.set_client_to_sentinel_password(p);
            }
            if let Some(tls) = &md.tls {
                builder = builder
                    .set_client_to_redis_tls_mode(tls_mode(tls.unsafe_ssl))
                    .set_client_to_redis_certificates(certificates(md))
                    .set_client_to_sentinel_tls_mode(tls_mode(tls.unsafe_ssl))
                    .set_client_to_sentinel_certificates(certificates(md));
            }
            let client = builder.build()?.async_get_client().await?;
            let conn = client
                .get_multiplexed_async_connection_with_config(&config)
                .await?;
            Ok(Connection::Single(conn))
        }
    }
}

fn client(md: &RedisMetadata, host: String, port: u16) -> Result<Client, RedisError> {
    let addr = match &md.tls {
        None => ConnectionAddr::Tcp(host, port),
        Some(tls) => ConnectionAddr::TcpTls {
            host,
            port,
            insecure: tls.unsafe_ssl,
            tls_params: None,
        },
    };
    let mut settings = RedisConnectionInfo::default().set_db(md.database_index);
    if let Some(u) = &md.username {
        settings = settings.set_username(u);
    }
    if let Some(p) = &md.password {
        settings = settings.set_password(p);
    }
    let info = addr.into_connection_info()?.set_redis_settings(settings);
    match &md.tls {
        None => Client::open(info),
        Some(_) => Client::build_with_tls(info, certificates(md)),
    }
}

fn tls_mode(unsafe_ssl: bool) -> TlsMode {
    if unsafe_ssl {
        TlsMode::Insecure
    } else {
        TlsMode::Secure
    }
}

fn certificates(md: &RedisMetadata) -> TlsCertificates {
    let tls = md.tls.as_ref();
    TlsCertificates {
        client_tls: tls.and_then(|t| {
            Some(ClientTlsConfig {
                client_cert: t.client_cert_pem.clone()?.into_bytes(),
                client_key: t.client_key_pem.clone()?.into_bytes(),
            })
        }),
        root_cert: tls.and_then(|t| t.ca_pem.clone()).map(String::into_bytes),
    }
}
