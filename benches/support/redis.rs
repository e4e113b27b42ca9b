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

/// Redis's own bookkeeping of one command: calls and CPU microseconds per call.
#[derive(Debug, Clone, Copy, Default)]
pub struct CommandStat {
    pub calls: u64,
    pub usec_per_call: f64,
}

/// LLEN throughput as `redis-benchmark` measures it: `clients` connections, `pipeline`
/// commands in flight on each.
#[derive(Debug, Clone, Copy)]
pub struct Benchmark {
    pub clients: usize,
    pub pipeline: usize,
    pub requests_per_second: f64,
}

impl PrivateRedis {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Every command's statistics since the last reset, by lower-case name.
    pub async fn command_stats(&mut self) -> Vec<(String, CommandStat)> {
        let info: String = redis::cmd("INFO")
            .arg("commandstats")
            .query_async(&mut self.conn)
            .await
            .expect("INFO commandstats");
        command_stats(&info)
    }

    /// `redis-benchmark` sending `LLEN <list>` (what the scaler's script does for a list), from
    /// its own process. `None` if redis-benchmark is not installed.
    pub fn benchmark_llen(
        &self,
        list: &str,
        clients: usize,
        pipeline: usize,
        requests: usize,
    ) -> Option<Benchmark> {
        let out = Command::new("redis-benchmark")
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(["-c", &clients.to_string(), "-P", &pipeline.to_string()])
            .args(["-n", &requests.to_string(), "--csv", "LLEN", list])
            .stderr(Stdio::null())
            .output()
            .ok()?;
        // --csv: a header line, then `"LLEN list-00000","<rps>",...`.
        let text = String::from_utf8_lossy(&out.stdout);
        let rps = text
            .lines()
            .find(|l| l.starts_with("\"LLEN"))?
            .split(',')
            .nth(1)?
            .trim_matches('"')
            .parse()
            .ok()?;
        Some(Benchmark {
            clients,
            pipeline,
            requests_per_second: rps,
        })
    }
}

fn command_stats(info: &str) -> Vec<(String, CommandStat)> {
    info.lines()
        .filter_map(|line| {
            let (name, stats) = line.trim().strip_prefix("cmdstat_")?.split_once(':')?;
            let field = |key: &str| {
                stats
                    .split(',')
                    .find_map(|kv| kv.strip_prefix(key))
                    .and_then(|v| v.parse::<f64>().ok())
            };
            Some((
                name.to_string(),
                CommandStat {
                    calls: field("calls=")? as u64,
                    usec_per_call: field("usec_per_call=").unwrap_or(0.0),
                },
            ))
        })
        .collect()
}
