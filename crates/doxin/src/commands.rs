//! The commands.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use doxin_config::{Settings, StorageLocation};
use doxin_server::{AppState, Application};
use doxin_store::{ConnectOptions, FileStore, Store};

use tokio_util::sync::CancellationToken;

use crate::cli::{Command, ConfigAction};
use crate::jobs_setup;

pub async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { no_worker, .. } => serve(settings, !no_worker).await,
        Command::Worker { ping: true, .. } => ping(settings).await,
        Command::Worker { .. } => worker(settings).await,
        Command::Monitor { port, host } => crate::monitor_cmd::run(settings, host, port).await,
        Command::Migrate => migrate(settings).await,
        Command::Extract {
            files,
            format,
            extraction,
            llm,
        } => {
            let mut opts = extraction.options(&settings);
            opts.limits = jobs_setup::document_limits(&settings);
            let llm = llm.setup(&settings, jobs_setup::sandbox(&settings)?)?;
            tokio::task::spawn_blocking(move || crate::extract_cmd::run(files, format, opts, llm))
                .await?
        }
        Command::Eval {
            dir,
            json,
            misses,
            extraction,
        } => {
            let opts = extraction.options(&settings);
            tokio::task::spawn_blocking(move || crate::eval_cmd::run(&dir, opts, json, misses))
                .await?
        }
        Command::User { action } => {
            let store = open_store(&settings, true).await?;
            crate::user_cmd::run(action, store.as_ref()).await
        }
        Command::Demo {
            action:
                crate::cli::DemoAction::Files {
                    out,
                    count,
                    misprinted,
                    seed,
                },
        } => crate::demo_cmd::files(&out, count, misprinted, seed),
        Command::Demo {
            action:
                crate::cli::DemoAction::Workbook {
                    out,
                    orders,
                    seed,
                    flawed,
                },
        } => crate::import_cmd::workbook(&out, orders, seed, flawed),
        Command::Import { action } => {
            let store = open_store(&settings, true).await?;
            crate::import_cmd::run(action, store.as_ref()).await
        }
        Command::Demo { action } => {
            let store = open_store(&settings, true).await?;
            crate::demo_cmd::run(action, store, settings.database_max_connections).await
        }
        Command::Config {
            action: ConfigAction::Check,
        } => {
            config_check(&settings);
            Ok(ExitCode::SUCCESS)
        }
    }
}

pub(crate) async fn open_store(
    settings: &Settings,
    migrate: bool,
) -> anyhow::Result<Arc<dyn Store>> {
    let opts = ConnectOptions {
        max_connections: settings.database_max_connections,
        migrate,
    };
    doxin_store::connect(settings.database_url.expose(), &opts)
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                doxin_config::mask_url_password(settings.database_url.expose())
            )
        })
}

pub(crate) fn open_files(settings: &Settings) -> anyhow::Result<FileStore> {
    Ok(match &settings.storage {
        StorageLocation::Local(dir) => FileStore::local(dir)?,
        StorageLocation::Remote(url) => FileStore::remote(url)?,
    })
}

/// Cancelled on SIGTERM or Ctrl-C; everything that runs until shutdown watches it.
pub(crate) fn stop_on_signal() -> CancellationToken {
    let stop = CancellationToken::new();
    let trigger = stop.clone();
    tokio::spawn(async move {
        doxin_server::shutdown_signal().await;
        trigger.cancel();
    });
    stop
}

async fn serve(mut settings: Settings, with_worker: bool) -> anyhow::Result<ExitCode> {
    // A bad allow-list is a configuration error like any other: exit 2 before touching anything.
    let fetcher = match jobs_setup::fetcher(&settings) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("doxin: configuration error: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    // Bind before anything changes: a taken port fails here, before the database is
    // migrated, a setup token is minted or a worker takes jobs.
    let addr = SocketAddr::new(settings.host, settings.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    settings.serving_on(listener.local_addr()?.port());
    let store = open_store(&settings, true).await?;
    let files = open_files(&settings)?;
    let jobs = jobs_setup::jobs(&settings, store.clone())?;
    jobs_setup::check_redis(&settings).await?;
    // One embedder for the API and the in-process worker (the local model is 90 MB).
    let embedder = jobs_setup::embedder(&settings)?;
    // One pool of sandbox children for intake and the in-process worker.
    let sandbox = jobs_setup::sandbox(&settings)?;
    let secret_key = installation_secret(
        settings.secret_key.as_ref(),
        &settings.secret_key_file(),
        "SECRET_KEY",
    )?;
    let jwt_secret_key = installation_secret(
        settings.jwt_secret_key.as_ref(),
        &settings.jwt_secret_key_file(),
        "JWT_SECRET_KEY",
    )?;
    // One set of figures for the API and its in-process worker: one `/metrics` shows both.
    let metrics = doxin_metrics::Metrics::new();
    let mut state = AppState::new(store.clone(), files.clone(), settings.app_version.clone())
        .with_metrics(metrics.clone())
        .with_jobs(jobs.queue.clone(), jobs.events.clone())
        .with_embedder(embedder.clone())
        .with_limits(jobs_setup::limits(&settings))
        .with_sandbox(sandbox.clone())
        .with_token_key(secret_key.as_bytes())
        .with_auth(
            jwt_secret_key.as_bytes(),
            auth_settings(&settings),
            settings.accounts.auth_rate_limit_per_minute,
        )
        .context("JWT_SECRET_KEY cannot be used")?
        .with_frontend_url(settings.frontend_url.clone())
        .with_fetcher(fetcher);
    if let Some(smtp) = &settings.accounts.smtp {
        state = state.with_mailer(
            doxin_server::mail::Mailer::new(smtp).context("the SMTP settings are not usable")?,
        );
    }
    if store.count_users().await? == 0 {
        let token = state.auth.arm_setup();
        tracing::warn!(
            setup_url = format!(
                "{}/setup?token={token}",
                doxin_config::mask_url_userinfo(&settings.accounts.public_url)
            ),
            setup_token = %token,
            "no users yet: open the setup page with this one-time token to create the first \
             administrator (or run `doxin user create --admin`)"
        );
    }
    if let Some(client) = jobs_setup::redis_client(&settings)? {
        state = state.with_redis_client(client);
    }
    let stop = stop_on_signal();
    let worker = if with_worker {
        let worker = jobs_setup::worker(
            &settings,
            store.clone(),
            files.clone(),
            &jobs,
            embedder,
            sandbox,
            metrics,
        )?;
        Some(tokio::spawn(worker.run(stop.clone())))
    } else {
        None
    };
    let app = Application::from_listener(listener, state);
    tracing::info!(
        address = %app.local_addr()?,
        environment = settings.environment.as_str(),
        database = ?settings.database_backend,
        version = %settings.app_version,
        "doxin serving"
    );
    app.run_until_stopped(stop.clone().cancelled_owned())
        .await?;
    if let Some(worker) = worker {
        stop.cancel();
        worker.await??;
    }
    tracing::info!("doxin stopped");
    Ok(ExitCode::SUCCESS)
}

/// The configured secret, or the installation's own: generated on first start and kept in
/// `file` (mode 0600) under the data directory. A fixed built-in default would be public, and
/// anyone could sign tokens for a server reachable on the network.
pub(crate) fn installation_secret(
    configured: Option<&doxin_config::Secret>,
    file: &std::path::Path,
    variable: &str,
) -> anyhow::Result<String> {
    match configured {
        Some(secret) => Ok(secret.expose().to_string()),
        None => doxin_server::auth::secrets::installation_key(file).with_context(|| {
            format!(
                "{variable} is unset and the installation's own key in {} cannot be read or \
                 created",
                file.display()
            )
        }),
    }
}

pub(crate) fn auth_settings(settings: &Settings) -> doxin_server::auth::AuthSettings {
    let hours = i64::try_from(settings.accounts.session_ttl_hours).unwrap_or(168);
    doxin_server::auth::AuthSettings {
        cookie_secure: settings.session_cookie_secure,
        cookie_httponly: settings.session_cookie_httponly,
        allowed_origin: settings.frontend_origin(),
        metrics_token: settings
            .metrics_token
            .as_ref()
            .map(|t| t.expose().to_string()),
        webhook_secret: settings.webhook_secret.clone(),
        session_ttl: chrono::Duration::hours(hours),
        open_signup: settings.accounts.open_signup,
        public_url: settings.accounts.public_url.clone(),
        access_code_ttl: chrono::Duration::days(i64::from(settings.accounts.access_code_ttl_days)),
        cache_ttl: std::time::Duration::from_secs(settings.accounts.auth_cache_seconds),
    }
}

async fn worker(settings: Settings) -> anyhow::Result<ExitCode> {
    // Bind the metrics listener first: a taken port fails before any job is taken.
    let metrics_listener = match settings.worker_metrics_port {
        0 => None,
        port => {
            let addr = SocketAddr::new(settings.host, port);
            Some(
                tokio::net::TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("cannot serve worker metrics on {addr}"))?,
            )
        }
    };
    let store = open_store(&settings, true).await?;
    let files = open_files(&settings)?;
    let jobs = jobs_setup::jobs(&settings, store.clone())?;
    jobs_setup::check_redis(&settings).await?;
    let embedder = jobs_setup::embedder(&settings)?;
    let sandbox = jobs_setup::sandbox(&settings)?;
    let metrics = doxin_metrics::Metrics::new();
    let worker = jobs_setup::worker(
        &settings,
        store.clone(),
        files,
        &jobs,
        embedder,
        sandbox,
        metrics.clone(),
    )?;
    let stop = stop_on_signal();
    let metrics_server = match metrics_listener {
        Some(listener) => {
            tracing::info!(address = %listener.local_addr()?, "worker metrics at /metrics");
            let router = doxin_server::metrics::worker_router(
                store,
                metrics,
                settings
                    .metrics_token
                    .as_ref()
                    .map(|t| t.expose().to_string()),
            );
            Some(tokio::spawn(doxin_server::metrics::serve_worker_metrics(
                listener,
                router,
                stop.clone().cancelled_owned(),
            )))
        }
        None => None,
    };
    tracing::info!(
        worker = worker.id(),
        queue = jobs.queue.kind(),
        "doxin worker starting"
    );
    worker.run(stop.clone()).await?;
    stop.cancel();
    if let Some(server) = metrics_server {
        server.await??;
    }
    Ok(ExitCode::SUCCESS)
}

/// `doxin worker --ping`: is any worker of this deployment alive?
async fn ping(settings: Settings) -> anyhow::Result<ExitCode> {
    let store = open_store(&settings, false).await?;
    if doxin_jobs::worker_is_alive(store.as_ref(), Duration::from_secs(30)).await? {
        println!("a worker is alive");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("no worker sent a heartbeat in the last 30 s");
        Ok(ExitCode::from(1))
    }
}

async fn migrate(settings: Settings) -> anyhow::Result<ExitCode> {
    let store = open_store(&settings, false).await?;
    let applied = store.migrate().await.context("migration failed")?;
    println!("database migrated: {applied} migration(s) applied");
    Ok(ExitCode::SUCCESS)
}

fn config_check(settings: &Settings) {
    let width = settings
        .entries()
        .iter()
        .map(|e| e.variable.len())
        .max()
        .unwrap_or(0);
    println!("# effective DoxIn configuration (secrets masked)");
    for e in settings.entries() {
        println!(
            "{:width$} = {}    # {}",
            e.variable,
            e.shown,
            e.origin.as_str()
        );
    }
}
