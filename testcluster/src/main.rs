//! `kedars-testcluster`: start the API server double on a port for a person (or a script),
//! write a kubeconfig, and say how to point kubectl and kedars at it.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use kedars_testcluster::{Config, TestCluster};

#[derive(Parser)]
#[command(about = "A Kubernetes API server test double on 127.0.0.1 (no pods run)")]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:6443")]
    listen: SocketAddr,
    /// Where to write the kubeconfig.
    #[arg(long, default_value = "kedars-testcluster.kubeconfig")]
    kubeconfig: PathBuf,
    /// Directory of CRD YAML files to load at start ("" for none).
    #[arg(long, default_value = "charts/kedars/crds")]
    crds: String,
    /// Changes a watch can resume across before it gets 410 Gone.
    #[arg(long, default_value_t = 1000)]
    history: usize,
    /// Seconds between watch bookmarks.
    #[arg(long, default_value_t = 5)]
    bookmark_seconds: u64,
}

/// The default (`charts/kedars/crds`) also resolves from outside the repository root.
fn crd_dir(arg: &str) -> PathBuf {
    let given = PathBuf::from(arg);
    let in_repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(arg);
    if given.is_relative() && !given.exists() && in_repo.exists() {
        in_repo
    } else {
        given
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let config = Config {
        addr: args.listen,
        history_limit: args.history,
        bookmark_interval: Duration::from_secs(args.bookmark_seconds),
        ..Config::default()
    };
    let mut cluster = TestCluster::start_with(config).await?;
    if !args.crds.is_empty() {
        let dir = crd_dir(&args.crds);
        let n = cluster.load_crds_from_dir(&dir)?;
        println!("loaded {n} CRDs from {}", dir.display());
    }
    kedars_testcluster::kubeconfig::write(&args.kubeconfig, &cluster.url())?;
    let kc = std::fs::canonicalize(&args.kubeconfig)?;
    println!("API server double listening on {}", cluster.url());
    println!("kubeconfig written to {}", kc.display());
    println!();
    println!("  export KUBECONFIG={}", kc.display());
    println!("  kubectl apply -f examples/...      # Deployments, HPAs, ScaledObjects");
    println!("  kubectl get scaledobjects,hpa,deploy -A");
    println!("  kedars operator                    # reads $KUBECONFIG like kubectl");
    println!();
    println!("Ctrl-C stops it.");
    tokio::signal::ctrl_c().await?;
    cluster.shutdown();
    Ok(())
}
