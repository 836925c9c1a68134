//! The command line. Settings come from the environment; flags override a few of them.

use clap::{Parser, Subcommand};
use doxin_config::Settings;

#[derive(Debug, Parser)]
#[command(
    name = "doxin",
    version,
    about = "DoxIn turns invoices into checked, searchable accounting data"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP API (migrating the database first).
    Serve {
        /// Port to listen on (overrides PORT).
        #[arg(long)]
        port: Option<u16>,
        /// Address to bind (overrides HOST).
        #[arg(long)]
        host: Option<std::net::IpAddr>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Inspect the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConfigAction {
    /// Print the effective configuration (secrets masked) and where each value came from.
    Check,
}

impl Cli {
    pub fn apply_overrides(&self, mut s: Settings) -> Settings {
        if let Command::Serve { port, host } = &self.command {
            if let Some(p) = port {
                s.port = *p;
            }
            if let Some(h) = host {
                s.host = *h;
            }
        }
        s
    }
}
