//! A closed-loop HTTP/1.1 load generator: C keep-alive connections, each sending its next
//! request as soon as the previous answer is read, each request for a random path (many HPAs,
//! each reading its own ScaledObject's metric). It runs in the bench's process and shares the
//! machine's cores with the server it measures.
//!
//! Closed loop means coordinated omission: a stalled server also stalls the generator, so tail
//! latencies are those of the requests sent, not of a fixed arrival schedule.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hdrhistogram::Histogram;
use http_body_util::{BodyExt, Empty};
use hyper::client::conn::http1::SendRequest;
use hyper::header::HOST;
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;

use super::servers::Transport;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type Sender = SendRequest<Empty<Bytes>>;

#[derive(Debug, Clone)]
pub struct LoadSpec {
    pub connections: usize,
    /// Requests in the warm-up are sent but not counted: caches, allocator and CPU frequency
    /// settle first.
    pub warmup: Duration,
    pub duration: Duration,
}

/// What one load run measured, over the counted window only.
pub struct LoadResult {
    pub ok: u64,
    /// Non-2xx answers and broken connections.
    pub failed: u64,
    pub window: Duration,
    /// Latency of successful requests, in microseconds.
    pub latency_us: Histogram<u64>,
}

impl LoadResult {
    fn empty(window: Duration) -> LoadResult {
        LoadResult {
            ok: 0,
            failed: 0,
            window,
            // 1 µs to 60 s at 3 significant digits.
            latency_us: Histogram::new_with_bounds(1, 60_000_000, 3).expect("histogram bounds"),
        }
    }

    pub fn per_second(&self) -> f64 {
        self.ok as f64 / self.window.as_secs_f64()
    }

    pub fn quantile_us(&self, q: f64) -> u64 {
        self.latency_us.value_at_quantile(q)
    }

    /// Adds `other`'s counts, as if both windows were one.
    pub fn merge(&mut self, other: &LoadResult) {
        self.ok += other.ok;
        self.failed += other.failed;
        self.window += other.window;
        self.latency_us
            .add(&other.latency_us)
            .expect("histograms with the same bounds");
    }

    pub fn merged(results: &[LoadResult]) -> LoadResult {
        let mut total = LoadResult::empty(Duration::ZERO);
        for r in results {
            total.merge(r);
        }
        total
    }
}

/// The counted part of a run: requests sent at or after `from` and answered by `until`.
#[derive(Debug, Clone, Copy)]
struct Window {
    from: Instant,
    until: Instant,
}

/// Opens every connection first (handshakes are not part of the measurement), then drives them
/// all for the warm-up and the counted duration.
pub async fn run(
    addr: SocketAddr,
    transport: &Transport,
    paths: Arc<Vec<String>>,
    spec: &LoadSpec,
) -> Result<LoadResult, BoxError> {
    let mut senders = Vec::with_capacity(spec.connections);
    for _ in 0..spec.connections {
        senders.push(connect(addr, transport).await?);
    }
    let from = Instant::now() + spec.warmup;
    let window = Window {
        from,
        until: from + spec.duration,
    };
    let drivers: Vec<_> = senders
        .into_iter()
        .enumerate()
        .map(|(i, sender)| tokio::spawn(drive(sender, paths.clone(), i as u64 + 1, window)))
        .collect();
    let mut total = LoadResult::empty(spec.duration);
    for driver in drivers {
        let part = driver.await?;
        total.ok += part.ok;
        total.failed += part.failed;
        total.latency_us.add(&part.latency_us)?;
    }
    Ok(total)
}

async fn drive(
    mut sender: Sender,
    paths: Arc<Vec<String>>,
    seed: u64,
    window: Window,
) -> LoadResult {
    let mut tally = LoadResult::empty(window.until - window.from);
    let mut rng = SplitMix64(seed);
    loop {
        let path = &paths[rng.below(paths.len())];
        let sent = Instant::now();
        if sent >= window.until {
            return tally;
        }
        let answer = request(&mut sender, path).await;
        let done = Instant::now();
        if sent < window.from || done > window.until {
            if answer.is_err() {
                return tally;
            }
            continue;
        }
        match answer {
            Ok((status, _)) if status.is_success() => {
                tally.ok += 1;
                let micros = u64::try_from((done - sent).as_micros()).unwrap_or(u64::MAX);
                tally.latency_us.saturating_record(micros.max(1));
            }
            Ok(_) => tally.failed += 1,
            Err(_) => {
                // The connection is gone; its share of the load stops with it.
                tally.failed += 1;
                return tally;
            }
        }
    }
}

/// One request on a fresh connection: to check a server and capture a real response body.
pub async fn fetch(
    addr: SocketAddr,
    transport: &Transport,
    path: &str,
) -> Result<(StatusCode, Bytes), BoxError> {
    let mut sender = connect(addr, transport).await?;
    request(&mut sender, path).await
}

async fn request(sender: &mut Sender, path: &str) -> Result<(StatusCode, Bytes), BoxError> {
    sender.ready().await?;
    let request = Request::get(path)
        .header(HOST, "localhost")
        .body(Empty::<Bytes>::new())?;
    let response = sender.send_request(request).await?;
    let status = response.status();
    let body = response.into_body().collect().await?.to_bytes();
    Ok((status, body))
}

/// The negotiated TLS cipher suite and protocol of a fresh connection, for the report.
pub async fn tls_parameters(addr: SocketAddr, transport: &Transport) -> Option<String> {
    let Transport::Tls { client, .. } = transport else {
        return None;
    };
    let tcp = TcpStream::connect(addr).await.ok()?;
    let tls = client.connect(Transport::server_name(), tcp).await.ok()?;
    let (_, session) = tls.get_ref();
    Some(format!(
        "{:?}, {:?}",
        session.protocol_version()?,
        session.negotiated_cipher_suite()?.suite()
    ))
}

async fn connect(addr: SocketAddr, transport: &Transport) -> Result<Sender, BoxError> {
    let tcp = TcpStream::connect(addr).await?;
    // Like any HTTP client: a request is one small write, never held back for an ACK.
    tcp.set_nodelay(true)?;
    match transport {
        Transport::Tls { client, .. } => {
            let tls = client.connect(Transport::server_name(), tcp).await?;
            handshake(tls).await
        }
        Transport::Plain => handshake(tcp).await,
    }
}

async fn handshake<S>(stream: S) -> Result<Sender, BoxError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// A tiny deterministic PRNG: each connection's sequence of ScaledObjects is reproducible, and
/// no dependency is needed for it.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// One keep-alive client connection, for callers that send their own requests (the reaction
/// probes read one metric over and over).
pub struct Connection(Sender);

impl Connection {
    pub async fn open(addr: SocketAddr, transport: &Transport) -> Result<Connection, BoxError> {
        Ok(Connection(connect(addr, transport).await?))
    }

    pub async fn get(&mut self, path: &str) -> Result<(StatusCode, Bytes), BoxError> {
        request(&mut self.0, path).await
    }
}
