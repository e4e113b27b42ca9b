//! The redis list triggers' parameters (KEDA `redis_scaler.go`), for all three topologies.

use crate::context::TriggerContext;
use crate::error::ParseError;
use crate::params::{AUTH, Key, METADATA, Params, Source};

use Source::{Auth, Env, Metadata};

const LIST_NAME: Key = Key::new(&["listName"], METADATA);
const LIST_LENGTH: Key = Key::new(&["listLength"], METADATA);
const ACTIVATION_LIST_LENGTH: Key = Key::new(&["activationListLength"], METADATA);
const DATABASE_INDEX: Key = Key::new(&["databaseIndex"], METADATA);
const ENABLE_TLS: Key = Key::new(&["enableTLS"], METADATA);
const TLS: Key = Key::new(&["tls"], AUTH);
const ADDRESS: Key = Key::new(&["address", "addresses"], &[Metadata, Auth, Env]);
const HOST: Key = Key::new(&["host", "hosts"], &[Metadata, Env, Auth]);
const PORT: Key = Key::new(&["port", "ports"], &[Metadata, Env, Auth]);
const USERNAME: Key = Key::new(&["username"], &[Metadata, Env, Auth]);
const PASSWORD: Key = Key::new(&["password"], &[Metadata, Env, Auth]).secret();
const SENTINEL_USERNAME: Key = Key::new(&["sentinelUsername"], &[Metadata, Auth, Env]);
const SENTINEL_PASSWORD: Key = Key::new(&["sentinelPassword"], &[Metadata, Auth, Env]).secret();
const SENTINEL_MASTER: Key = Key::new(&["sentinelMaster"], &[Metadata, Auth, Env]);
const UNSAFE_SSL: Key = Key::new(&["unsafeSsl"], METADATA);
const CERT: Key = Key::new(&["Cert", "cert"], AUTH).secret();
const KEY: Key = Key::new(&["key"], AUTH).secret();
const KEY_PASSWORD: Key = Key::new(&["keyPassword"], AUTH).secret();
const CA: Key = Key::new(&["ca"], AUTH);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Topology {
    /// `redis`: the first address only.
    Standalone,
    /// `redis-cluster`: every address is a seed.
    Cluster,
    /// `redis-sentinel`: the addresses are sentinels that name the master.
    Sentinel,
}

#[derive(Clone, PartialEq, Eq)]
pub struct Tls {
    pub unsafe_ssl: bool,
    pub ca_pem: Option<String>,
    pub client_cert_pem: Option<String>,
    pub client_key_pem: Option<String>,
}

#[derive(Clone, Default, PartialEq, Eq)]
pub struct SentinelAuth {
    pub master: String,
    pub username: Option<String>,
    pub password: Option<String>,
}

#[derive(Clone, PartialEq, Eq)]
pub struct RedisMetadata {
    pub topology: Topology,
    pub addresses: Vec<(String, u16)>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub database_index: i64,
    pub list_name: String,
    pub list_length: i64,
    pub activation_list_length: i64,
    pub tls: Option<Tls>,
    pub sentinel: Option<SentinelAuth>,
}

impl std::fmt::Debug for RedisMetadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisMetadata")
            .field("topology", &self.topology)
            .field("addresses", &self.addresses)
            .field("username", &self.username)
            .field("database_index", &self.database_index)
            .field("list_name", &self.list_name)
            .field("list_length", &self.list_length)
            .field("activation_list_length", &self.activation_list_length)
            .field("tls", &self.tls.is_some())
            .finish_non_exhaustive()
    }
}

pub fn parse(ctx: &TriggerContext) -> Result<RedisMetadata, ParseError> {
    let topology = match ctx.trigger_type.as_str() {
        "redis-cluster" => Topology::Cluster,
        "redis-sentinel" => Topology::Sentinel,
        _ => Topology::Standalone,
    };
    let mut p = Params::new(ctx);
    let list_name = p.required_string(&LIST_NAME);
    let list_length = p.int(&LIST_LENGTH).unwrap_or(5);
    let activation_list_length = p.int(&ACTIVATION_LIST_LENGTH).unwrap_or(0);
    let database_index = p.int(&DATABASE_INDEX).unwrap_or(0);
    if database_index < 0 {
        p.invalid(&DATABASE_INDEX, "a database index of 0 or more");
    }
    let addresses = addresses(&mut p);
    let username = p.string(&USERNAME);
    let password = p.string(&PASSWORD);
    let tls = tls(&mut p);
    let sentinel = (topology == Topology::Sentinel).then(|| SentinelAuth {
        // KEDA lets an empty master through to fail at connection; it is required here.
        master: p.required_string(&SENTINEL_MASTER).unwrap_or_default(),
        username: p.string(&SENTINEL_USERNAME),
        password: p.string(&SENTINEL_PASSWORD),
    });
    p.finish()?;
    Ok(RedisMetadata {
        topology,
        addresses,
        username,
        password,
        database_index,
        list_name: list_name.expect("checked by finish"),
        list_length,
        activation_list_length,
        tls,
        sentinel,
    })
}

/// `address(es)`, else `host(s)` zipped with `port(s)`.
fn addresses(p: &mut Params<'_>) -> Vec<(String, u16)> {
    if let Some(list) = p.list(&ADDRESS) {
        let parsed: Option<Vec<_>> = list.iter().map(|a| split_host_port(a)).collect();
        return parsed.unwrap_or_else(|| {
            p.invalid(&ADDRESS, "a comma-separated list of host:port");
            Vec::new()
        });
    }
    match (p.list(&HOST), p.list(&PORT)) {
        (Some(hosts), Some(ports)) if hosts.len() == ports.len() => {
            let parsed: Option<Vec<u16>> = ports.iter().map(|p| p.parse().ok()).collect();
            match parsed {
                Some(ports) => hosts.into_iter().zip(ports).collect(),
                None => {
                    p.invalid(&PORT, "port numbers between 1 and 65535");
                    Vec::new()
                }
            }
        }
        (Some(_), Some(_)) => {
            p.problem(
                "not enough hosts or ports given. number of hosts should be equal to the number \
                 of ports",
            );
            Vec::new()
        }
        _ => {
            p.problem(
                "no addresses or hosts given. address should be a comma separated list of \
                 host:port or set the host/port values",
            );
            Vec::new()
        }
    }
}

fn split_host_port(address: &str) -> Option<(String, u16)> {
    let (host, port) = address.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port.parse().ok()?;
    (!host.is_empty() && port > 0).then(|| (host.to_string(), port))
}

/// `enableTLS` (metadata) or `tls` (TriggerAuthentication), never both, and the TLS material.
fn tls(p: &mut Params<'_>) -> Option<Tls> {
    let from_metadata = p.bool(&ENABLE_TLS);
    let from_auth = p
        .one_of(&TLS, &["enable", "disable"])
        .map(|v| v == "enable");
    if from_metadata.is_some() && from_auth.is_some() {
        p.problem("unable to set `tls` in both ScaledObject and TriggerAuthentication together");
    }
    let unsafe_ssl = p.bool(&UNSAFE_SSL).unwrap_or(false);
    if p.is_set(&KEY_PASSWORD) {
        p.problem(
            "parameter \"keyPassword\" (an encrypted private key) is not supported: give \"key\" \
             unencrypted",
        );
    }
    let cert = p.string(&CERT);
    let key = p.string(&KEY);
    if cert.is_some() != key.is_some() {
        p.problem("TLS client authentication needs both \"cert\" and \"key\" in authParams");
    }
    if !from_metadata.or(from_auth).unwrap_or(false) {
        return None;
    }
    Some(Tls {
        unsafe_ssl,
        ca_pem: p.string(&CA),
        client_cert_pem: cert,
        client_key_pem: key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx(kind: &str, metadata: &[(&str, &str)], auth: &[(&str, &str)]) -> TriggerContext {
        TriggerContext::new(kind, 0)
            .with_metadata(metadata.iter().copied())
            .with_auth_params(auth.iter().copied())
    }

    type Row<'a> = (&'a str, TriggerContext, Result<(), &'a str>);

    #[test]
    fn parse_table() {
        let cases: Vec<Row> = vec![
            (
                "documented example",
                ctx(
                    "redis",
                    &[
                        ("address", "redis:6379"),
                        ("listName", "mylist"),
                        ("listLength", "5"),
                    ],
                    &[],
                ),
                Ok(()),
            ),
            (
                "host and port",
                ctx(
                    "redis",
                    &[("host", "redis"), ("port", "6379"), ("listName", "l")],
                    &[],
                ),
                Ok(()),
            ),
            (
                "address from TriggerAuthentication",
                ctx("redis", &[("listName", "l")], &[("address", "redis:6379")]),
                Ok(()),
            ),
            (
                "cluster addresses",
                ctx(
                    "redis-cluster",
                    &[("addresses", "a:7000, b:7001"), ("listName", "l")],
                    &[],
                ),
                Ok(()),
            ),
            (
                "cluster hosts and ports",
                ctx(
                    "redis-cluster",
                    &[("hosts", "a,b"), ("ports", "1,2"), ("listName", "l")],
                    &[],
                ),
                Ok(()),
            ),
            (
                "sentinel with master",
                ctx(
                    "redis-sentinel",
                    &[
                        ("addresses", "s:26379"),
                        ("sentinelMaster", "mymaster"),
                        ("listName", "l"),
                    ],
                    &[],
                ),
                Ok(()),
            ),
            (
                "IPv6 address",
                ctx(
                    "redis",
                    &[("address", "[::1]:6379"), ("listName", "l")],
                    &[],
                ),
                Ok(()),
            ),
            (
                "TLS from metadata",
                ctx(
                    "redis",
                    &[
                        ("address", "r:6379"),
                        ("listName", "l"),
                        ("enableTLS", "true"),
                    ],
                    &[],
                ),
                Ok(()),
            ),
            (
                "TLS from auth",
                ctx(
                    "redis",
                    &[("address", "r:6379"), ("listName", "l")],
                    &[("tls", "enable")],
                ),
                Ok(()),
            ),
            (
                "missing listName",
                ctx("redis", &[("address", "r:6379")], &[]),
                Err("missing required parameter \"listName\" in [triggerMetadata]"),
            ),
            (
                "no address at all",
                ctx("redis", &[("listName", "l")], &[]),
                Err("no addresses or hosts given"),
            ),
            (
                "host without port",
                ctx("redis", &[("host", "r"), ("listName", "l")], &[]),
                Err("no addresses or hosts given"),
            ),
            (
                "hosts and ports differ in count",
                ctx(
                    "redis-cluster",
                    &[("hosts", "a,b"), ("ports", "1"), ("listName", "l")],
                    &[],
                ),
                Err("not enough hosts or ports given"),
            ),
            (
                "address without port",
                ctx("redis", &[("address", "redis"), ("listName", "l")], &[]),
                Err(
                    "parameter \"address\" value \"redis\" is invalid: expected a comma-separated list of host:port",
                ),
            ),
            (
                "port not a number",
                ctx(
                    "redis",
                    &[("host", "r"), ("port", "http"), ("listName", "l")],
                    &[],
                ),
                Err("\"port\" value \"http\""),
            ),
            (
                "listLength not an integer",
                ctx(
                    "redis",
                    &[("address", "r:1"), ("listName", "l"), ("listLength", "5.5")],
                    &[],
                ),
                Err("parameter \"listLength\" value \"5.5\" is invalid: expected an integer"),
            ),
            (
                "activationListLength not an integer",
                ctx(
                    "redis",
                    &[
                        ("address", "r:1"),
                        ("listName", "l"),
                        ("activationListLength", "x"),
                    ],
                    &[],
                ),
                Err("\"activationListLength\" value \"x\""),
            ),
            (
                "negative databaseIndex",
                ctx(
                    "redis",
                    &[
                        ("address", "r:1"),
                        ("listName", "l"),
                        ("databaseIndex", "-1"),
                    ],
                    &[],
                ),
                Err("\"databaseIndex\" value \"-1\""),
            ),
            (
                "enableTLS not a bool",
                ctx(
                    "redis",
                    &[("address", "r:1"), ("listName", "l"), ("enableTLS", "yes")],
                    &[],
                ),
                Err("\"enableTLS\" value \"yes\""),
            ),
            (
                "tls value not enable/disable",
                ctx(
                    "redis",
                    &[("address", "r:1"), ("listName", "l")],
                    &[("tls", "on")],
                ),
                Err(
                    "parameter \"tls\" value \"<redacted>\" is invalid: expected one of [enable, disable]",
                ),
            ),
            (
                "tls set twice",
                ctx(
                    "redis",
                    &[("address", "r:1"), ("listName", "l"), ("enableTLS", "true")],
                    &[("tls", "enable")],
                ),
                Err("unable to set `tls` in both"),
            ),
            (
                "encrypted key",
                ctx(
                    "redis",
                    &[("address", "r:1"), ("listName", "l")],
                    &[
                        ("tls", "enable"),
                        ("cert", "c"),
                        ("key", "k"),
                        ("keyPassword", "p"),
                    ],
                ),
                Err("\"keyPassword\""),
            ),
            (
                "cert without key",
                ctx(
                    "redis",
                    &[("address", "r:1"), ("listName", "l")],
                    &[("tls", "enable"), ("cert", "c")],
                ),
                Err("both \"cert\" and \"key\""),
            ),
            (
                "sentinel without master",
                ctx(
                    "redis-sentinel",
                    &[("addresses", "s:26379"), ("listName", "l")],
                    &[],
                ),
                Err("missing required parameter \"sentinelMaster\""),
            ),
        ];
        for (what, ctx, want) in cases {
            match (parse(&ctx), want) {
                (Ok(_), Ok(())) => {}
                (Err(e), Err(fragment)) => {
                    let e = e.to_string();
                    assert!(
                        e.starts_with(&format!("error parsing {} metadata: ", ctx.trigger_type)),
                        "{what}: {e}"
                    );
                    assert!(e.contains(fragment), "{what}: {e}");
                }
                (got, want) => panic!("{what}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn defaults_and_lookup_orders() {
        let ctx = ctx(
            "redis",
            &[
                ("listName", "jobs"),
                ("hostFromEnv", "REDIS_HOST"),
                ("portFromEnv", "REDIS_PORT"),
                ("passwordFromEnv", "REDIS_PASSWORD"),
            ],
            &[("host", "from-auth"), ("password", "auth-pass")],
        )
        .with_resolved_env([
            ("REDIS_HOST", "from-env"),
            ("REDIS_PORT", "6380"),
            ("REDIS_PASSWORD", "env-pass"),
        ]);
        let md = parse(&ctx).unwrap();
        assert_eq!(
            md.addresses,
            vec![("from-env".to_string(), 6380)],
            "host: metadata, env, then auth"
        );
        assert_eq!(
            md.password.as_deref(),
            Some("env-pass"),
            "password: metadata, env, then auth"
        );
        assert_eq!(md.list_length, 5, "KEDA's default listLength");
        assert_eq!(md.activation_list_length, 0);
        assert_eq!(md.database_index, 0);
        assert!(md.tls.is_none());
        assert!(!format!("{md:?}").contains("env-pass"));
    }

    #[test]
    fn password_from_env_is_never_printed_in_errors() {
        let ctx = ctx(
            "redis",
            &[
                ("passwordFromEnv", "P"),
                ("listName", "l"),
                ("listLength", "x"),
            ],
            &[],
        )
        .with_resolved_env([("P", "topsecret")]);
        let err = parse(&ctx).unwrap_err().to_string();
        assert!(!err.contains("topsecret"), "{err}");
    }
}
