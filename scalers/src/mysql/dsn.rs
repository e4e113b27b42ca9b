//! go-sql-driver/mysql DSNs, the format of KEDA's `connectionString`:
//! `[user[:password]@][net[(addr)]]/dbname[?param=value&...]`.
//!
//! The split follows the driver's `ParseDSN` exactly, because users copy strings that work with
//! KEDA: the database separator is the *last* `/` (so a password or a socket path may contain
//! `/`), the credentials end at the last `@` before it, the user name ends at the first `:`.
//! Errors describe the shape, never echo the string: it holds a password.

use super::dsn_params;

pub const DEFAULT_PORT: u16 = 3306;
/// The driver's default socket when `unix` is given without an address.
const DEFAULT_SOCKET: &str = "/tmp/mysql.sock";

/// Where the server is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Addr {
    Tcp { host: String, port: u16 },
    Unix { path: String },
}

/// The driver's `tls` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tls {
    #[default]
    Off,
    /// `tls=true`: verify the chain against the built-in roots and the host name.
    Verify,
    /// `tls=skip-verify` (and `preferred`): encrypt, trust any certificate.
    SkipVerify,
}

/// A parsed DSN, or the same fields assembled from `host`/`port`/`username`/... keys.
/// `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Dsn {
    pub user: Option<String>,
    pub password: Option<String>,
    pub addr: Addr,
    pub db_name: Option<String>,
    pub tls: Tls,
    /// Retry without TLS when the server offers none (`tls=preferred`,
    /// `allowFallbackToPlaintext=true`).
    pub plaintext_fallback: bool,
    /// `allowCleartextPasswords=true`: permit the `mysql_clear_password` plugin.
    pub cleartext_passwords: bool,
    /// Unrecognised parameters: the driver sends them as `SET name=value` after connecting.
    pub system_vars: Vec<(String, String)>,
}

impl Dsn {
    /// A plain TCP DSN, as KEDA's `Config{Net: "tcp", ...}.FormatDSN()` builds from the keys.
    pub fn tcp(host: &str, port: u16) -> Dsn {
        Dsn {
            user: None,
            password: None,
            addr: Addr::Tcp {
                host: host.to_string(),
                port,
            },
            db_name: None,
            tls: Tls::Off,
            plaintext_fallback: false,
            cleartext_passwords: false,
            system_vars: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Dsn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dsn")
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("addr", &self.addr)
            .field("db_name", &self.db_name)
            .field("tls", &self.tls)
            .field("plaintext_fallback", &self.plaintext_fallback)
            .field("cleartext_passwords", &self.cleartext_passwords)
            .field("system_vars", &self.system_vars)
            .finish()
    }
}

/// Parses a DSN; the error says what is wrong without repeating the string.
pub fn parse(dsn: &str) -> Result<Dsn, String> {
    let slash = dsn
        .rfind('/')
        .ok_or("missing the \"/\" before the database name")?;
    let (head, tail) = (&dsn[..slash], &dsn[slash + 1..]);
    let (credentials, network) = match head.rfind('@') {
        Some(at) => (Some(&head[..at]), &head[at + 1..]),
        None => (None, head),
    };
    let (user, password) = split_credentials(credentials);
    let (db_name, params) = match tail.split_once('?') {
        Some((db, params)) => (db, Some(params)),
        None => (tail, None),
    };
    let mut out = Dsn::tcp("", DEFAULT_PORT);
    out.user = user;
    out.password = password;
    out.addr = parse_network(network)?;
    let db_name =
        dsn_params::unescape(db_name, false).map_err(|e| format!("database name: {e}"))?;
    out.db_name = (!db_name.is_empty()).then_some(db_name);
    if let Some(params) = params {
        dsn_params::apply(&mut out, params)?;
    }
    Ok(out)
}

/// `user[:password]`: the user ends at the first `:`; empty values mean none.
fn split_credentials(credentials: Option<&str>) -> (Option<String>, Option<String>) {
    let Some(credentials) = credentials else {
        return (None, None);
    };
    let (user, password) = match credentials.split_once(':') {
        Some((user, password)) => (user, Some(password)),
        None => (credentials, None),
    };
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    (non_empty(user), password.and_then(non_empty))
}

/// `net[(addr)]`, with the driver's defaults: no net means tcp, no address means the local
/// default for that net, a TCP address without a port gets 3306.
fn parse_network(network: &str) -> Result<Addr, String> {
    let (net, addr) = match network.find('(') {
        Some(open) => {
            let addr = network[open + 1..].strip_suffix(')').ok_or(
                "the network address is not terminated by \")\" (did you forget to escape a \
                 parameter value?)",
            )?;
            (&network[..open], Some(addr))
        }
        None => (network, None),
    };
    match (net, addr) {
        ("" | "tcp" | "tcp4" | "tcp6", None | Some("")) => Ok(Addr::Tcp {
            host: "127.0.0.1".to_string(),
            port: DEFAULT_PORT,
        }),
        ("" | "tcp" | "tcp4" | "tcp6", Some(addr)) => parse_host_port(addr),
        ("unix", None | Some("")) => Ok(Addr::Unix {
            path: DEFAULT_SOCKET.to_string(),
        }),
        ("unix", Some(path)) => Ok(Addr::Unix {
            path: path.to_string(),
        }),
        (other, _) => Err(format!(
            "network \"{other}\" is not supported: use tcp(host:port) or unix(/path/to/socket)"
        )),
    }
}

/// `host:port`, `[v6]:port`, `host` or a bare IPv6 address (the driver adds port 3306 whenever
/// Go's `SplitHostPort` fails).
pub(crate) fn parse_host_port(addr: &str) -> Result<Addr, String> {
    let split = if let Some(rest) = addr.strip_prefix('[') {
        rest.split_once(']')
            .map(|(host, after)| (host, after.strip_prefix(':')))
    } else {
        match addr.matches(':').count() {
            0 => Some((addr, None)),
            1 => addr.split_once(':').map(|(h, p)| (h, Some(p))),
            _ => Some((addr, None)), // a bare IPv6 address
        }
    };
    let Some((host, port)) = split else {
        return Err("the address has an unterminated \"[\"".to_string());
    };
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => parse_port(port)?,
    };
    Ok(Addr::Tcp {
        host: host.to_string(),
        port,
    })
}

pub(crate) fn parse_port(port: &str) -> Result<u16, String> {
    port.parse::<u16>()
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("port \"{port}\" is not a number between 1 and 65535"))
}

#[cfg(test)]
#[path = "dsn_tests.rs"]
mod tests;
