use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = kedars::cli::Cli::parse();
    kedars::cli::run(cli, &mut std::io::stdout().lock())?;
    Ok(())
}
