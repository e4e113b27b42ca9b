//! The command line. `main.rs` only parses arguments and calls [`run`].

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kedars",
    version,
    about = "Event-driven autoscaling for Kubernetes, KEDA-compatible"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the trigger types this build can poll.
    Scalers,
    /// Print the keda.sh CustomResourceDefinitions, or write one file each into --dir.
    Crds {
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
}

/// Runs a parsed command, writing its output to `out`.
pub fn run(cli: Cli, out: &mut impl std::io::Write) -> std::io::Result<()> {
    match cli.command {
        Command::Scalers => {
            for trigger_type in kedars_scalers::KNOWN_TYPES {
                writeln!(out, "{trigger_type}")?;
            }
        }
        Command::Crds { dir: None } => write!(out, "{}", crate::api::crds::all_yaml())?,
        Command::Crds { dir: Some(dir) } => {
            std::fs::create_dir_all(&dir)?;
            for (file, crd) in crate::api::crds::all() {
                std::fs::write(dir.join(file), crate::api::crds::to_yaml(&crd))?;
                writeln!(out, "wrote {}", dir.join(file).display())?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scalers_lists_every_known_type() {
        let cli = Cli::try_parse_from(["kedars", "scalers"]).unwrap();
        let mut out = Vec::new();
        run(cli, &mut out).unwrap();
        let listed = String::from_utf8(out).unwrap();
        assert_eq!(
            listed.lines().collect::<Vec<_>>(),
            kedars_scalers::KNOWN_TYPES
        );
    }
}
