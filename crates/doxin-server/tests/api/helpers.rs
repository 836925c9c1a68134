//! `spawn_app()`: the real router on a random port, over a temporary SQLite database.

use doxin_server::{AppState, Application};
use doxin_store::{ConnectOptions, FileStore};
use std::net::SocketAddr;
use tokio::sync::oneshot;

pub struct TestApp {
    pub address: String,
    pub store: std::sync::Arc<dyn doxin_store::Store>,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

#[derive(Default)]
pub struct SpawnOptions {
    pub redis_url: Option<String>,
    pub database_url: Option<String>,
    pub limits: Option<doxin_server::IntakeLimits>,
    pub fetcher: Option<doxin_fetch::Fetcher>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(SpawnOptions::default()).await
}

pub async fn spawn_app_with(opts: SpawnOptions) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = opts
        .database_url
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("doxin.db").display()));
    let store = doxin_store::connect(&db_url, &ConnectOptions::default())
        .await
        .expect("store");
    let files = FileStore::local(&dir.path().join("files")).expect("files");
    let mut state = AppState::new(store.clone(), files, "test-version");
    if let Some(limits) = opts.limits {
        state = state.with_limits(limits);
    }
    if let Some(fetcher) = opts.fetcher {
        state = state.with_fetcher(fetcher);
    }
    if let Some(url) = opts.redis_url {
        state = state.with_redis(&url).expect("redis url");
    }
    let app = Application::build(SocketAddr::from(([127, 0, 0, 1], 0)), state)
        .await
        .expect("bind");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    TestApp {
        address,
        store,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        stop: Some(tx),
        _dir: dir,
    }
}
