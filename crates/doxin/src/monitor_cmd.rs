//! `doxin monitor`: the worker monitor on its own port (5555 by default), over the same
//! database, queue, event bus and accounts as `doxin serve`. It runs no worker and changes
//! nothing by itself; see `doxin_server::monitor` for what it serves.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;

use anyhow::Context;
use doxin_config::Settings;
use doxin_server::{AppState, Application};

use crate::commands::{auth_settings, installation_secret, open_files, open_store, stop_on_signal};
use crate::jobs_setup;

pub async fn run(settings: Settings, host: Option<IpAddr>, port: u16) -> anyhow::Result<ExitCode> {
    // Bind first: a taken port fails before anything else happens.
    let addr = SocketAddr::new(host.unwrap_or(settings.host), port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    let store = open_store(&settings, true).await?;
    let files = open_files(&settings)?;
    let jobs = jobs_setup::jobs(&settings, store.clone())?;
    // The API's JWT key, so its tokens are accepted here too.
    let jwt_secret_key = installation_secret(
        settings.jwt_secret_key.as_ref(),
        &settings.jwt_secret_key_file(),
        "JWT_SECRET_KEY",
    )?;
    let mut state = AppState::new(store, files, settings.app_version.clone())
        .with_jobs(jobs.queue.clone(), jobs.events.clone())
        .with_limits(jobs_setup::limits(&settings))
        .with_auth(
            jwt_secret_key.as_bytes(),
            auth_settings(&settings),
            settings.accounts.auth_rate_limit_per_minute,
        )
        .context("JWT_SECRET_KEY cannot be used")?;
    if let Some(url) = &settings.redis_url {
        state = state
            .with_redis(url.expose())
            .context("REDIS_URL is not a usable Redis URL")?;
    }
    let keys = settings
        .redis_url
        .as_ref()
        .map(|_| doxin_jobs::RedisKeys::new(settings.pipeline.redis_key_prefix.clone()));
    let app = Application::with_router(
        listener,
        doxin_server::monitor::router_with_broker(state.clone(), keys),
    )
    .following_credential_changes(&state);
    tracing::info!(
        address = %app.local_addr()?,
        queue = jobs.queue.kind(),
        version = %settings.app_version,
        "doxin monitor serving"
    );
    app.run_until_stopped(stop_on_signal().cancelled_owned())
        .await?;
    tracing::info!("doxin monitor stopped");
    Ok(ExitCode::SUCCESS)
}
