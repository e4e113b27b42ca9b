//! A private redis-server per run: its command statistics count only what kedars sent, which is
//! how the benches count source queries (as tests/single_flight.rs does).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use redis::AsyncCommands;
use redis::aio::MultiplexedConnection;

/// The commands the redis scaler sends per query: one script call (EVALSHA, or EVAL when the
/// server has not seen the script yet).
pub const SCALER_COMMANDS: &[&str] = &["eval", "evalsha"];

pub struct PrivateRedis {
    child: Child,
    pub port: u16,
    conn: MultiplexedConnection,
}

impl Drop for PrivateRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl PrivateRedis {
    /// Starts redis-server on a free loopback port, without persistence (a snapshot would show
    /// up as CPU time in the middle of a measurement).
    pub async fn start() -> PrivateRedis {
        let port = free_port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (scripts/test-services.sh installs it)");
        let conn = connect(port).await;
        PrivateRedis { child, port, conn }
    }

    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Pushes `len(i)` items on list `names[i]`, in one pipeline.
    pub async fn fill_lists(&mut self, names: &[String], len: impl Fn(usize) -> usize) {
        let mut pipe = redis::pipe();
        for (i, name) in names.iter().enumerate() {
            let n = len(i);
            if n > 0 {
                pipe.rpush(name, vec!["job"; n]).ignore();
            }
        }
        let () = pipe.query_async(&mut self.conn).await.expect("RPUSH");
    }

    pub async fn push(&mut self, list: &str, item: &str) {
        let _: i64 = self.conn.rpush(list, item).await.expect("RPUSH");
    }

    /// Forgets the command statistics, so the next count starts from zero.
    pub async fn reset_stats(&mut self) {
        let () = redis::cmd("CONFIG")
            .arg("RESETSTAT")
            .query_async(&mut self.conn)
            .await
            .expect("CONFIG RESETSTAT");
    }

    /// Calls of `commands` since the last reset (our own INFO and RESETSTAT are not among them).
    pub async fn calls(&mut self, commands: &[&str]) -> u64 {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut self.conn)
            .await
            .expect("INFO commandstats");
        command_calls(&info, commands)
    }
}

/// Sums `calls=` of `cmdstat_<command>:` lines of INFO commandstats.
fn command_calls(info: &str, commands: &[&str]) -> u64 {
    info.lines()
        .filter_map(|line| {
            let (name, stats) = line.trim().strip_prefix("cmdstat_")?.split_once(':')?;
            if !commands.contains(&name) {
                return None;
            }
            stats
                .split(',')
                .find_map(|kv| kv.strip_prefix("calls="))?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Connects as soon as the server listens (usually within ~20 ms).
async fn connect(port: u16) -> MultiplexedConnection {
    let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).expect("redis URL");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match client.get_multiplexed_async_connection().await {
            Ok(conn) => return conn,
            Err(e) if Instant::now() > deadline => panic!("private redis-server: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}
