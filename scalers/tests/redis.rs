//! The redis list scalers against real servers: a standalone Redis, one with a password and an
//! ACL user, a three-node cluster and a sentinel setup (started by scripts/test-services.sh).

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use kedars_scalers::{Connections, Scaler, ScalerError, TriggerContext, build};
use redis::AsyncCommands;
use support::{Proxy, service, unique};

fn standalone() -> String {
    service("KEDARS_TEST_REDIS", "127.0.0.1:6379")
}
fn with_auth() -> String {
    service("KEDARS_TEST_REDIS_AUTH", "127.0.0.1:6380")
}
fn cluster() -> String {
    service(
        "KEDARS_TEST_REDIS_CLUSTER",
        "127.0.0.1:7000,127.0.0.1:7001,127.0.0.1:7002",
    )
}
fn sentinel() -> String {
    service("KEDARS_TEST_REDIS_SENTINEL", "127.0.0.1:26379")
}
fn sentinel_without_auth() -> String {
    service("KEDARS_TEST_REDIS_SENTINEL_NOAUTH", "127.0.0.1:26380")
}
const AUTH_PASSWORD: &str = "kedars-secret";
const MASTER_PASSWORD: &str = "master-pass";
const SENTINEL_PASSWORD: &str = "sentinel-pass";

async fn client(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

fn trigger(kind: &str, metadata: &[(&str, &str)]) -> TriggerContext {
    TriggerContext::new(kind, 0).with_metadata(metadata.iter().copied())
}

fn scaler(ctx: &TriggerContext, connections: &Arc<Connections>) -> Box<dyn Scaler> {
    build(ctx, connections).unwrap()
}

async fn read(scaler: &dyn Scaler) -> Result<(f64, bool), ScalerError> {
    let name = scaler.metric_specs()[0].name.clone();
    scaler
        .metrics_and_activity(&name, Utc::now())
        .await
        .map(|r| (r.value.as_f64(), r.active))
}

#[tokio::test]
async fn list_lengths_and_activation() {
    let mut conn = client(&format!("redis://{}", standalone())).await;
    let connections = Connections::new(Duration::from_secs(3));
    for (what, length, activation, want_active) in [
        ("missing key is an empty list", 0usize, 0, false),
        ("one item is active above 0", 1, 0, true),
        ("seven items, activation 7 is not exceeded", 7, 7, false),
        ("twelve items, activation 7 exceeded", 12, 7, true),
    ] {
        let list = unique("list");
        for i in 0..length {
            let _: () = conn.lpush(&list, i).await.unwrap();
        }
        let activation = activation.to_string();
        let s = scaler(
            &trigger(
                "redis",
                &[
                    ("address", &standalone()),
                    ("listName", &list),
                    ("activationListLength", &activation),
                ],
            ),
            &connections,
        );
        assert_eq!(
            read(s.as_ref()).await.unwrap(),
            (length as f64, want_active),
            "{what}"
        );
        let _: () = conn.del(&list).await.unwrap();
    }
    assert_eq!(
        connections.endpoint_counts().redis,
        1,
        "every trigger shared one connection"
    );
}

#[tokio::test]
async fn other_collection_types_and_wrong_type() {
    let mut conn = client(&format!("redis://{}", standalone())).await;
    let connections = Connections::new(Duration::from_secs(3));
    let (set, zset, hash, string) = (unique("set"), unique("zset"), unique("hash"), unique("str"));
    let _: () = conn.sadd(&set, &["a", "b", "c"]).await.unwrap();
    let _: () = conn
        .zadd_multiple(&zset, &[(1, "a"), (2, "b")])
        .await
        .unwrap();
    let _: () = conn
        .hset_multiple(&hash, &[("a", 1), ("b", 2), ("c", 3), ("d", 4)])
        .await
        .unwrap();
    let _: () = conn.set(&string, "x").await.unwrap();
    for (key, want) in [(&set, 3.0), (&zset, 2.0), (&hash, 4.0)] {
        let s = scaler(
            &trigger("redis", &[("address", &standalone()), ("listName", key)]),
            &connections,
        );
        assert_eq!(read(s.as_ref()).await.unwrap().0, want, "{key}");
    }
    let s = scaler(
        &trigger(
            "redis",
            &[("address", &standalone()), ("listName", &string)],
        ),
        &connections,
    );
    let err = read(s.as_ref()).await.unwrap_err();
    assert!(matches!(err, ScalerError::Query { .. }), "{err:?}");
    assert!(
        err.to_string().contains("unsupported key type: string"),
        "{err}"
    );
    let _: () = conn.del(&[&set, &zset, &hash, &string]).await.unwrap();
}

#[tokio::test]
async fn database_index_selects_the_database() {
    let mut conn = client(&format!("redis://{}/3", standalone())).await;
    let list = unique("db3");
    let _: () = conn.rpush(&list, &[1, 2]).await.unwrap();
    let connections = Connections::new(Duration::from_secs(3));
    let in_db3 = scaler(
        &trigger(
            "redis",
            &[
                ("address", &standalone()),
                ("listName", &list),
                ("databaseIndex", "3"),
            ],
        ),
        &connections,
    );
    let in_db0 = scaler(
        &trigger("redis", &[("address", &standalone()), ("listName", &list)]),
        &connections,
    );
    assert_eq!(read(in_db3.as_ref()).await.unwrap().0, 2.0);
    assert_eq!(read(in_db0.as_ref()).await.unwrap().0, 0.0);
    let _: () = conn.del(&list).await.unwrap();
}

#[tokio::test]
async fn password_acl_user_and_wrong_credentials() {
    let mut conn = client(&format!("redis://:{AUTH_PASSWORD}@{}", with_auth())).await;
    let list = unique("auth");
    let _: () = conn.rpush(&list, &[1, 2, 3]).await.unwrap();
    let connections = Connections::new(Duration::from_secs(3));

    let by_password = trigger("redis", &[("address", &with_auth()), ("listName", &list)])
        .with_auth_params([("password", AUTH_PASSWORD)]);
    assert_eq!(
        read(scaler(&by_password, &connections).as_ref())
            .await
            .unwrap()
            .0,
        3.0
    );

    let by_acl_user = trigger(
        "redis",
        &[
            ("address", &with_auth()),
            ("listName", &list),
            ("username", "scaler"),
        ],
    )
    .with_auth_params([("password", "scaler-pass")]);
    assert_eq!(
        read(scaler(&by_acl_user, &connections).as_ref())
            .await
            .unwrap()
            .0,
        3.0
    );

    let by_env = trigger(
        "redis",
        &[
            ("address", &with_auth()),
            ("listName", &list),
            ("passwordFromEnv", "REDIS_PASSWORD"),
        ],
    )
    .with_resolved_env([("REDIS_PASSWORD", AUTH_PASSWORD)]);
    assert_eq!(
        read(scaler(&by_env, &connections).as_ref())
            .await
            .unwrap()
            .0,
        3.0
    );

    let wrong = trigger("redis", &[("address", &with_auth()), ("listName", &list)])
        .with_auth_params([("password", "wrong-password-123")]);
    let err = read(scaler(&wrong, &connections).as_ref())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.contains("redis: connection failed"), "{err}");
    assert!(
        !err.contains("wrong-password-123"),
        "the password leaked: {err}"
    );

    let none = trigger("redis", &[("address", &with_auth()), ("listName", &list)]);
    let err = read(scaler(&none, &connections).as_ref())
        .await
        .unwrap_err()
        .to_string();
    assert!(err.to_lowercase().contains("auth"), "{err}");
    let _: () = conn.del(&list).await.unwrap();
}

#[tokio::test]
async fn cluster_reads_keys_on_every_node() {
    let seeds: Vec<String> = cluster()
        .split(',')
        .map(|a| format!("redis://{a}"))
        .collect();
    let mut conn = redis::cluster::ClusterClient::new(seeds)
        .unwrap()
        .get_async_connection()
        .await
        .unwrap();
    let connections = Connections::new(Duration::from_secs(3));
    // Enough lists that their slots land on all three masters.
    for n in 1..=9usize {
        let list = unique("cluster");
        let items: Vec<usize> = (0..n).collect();
        let _: () = conn.rpush(&list, items).await.unwrap();
        let s = scaler(
            &trigger(
                "redis-cluster",
                &[("addresses", &cluster()), ("listName", &list)],
            ),
            &connections,
        );
        assert_eq!(
            read(s.as_ref()).await.unwrap(),
            (n as f64, true),
            "list {list}"
        );
        let _: () = conn.del(&list).await.unwrap();
    }
    assert_eq!(connections.endpoint_counts().redis, 1);
}

#[tokio::test]
async fn sentinel_finds_the_master() {
    let master = client(&format!("redis://:{MASTER_PASSWORD}@127.0.0.1:6390")).await;
    let mut master = master;
    let list = unique("sentinel");
    let _: () = master.rpush(&list, &[1, 2, 3, 4]).await.unwrap();
    let connections = Connections::new(Duration::from_secs(3));

    let with_sentinel_auth = trigger(
        "redis-sentinel",
        &[
            ("addresses", &sentinel()),
            ("listName", &list),
            ("sentinelMaster", "mymaster"),
        ],
    )
    .with_auth_params([
        ("password", MASTER_PASSWORD),
        ("sentinelPassword", SENTINEL_PASSWORD),
    ]);
    assert_eq!(
        read(scaler(&with_sentinel_auth, &connections).as_ref())
            .await
            .unwrap(),
        (4.0, true)
    );

    let open_sentinel = trigger(
        "redis-sentinel",
        &[
            ("addresses", &sentinel_without_auth()),
            ("listName", &list),
            ("sentinelMaster", "mymaster"),
        ],
    )
    .with_auth_params([("password", MASTER_PASSWORD)]);
    assert_eq!(
        read(scaler(&open_sentinel, &connections).as_ref())
            .await
            .unwrap(),
        (4.0, true)
    );

    let unknown_master = trigger(
        "redis-sentinel",
        &[
            ("addresses", &sentinel_without_auth()),
            ("listName", &list),
            ("sentinelMaster", "nosuchmaster"),
        ],
    )
    .with_auth_params([("password", MASTER_PASSWORD)]);
    let err = read(scaler(&unknown_master, &connections).as_ref())
        .await
        .unwrap_err();
    assert!(matches!(err, ScalerError::Connection { .. }), "{err:?}");
    let _: () = master.del(&list).await.unwrap();
}

#[tokio::test]
async fn outage_costs_one_timeout_and_recovery_is_automatic() {
    let mut conn = client(&format!("redis://{}", standalone())).await;
    let list = unique("outage");
    let _: () = conn.rpush(&list, &[1, 2]).await.unwrap();
    let mut proxy = Proxy::start(&standalone()).await;
    let timeout = Duration::from_millis(800);
    let connections = Connections::new(timeout);
    let s = scaler(
        &trigger(
            "redis",
            &[("address", &proxy.addr.to_string()), ("listName", &list)],
        ),
        &connections,
    );
    assert_eq!(read(s.as_ref()).await.unwrap().0, 2.0);

    // The source dies: an error, quickly.
    proxy.cut().await;
    let started = Instant::now();
    let err = read(s.as_ref()).await.unwrap_err();
    assert!(
        started.elapsed() < timeout + Duration::from_millis(500),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        matches!(
            err,
            ScalerError::Connection { .. } | ScalerError::Timeout { .. }
        ),
        "{err:?}"
    );

    // The source stalls: one timeout, not a hang.
    proxy.hang().await;
    let started = Instant::now();
    let err = read(s.as_ref()).await.unwrap_err();
    let took = started.elapsed();
    assert!(took < timeout + Duration::from_millis(500), "took {took:?}");
    assert!(
        matches!(
            err,
            ScalerError::Timeout { .. } | ScalerError::Connection { .. }
        ),
        "{err:?}"
    );

    // The source is back: the same scaler reads again.
    proxy.restore().await;
    let _: () = conn.rpush(&list, 3).await.unwrap();
    assert_eq!(read(s.as_ref()).await.unwrap().0, 3.0);
    let _: () = conn.del(&list).await.unwrap();
}
