//! `spawn_app()`: the real router on a random port, over a temporary SQLite database.
//!
//! Every app comes with a default user (`app.user`), and `app.client` sends that user's API
//! token on every request; `app.anon` sends none. More users: `app.create_user`.

use doxin_server::{AppState, Application};
use doxin_store::{ConnectOptions, FileStore};
use std::net::SocketAddr;
use tokio::sync::oneshot;

/// A user made directly in the store, with a personal API token.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: uuid::Uuid,
    pub email: String,
    pub token: String,
}

/// A valid Argon2id hash of [`TEST_PASSWORD`] (made once, so tests need not hash).
pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// The JWT secret of test apps.
pub const JWT_SECRET: &[u8] = b"test-jwt-secret";

/// The alert webhook's secret (`WEBHOOK_SECRET`) of test apps; `tweak_auth` can unset it.
pub const WEBHOOK_SECRET: &str = "test-webhook-secret-0123456789";

pub struct TestApp {
    pub address: String,
    pub store: std::sync::Arc<dyn doxin_store::Store>,
    /// Sends the default user's token.
    pub client: reqwest::Client,
    /// Sends no credential.
    pub anon: reqwest::Client,
    pub user: TestUser,
    /// The app's authentication state (to arm first-run setup, as `doxin serve` does).
    pub auth: doxin_server::auth::Auth,
    /// The app's file store (to put documents beside invoices made in the store).
    pub files: FileStore,
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

    /// A request as `user`, or anonymous.
    pub fn req(
        &self,
        method: reqwest::Method,
        path: &str,
        user: Option<&TestUser>,
    ) -> reqwest::RequestBuilder {
        let rb = self.anon.request(method, self.url(path));
        match user {
            Some(u) => rb.bearer_auth(&u.token),
            None => rb,
        }
    }

    pub async fn create_user(&self, email: &str, admin: bool) -> TestUser {
        create_user(self.store.as_ref(), email, admin).await
    }
}

pub async fn password_hash() -> String {
    static HASH: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    HASH.get_or_init(|| async {
        use argon2::password_hash::PasswordHasher;
        argon2::Argon2::default()
            .hash_password(TEST_PASSWORD.as_bytes())
            .expect("hash")
            .to_string()
    })
    .await
    .clone()
}

pub async fn create_user(store: &dyn doxin_store::Store, email: &str, admin: bool) -> TestUser {
    use sha2::Digest;
    let user = store
        .create_user(doxin_store::NewUser {
            email: email.to_string(),
            display_name: email.split('@').next().unwrap_or(email).to_string(),
            password_hash: password_hash().await,
            role: if admin {
                doxin_store::Role::Admin
            } else {
                doxin_store::Role::User
            },
        })
        .await
        .expect("create user");
    let token = format!("dxn_{}", uuid::Uuid::new_v4().simple());
    store
        .create_api_token(doxin_store::NewApiToken {
            user_id: user.id,
            name: "tests".into(),
            token_hash: hex::encode(sha2::Sha256::digest(token.as_bytes())),
            prefix: token[..10].to_string(),
            expires_at: None,
        })
        .await
        .expect("create token");
    TestUser {
        id: user.id,
        email: user.email,
        token,
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
    /// Sign-in attempts per minute and address (default 10).
    pub auth_per_minute: Option<u32>,
    pub open_signup: bool,
    /// No users at all (the default user's token then signs nobody in).
    pub fresh_install: bool,
    pub smtp: Option<doxin_config::SmtpSettings>,
    /// `FRONTEND_URL` (a trusted WebSocket origin besides the app's own).
    pub frontend_url: Option<String>,
    /// Changes to the authentication settings (cookies, CORS origin, metrics token…).
    pub tweak_auth: Option<fn(&mut doxin_server::auth::AuthSettings)>,
    /// The event bus (default: one within the app); a Redis bus makes apps on one database
    /// behave as API processes of one deployment.
    pub events: Option<doxin_jobs::EventBus>,
    /// The default user, already in the store (a second app on the same database).
    pub user: Option<TestUser>,
}

/// For `SpawnOptions::tweak_auth`: no auth cache, so a change written straight to the store
/// (not through the API, which drops cached callers itself) is seen by the next request.
pub fn no_auth_cache(s: &mut doxin_server::auth::AuthSettings) {
    s.cache_ttl = std::time::Duration::ZERO;
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(SpawnOptions::default()).await
}

/// Errors the server logs (an internal error's cause never reaches the client) go to the
/// test's captured output, so a failing test shows why it got a 500.
fn log_server_errors() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("DOXIN_TEST_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_test_writer()
        .try_init();
}

pub async fn spawn_app_with(opts: SpawnOptions) -> TestApp {
    log_server_errors();
    let dir = tempfile::tempdir().expect("tempdir");
    let db_url = opts
        .database_url
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("doxin.db").display()));
    let store = doxin_store::connect(&db_url, &ConnectOptions::default())
        .await
        .expect("store");
    let user = if let Some(user) = opts.user {
        user
    } else if opts.fresh_install {
        TestUser {
            id: uuid::Uuid::now_v7(),
            email: "nobody@example.com".into(),
            token: "dxn_none".into(),
        }
    } else {
        create_user(store.as_ref(), "owner@example.com", false).await
    };
    let files = FileStore::local(&dir.path().join("files")).expect("files");
    let mut state = AppState::new(store.clone(), files.clone(), "test-version");
    if let Some(limits) = opts.limits {
        state = state.with_limits(limits);
    }
    let mut auth_settings = doxin_server::auth::AuthSettings {
        open_signup: opts.open_signup,
        public_url: "http://doxin.test".into(),
        webhook_secret: Some(doxin_config::Secret::new(WEBHOOK_SECRET)),
        ..Default::default()
    };
    if let Some(tweak) = opts.tweak_auth {
        tweak(&mut auth_settings);
    }
    state = state
        .with_auth(
            JWT_SECRET,
            auth_settings,
            opts.auth_per_minute.unwrap_or(10),
        )
        .expect("auth");
    if let Some(smtp) = &opts.smtp {
        state = state.with_mailer(doxin_server::mail::Mailer::new(smtp).expect("mailer"));
    }
    state = state.with_frontend_url(opts.frontend_url);
    if let Some(fetcher) = opts.fetcher {
        state = state.with_fetcher(fetcher);
    }
    if let Some(events) = opts.events {
        let queue = state.queue.clone();
        state = state.with_jobs(queue, events);
    }
    if let Some(url) = opts.redis_url {
        state = state.with_redis(&url).expect("redis url");
    }
    let auth = state.auth.clone();
    let app = Application::build(SocketAddr::from(([127, 0, 0, 1], 0)), state)
        .await
        .expect("bind");
    let address = format!("http://127.0.0.1:{}", app.port());
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    // reqwest is built without a TLS provider of its own (the workspace Cargo.toml).
    let _ = rustls::crypto::ring::default_provider().install_default();
    TestApp {
        address,
        store,
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(
                [(
                    reqwest::header::AUTHORIZATION,
                    format!("Bearer {}", user.token).parse().expect("header"),
                )]
                .into_iter()
                .collect(),
            )
            .build()
            .expect("client"),
        anon: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        user,
        auth,
        files,
        stop: Some(tx),
        _dir: dir,
    }
}

/// A fresh, empty PostgreSQL database on the test server (`DOXIN_TEST_DATABASE_URL`), or
/// `None` outside CI when no server is configured (in CI its absence is a failure).
pub async fn fresh_pg_database(prefix: &str) -> Option<String> {
    let Ok(admin) = std::env::var("DOXIN_TEST_DATABASE_URL") else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "DOXIN_TEST_DATABASE_URL must be set in CI"
        );
        return None;
    };
    use sqlx::{AssertSqlSafe, Connection};
    let name = format!("{prefix}_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("admin");
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create database");
    let mut url = url::Url::parse(&admin).expect("url");
    url.set_path(&name);
    Some(url.to_string())
}
