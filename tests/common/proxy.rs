//! A loopback TCP proxy a test can cut and restore, to take a source away from the operator
//! without stopping a server other tests use (after `scalers/tests/support`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// `cut` closes the listener and every open connection (the source "dies"); `restore` forwards
/// again on the same port.
pub struct Proxy {
    pub addr: SocketAddr,
    upstream: Arc<String>,
    stop: Option<watch::Sender<bool>>,
    task: Option<JoinHandle<()>>,
}

impl Proxy {
    pub async fn start(upstream: &str) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut proxy = Proxy {
            addr: listener.local_addr().unwrap(),
            upstream: Arc::new(upstream.to_string()),
            stop: None,
            task: None,
        };
        proxy.serve(listener);
        proxy
    }

    fn serve(&mut self, listener: TcpListener) {
        let (stop_tx, stop_rx) = watch::channel(false);
        self.stop = Some(stop_tx);
        self.task = Some(tokio::spawn(accept_loop(
            listener,
            self.upstream.clone(),
            stop_rx,
        )));
    }

    pub async fn cut(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(true);
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    pub async fn restore(&mut self) {
        self.cut().await;
        for _ in 0..100 {
            if let Ok(listener) = TcpListener::bind(self.addr).await {
                self.serve(listener);
                return;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("cannot rebind {}", self.addr);
    }
}

async fn accept_loop(listener: TcpListener, upstream: Arc<String>, stop: watch::Receiver<bool>) {
    let mut connections = tokio::task::JoinSet::new();
    let mut stopped = stop.clone();
    loop {
        tokio::select! {
            _ = stopped.changed() => break,
            accepted = listener.accept() => {
                let Ok((mut client, _)) = accepted else { continue };
                let upstream = upstream.clone();
                let mut stop = stop.clone();
                connections.spawn(async move {
                    let Ok(mut server) = TcpStream::connect(upstream.as_str()).await else { return };
                    tokio::select! {
                        _ = copy_bidirectional(&mut client, &mut server) => {}
                        _ = stop.changed() => {}
                    }
                });
            }
        }
    }
    // Dropping the set aborts every connection: the clients see their sockets close.
    connections.shutdown().await;
}
