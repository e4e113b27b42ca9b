use clap::Parser;

fn main() -> anyhow::Result<()> {
    let cli = kedars::cli::Cli::parse();
    kedars::cli::logging::init(cli.log_format);
    kedars::cli::run(cli, &mut std::io::stdout().lock())?;
    Ok(())
}
