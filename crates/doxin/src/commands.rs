//! The commands.

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use doxin_config::{Settings, StorageLocation};
use doxin_server::{AppState, Application};
use doxin_store::{ConnectOptions, FileStore, Store};

use crate::cli::{Command, ConfigAction};

pub async fn run(command: Command, settings: Settings) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve { .. } => serve(settings).await,
        Command::Migrate => migrate(settings).await,
        Command::Extract {
            files,
            format,
            extraction,
            llm,
        } => {
            let opts = extraction.options();
            let llm = llm.setup(&settings)?;
            tokio::task::spawn_blocking(move || crate::extract_cmd::run(files, format, opts, llm))
                .await?
        }
        Command::Eval {
            dir,
            json,
            misses,
            extraction,
        } => {
            let opts = extraction.options();
            tokio::task::spawn_blocking(move || crate::eval_cmd::run(&dir, opts, json, misses))
                .await?
        }
        Command::Config {
            action: ConfigAction::Check,
        } => {
            config_check(&settings);
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn open_store(settings: &Settings, migrate: bool) -> anyhow::Result<Arc<dyn Store>> {
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

fn open_files(settings: &Settings) -> anyhow::Result<FileStore> {
    Ok(match &settings.storage {
        StorageLocation::Local(dir) => FileStore::local(dir)?,
        StorageLocation::Remote(url) => FileStore::remote(url)?,
    })
}

async fn serve(settings: Settings) -> anyhow::Result<ExitCode> {
    let store = open_store(&settings, true).await?;
    let files = open_files(&settings)?;
    let mut state = AppState::new(store, files, settings.app_version.clone());
    if let Some(url) = &settings.redis_url {
        state = state
            .with_redis(url.expose())
            .context("REDIS_URL is not a usable Redis URL")?;
    }
    let addr = SocketAddr::new(settings.host, settings.port);
    let app = Application::build(addr, state)
        .await
        .with_context(|| format!("cannot listen on {addr}"))?;
    tracing::info!(
        address = %app.local_addr()?,
        environment = settings.environment.as_str(),
        database = ?settings.database_backend,
        version = %settings.app_version,
        "doxin serving"
    );
    app.run_until_stopped(doxin_server::shutdown_signal())
        .await?;
    tracing::info!("doxin stopped");
    Ok(ExitCode::SUCCESS)
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
