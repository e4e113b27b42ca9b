//! The facts a figure needs to be read later: the command, the machine, the date, the commit,
//! and how busy the machine already was (these machines are shared, so absolute numbers drift
//! and only same-run ratios travel).

use std::process::Command;

pub struct Facts {
    pub command: String,
    pub cores: usize,
    pub model: String,
    pub memory_gib: f64,
    pub load_average: String,
    pub date: String,
    pub commit: String,
    pub rustc: String,
}

impl Facts {
    /// `bench` is the bench target's name; the arguments are this process's own, so the command
    /// printed is the one that reproduces the run.
    pub fn gather(bench: &str) -> Facts {
        let args: Vec<String> = std::env::args()
            .skip(1)
            .filter(|a| a != "--bench")
            .collect();
        let mut command = format!("CARGO_PROFILE_RELEASE_DEBUG=0 cargo bench --bench {bench}");
        if !args.is_empty() {
            command = format!("{command} -- {}", args.join(" "));
        }
        Facts {
            command,
            cores: std::thread::available_parallelism().map_or(0, |n| n.get()),
            model: cpu_model(),
            memory_gib: mem_total_kib() as f64 / (1024.0 * 1024.0),
            load_average: load_average(),
            date: chrono::Utc::now()
                .format("%Y-%m-%d %H:%M:%S UTC")
                .to_string(),
            commit: commit(),
            rustc: output("rustc", &["--version"]).unwrap_or_else(|| "rustc ?".into()),
        }
    }

    pub fn print(&self) {
        println!("command: `{}`", self.command);
        println!(
            "machine: {} cores ({}), {:.1} GiB; load average before the run: {}",
            self.cores, self.model, self.memory_gib, self.load_average
        );
        println!(
            "date: {}; commit: {}; {}",
            self.date, self.commit, self.rustc
        );
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn mem_total_kib() -> u64 {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kib| kib.parse().ok())
        })
        .unwrap_or(0)
}

/// The 1, 5 and 15 minute load averages: colleagues' builds share these cores.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|t| t.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

fn commit() -> String {
    let Some(hash) = output("git", &["rev-parse", "--short", "HEAD"]) else {
        return "unknown (not a git checkout)".into();
    };
    let dirty = output("git", &["status", "--porcelain"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{hash} plus uncommitted changes")
    } else {
        hash
    }
}

fn output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}
