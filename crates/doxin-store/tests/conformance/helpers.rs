//! Test databases: a temporary SQLite file, or a uniquely named PostgreSQL database.

use std::sync::Arc;

use doxin_store::{ConnectOptions, Store};
use sqlx::{AssertSqlSafe, Connection, PgConnection};

pub struct TestDb {
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    cleanup: Option<DropDatabase>,
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}", dir.path().join("doxin.db").display());
        let store = doxin_store::connect(&url, &ConnectOptions::default())
            .await
            .expect("sqlite store");
        TestDb {
            store,
            _dir: Some(dir),
            cleanup: None,
        }
    }

    /// `None` (the test is skipped) when no PostgreSQL is configured, unless `CI=true`.
    pub async fn postgres() -> Option<TestDb> {
        let admin = match std::env::var("DOXIN_TEST_DATABASE_URL") {
            Ok(url) if !url.is_empty() => url,
            _ => {
                assert!(
                    std::env::var("CI").as_deref() != Ok("true"),
                    "DOXIN_TEST_DATABASE_URL must be set in CI (scripts/test.sh sets it)"
                );
                eprintln!("skipping: DOXIN_TEST_DATABASE_URL is not set");
                return None;
            }
        };
        let (url, cleanup) = create_database(&admin, "store").await;
        let store = doxin_store::connect(&url, &ConnectOptions::default())
            .await
            .expect("postgres store");
        Some(TestDb {
            store,
            _dir: None,
            cleanup: Some(cleanup),
        })
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub async fn cleanup(mut self) {
        if let Some(c) = self.cleanup.take() {
            c.run().await;
        }
    }
}

/// The PostgreSQL without pgvector, for the negative migration test.
pub fn no_vector_url() -> Option<String> {
    match std::env::var("DOXIN_TEST_PG_NO_VECTOR_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            eprintln!("skipping: DOXIN_TEST_PG_NO_VECTOR_URL is not set");
            None
        }
    }
}

/// Drops a test database; also on panic, through `Drop`.
pub struct DropDatabase {
    admin_url: String,
    name: String,
    done: bool,
}

impl DropDatabase {
    pub async fn run(mut self) {
        drop_database(&self.admin_url, &self.name).await;
        self.done = true;
    }
}

impl Drop for DropDatabase {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        let (admin, name) = (self.admin_url.clone(), self.name.clone());
        // Drop runs inside the test's runtime; a fresh thread with its own runtime can block.
        let _ = std::thread::spawn(move || {
            if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                rt.block_on(drop_database(&admin, &name));
            }
        })
        .join();
    }
}

async fn drop_database(admin_url: &str, name: &str) {
    if let Ok(mut conn) = PgConnection::connect(admin_url).await {
        let _ = sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await;
    }
}

/// Creates `doxin_<tag>_<uuid>` on the server of `admin_url` and returns its URL.
pub async fn create_database(admin_url: &str, tag: &str) -> (String, DropDatabase) {
    let name = format!("doxin_{tag}_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::connect(admin_url)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let mut url = url::Url::parse(admin_url).expect("admin url");
    url.set_path(&name);
    (
        url.to_string(),
        DropDatabase {
            admin_url: admin_url.to_string(),
            name,
            done: false,
        },
    )
}
