//! The PostgreSQL backend: native uuid, timestamptz, numeric and jsonb; pgvector and pg_trgm
//! are required (checked before migrating, so a missing pgvector gets a clear error).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use doxin_model::{Decimal, Field, Invoice, JobStatus};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use crate::sql::{Arg, Args, where_clause};
use crate::*;

type Db = sqlx::Postgres;
type DbRow = PgRow;
type ThisStore = PostgresStore;
/// Row locking for the queue's claim: skip rows another transaction is claiming.
const LOCK_ROWS: &str = " FOR UPDATE SKIP LOCKED";
const BACKEND: Backend = Backend::Postgres;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// `host:port/database`, for error messages (never the password).
    server: String,
}

impl PostgresStore {
    pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<PostgresStore> {
        let options: PgConnectOptions = url
            .parse()
            .map_err(|e: sqlx::Error| StoreError::Config(e.to_string()))?;
        let server = format!(
            "{}:{}/{}",
            options.get_host(),
            options.get_port(),
            options.get_database().unwrap_or("")
        );
        let pool = PgPoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options)
            .await?;
        let store = PostgresStore { pool, server };
        if opts.migrate {
            store.migrate_impl().await?;
        }
        Ok(store)
    }

    /// Fails with [`StoreError::PgvectorMissing`] unless the server can create `vector`.
    async fn require_pgvector(&self) -> Result<()> {
        let available = sqlx::query("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            .fetch_optional(&self.pool)
            .await?;
        if available.is_none() {
            return Err(StoreError::PgvectorMissing {
                server: self.server.clone(),
            });
        }
        Ok(())
    }

    async fn migrate_impl(&self) -> Result<usize> {
        self.require_pgvector().await?;
        let before = applied_migrations(&self.pool).await;
        MIGRATOR.run(&self.pool).await?;
        Ok(applied_migrations(&self.pool).await.saturating_sub(before))
    }

    async fn health_impl(&self) -> Result<DatabaseHealth> {
        let row = sqlx::query(
            "SELECT current_setting('server_version'), \
             (SELECT extversion FROM pg_extension WHERE extname = 'vector'), \
             (SELECT extversion FROM pg_extension WHERE extname = 'pg_trgm')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(DatabaseHealth {
            backend: "postgres",
            server_version: row.try_get(0)?,
            pgvector_version: row.try_get(1)?,
            pg_trgm_version: row.try_get(2)?,
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn applied_migrations(pool: &PgPool) -> usize {
    sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .and_then(|r| r.try_get::<i64, _>(0))
        .map(|n| usize::try_from(n).unwrap_or(0))
        .unwrap_or(0)
}

fn query(
    sql: &str,
    args: Vec<Arg>,
) -> sqlx::query::Query<'static, Db, <Db as sqlx::Database>::Arguments> {
    let mut q = sqlx::query(AssertSqlSafe(sql.to_string()));
    for a in args {
        q = match a {
            Arg::Text(v) => q.bind(v),
            Arg::Id(v) => q.bind(v),
            Arg::Ts(v) => q.bind(v),
            Arg::Date(v) => q.bind(v),
            Arg::Dec(v) => q.bind(v),
            Arg::Int(v) => q.bind(v),
            Arg::Real(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Json(v) => q.bind(v),
        };
    }
    q
}

fn dec_cmp(column: &str, op: &str, placeholder: &str) -> String {
    format!("{column} {op} {placeholder}")
}

fn col_opt_id(row: &DbRow, col: &str) -> Result<Option<Uuid>> {
    Ok(row.try_get(col)?)
}

fn col_id(row: &DbRow, col: &str) -> Result<Uuid> {
    Ok(row.try_get(col)?)
}

fn col_opt_ts(row: &DbRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    Ok(row.try_get(col)?)
}

fn col_ts(row: &DbRow, col: &str) -> Result<DateTime<Utc>> {
    Ok(row.try_get(col)?)
}

fn col_opt_dec(row: &DbRow, col: &str) -> Result<Option<Decimal>> {
    Ok(row.try_get(col)?)
}

fn col_opt_json(row: &DbRow, col: &str) -> Result<Option<serde_json::Value>> {
    Ok(row.try_get(col)?)
}

fn col_json(row: &DbRow, col: &str) -> Result<serde_json::Value> {
    Ok(row.try_get(col)?)
}

include!("../sql/store_impl.rs");
include!("../sql/accounts_impl.rs");
