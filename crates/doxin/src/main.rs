//! `doxin`: the one binary. Parses the command line, loads and validates the configuration
//! once (a bad value exits with status 2 naming the variable), starts telemetry, and runs the
//! command. `anyhow` lives here, at the edge; the crates below return typed errors.
#![forbid(unsafe_code)]

mod cli;
mod commands;
mod demo_cmd;
mod eval_cmd;
mod extract_cmd;
mod import_cmd;
mod jobs_setup;
mod monitor_cmd;
mod telemetry;
mod user_cmd;

use std::process::ExitCode;

use clap::Parser;

/// Exit status for configuration errors, as `sysexits`' EX_USAGE-like "bad invocation".
const EXIT_CONFIG: u8 = 2;

fn main() -> ExitCode {
    // A sandbox child reads one document and exits: no configuration, logging or runtime, so it
    // starts in about a millisecond. Not a clap subcommand, so it stays out of `--help`.
    if std::env::args_os()
        .nth(1)
        .is_some_and(|a| a == "sandbox-child")
    {
        return doxin_sandbox::child_main();
    }
    let cli = cli::Cli::parse();
    let settings = match doxin_config::Settings::from_process() {
        Ok(s) => cli.apply_overrides(s),
        Err(e) => {
            eprintln!("doxin: configuration error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    // One TLS provider for every client (sqlx, redis, reqwest, object_store).
    let _ = rustls::crypto::ring::default_provider().install_default();
    telemetry::init(&settings);

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("doxin: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.command, settings)) {
        Ok(code) => code,
        Err(e) => {
            // Once, on stderr; a log line as well would print the same error twice.
            eprintln!("doxin: {e:#}");
            ExitCode::FAILURE
        }
    }
}
