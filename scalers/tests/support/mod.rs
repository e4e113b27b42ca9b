//! Shared by the integration tests: where the real services are, and a TCP proxy that a test can
//! cut and restore to simulate an outage without stopping a server other tests use.
#![allow(dead_code)] // each test binary uses a different part

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub mod http;
pub mod tls;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The address of a service, from the environment the test command sets, or its default.
pub fn service(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// A name no other test (or earlier run) uses.
pub fn unique(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A loopback proxy to `upstream` on a fixed local port. `cut` closes the listener and every
/// open connection (the source "dies"); `hang` keeps accepting but never answers (the source
/// "stalls"); `restore` forwards again on the same port.
pub struct Proxy {
    pub addr: SocketAddr,
    upstream: String,
    stop: Option<watch::Sender<bool>>,
    task: Option<JoinHandle<()>>,
}

impl Proxy {
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let mut proxy = Proxy {
            addr,
            upstream: upstream.to_string(),
            stop: None,
            task: None,
        };
        proxy.serve(listener, Mode::Forward);
        proxy
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    fn serve(&mut self, listener: TcpListener, mode: Mode) {
        let (stop_tx, stop_rx) = watch::channel(false);
        let upstream = Arc::new(self.upstream.clone());
        self.stop = Some(stop_tx);
        self.task = Some(tokio::spawn(accept_loop(listener, upstream, mode, stop_rx)));
    }

    async fn halt(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    pub async fn cut(&mut self) {
        self.halt().await;
    }

    pub async fn hang(&mut self) {
        self.halt().await;
        let listener = rebind(self.addr).await;
        self.serve(listener, Mode::Hang);
    }

    pub async fn restore(&mut self) {
        self.halt().await;
        let listener = rebind(self.addr).await;
        self.serve(listener, Mode::Forward);
    }
}

#[derive(Clone, Copy)]
enum Mode {
    Forward,
    Hang,
}

async fn rebind(addr: SocketAddr) -> TcpListener {
    for _ in 0..100 {
        if let Ok(l) = TcpListener::bind(addr).await {
            return l;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("cannot rebind {addr}");
}

async fn accept_loop(
    listener: TcpListener,
    upstream: Arc<String>,
    mode: Mode,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = stop.changed() => break,
            accepted = listener.accept() => {
                let Ok((mut client, _)) = accepted else { continue };
                let upstream = upstream.clone();
                let mut stop = stop.clone();
                connections.spawn(async move {
                    match mode {
                        Mode::Forward => {
                            let Ok(mut server) = TcpStream::connect(upstream.as_str()).await else { return };
                            tokio::select! {
                                _ = copy_bidirectional(&mut client, &mut server) => {}
                                _ = stop.changed() => {}
                            }
                        }
                        Mode::Hang => { let _ = stop.changed().await; drop(client); }
                    }
                });
            }
        }
    }
    // Dropping the set aborts every connection: the clients see their sockets close.
    connections.shutdown().await;
}
