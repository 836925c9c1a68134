//! Logs: JSON (default) or human-readable lines on stderr, filtered by `RUST_LOG`.
//! stderr keeps stdout free for command output such as `config check`.

use doxin_config::{LogFormat, Settings};
use tracing_subscriber::EnvFilter;

pub fn init(settings: &Settings) {
    let filter = EnvFilter::try_new(&settings.log_level).unwrap_or_else(|e| {
        eprintln!(
            "doxin: RUST_LOG={:?} is not a valid filter ({e}); using info",
            settings.log_level
        );
        EnvFilter::new("info")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let result = match settings.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init(),
        LogFormat::Pretty => builder.compact().try_init(),
    };
    if let Err(e) = result {
        eprintln!("doxin: logging already initialised: {e}");
    }
}
