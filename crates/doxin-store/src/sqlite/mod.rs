//! The SQLite backend: the embedded default. WAL journal, foreign keys on, decimals as text
//! (SQLite has no exact decimal type), timestamps as fixed-width RFC 3339 text so they sort.

use std::collections::HashMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, SecondsFormat, Utc};
use doxin_model::{Decimal, Field, Invoice, JobStatus};
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use crate::sql::{
    Arg, Args, Estimates, FullText, contains_pattern, cosine, search_tokens, where_clause,
};
use crate::*;

type Db = sqlx::Sqlite;
type DbRow = SqliteRow;
type ThisStore = SqliteStore;
/// SQLite serialises writers, so the queue's claim needs no row locking.
/// What keeps a subquery from being merged into its outer query: `LIMIT -1 OFFSET 0` (SQLite needs the limit).
const FENCE: &str = " LIMIT -1 OFFSET 0";
const LOCK_ROWS: &str = "";
/// How a transaction that writes begins. A deferred `BEGIN` takes SQLite's write lock only at
/// the first write, after the transaction may already have read (its own `SELECT`, or the
/// schema a fresh connection loads to prepare the statement); if another connection wrote in
/// between, SQLite answers `SQLITE_BUSY_SNAPSHOT` at once, without waiting out the busy
/// timeout (seen as an intermittent 500 on `POST /invoices`, "(code: 517) database is
/// locked"). `BEGIN IMMEDIATE` takes the write lock first and waits for it like any writer.
const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";
const BACKEND: Backend = Backend::Sqlite;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The store on a SQLite file.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Never filled: SQLite counts every total.
    estimates: crate::sql::Estimates,
}

/// The file path of a `sqlite:` URL, without query parameters.
fn sqlite_path(url: &str) -> &str {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    rest.split('?').next().unwrap_or(rest)
}

impl SqliteStore {
    /// Opens (creating if needed) the database file of `url`, e.g. `sqlite://./data/doxin.db`.
    pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<SqliteStore> {
        let path = sqlite_path(url);
        if path.is_empty() || path == ":memory:" {
            return Err(StoreError::Config(
                "SQLite needs a file path (in-memory databases lose every job on restart)".into(),
            ));
        }
        if let Some(dir) = Path::new(path)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Config(format!("cannot create directory {}: {e}", dir.display()))
            })?;
        }
        let options = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))
            .map_err(|e| StoreError::Config(e.to_string()))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        let store = SqliteStore {
            pool,
            estimates: Default::default(),
        };
        if opts.migrate {
            store.migrate_impl().await?;
        }
        Ok(store)
    }

    async fn migrate_impl(&self) -> Result<usize> {
        let before = applied_migrations(&self.pool).await;
        MIGRATOR.run(&self.pool).await?;
        Ok(applied_migrations(&self.pool).await.saturating_sub(before))
    }

    async fn health_impl(&self) -> Result<DatabaseHealth> {
        let row = sqlx::query("SELECT sqlite_version()")
            .fetch_one(&self.pool)
            .await?;
        Ok(DatabaseHealth {
            backend: "sqlite",
            server_version: row.try_get(0)?,
            pgvector_version: None,
            pg_trgm_version: None,
        })
    }

    /// Closes the pool (waits for connections in use).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

async fn applied_migrations(pool: &SqlitePool) -> usize {
    sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(pool)
        .await
        .and_then(|r| r.try_get::<i64, _>(0))
        .map(|n| usize::try_from(n).unwrap_or(0))
        .unwrap_or(0)
}

/// Rewrites `$N` placeholders to SQLite's `?N`, which binds by the same index. Only
/// placeholders are rewritten: our SQL has no `$` inside string literals.
fn to_sqlite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

fn fmt_ts(ts: DateTime<Utc>) -> String {
    ts.to_rfc3339_opts(SecondsFormat::Micros, true)
}

fn query(
    sql: &str,
    args: Vec<Arg>,
) -> sqlx::query::Query<'static, Db, <Db as sqlx::Database>::Arguments> {
    let mut q = sqlx::query(AssertSqlSafe(to_sqlite(sql)));
    for a in args {
        q = match a {
            Arg::Text(v) => q.bind(v),
            Arg::Id(v) => q.bind(v.map(|u| u.to_string())),
            Arg::Ts(v) => q.bind(v.map(fmt_ts)),
            Arg::Date(v) => q.bind(v),
            Arg::Dec(v) => q.bind(v.map(|d| d.normalize().to_string())),
            Arg::Int(v) => q.bind(v),
            Arg::Real(v) => q.bind(v),
            Arg::Bool(v) => q.bind(v),
            Arg::Json(v) => q.bind(v.map(|j| j.to_string())),
            Arg::Bytes(v) => q.bind(v),
        };
    }
    q
}

/// Decimal text compares as text in SQLite; compare numerically instead.
/// SQLite keeps no row estimates a query could read: its totals are always counted.
async fn estimate_rows(_pool: &SqlitePool, _sql: &str, _args: Vec<Arg>) -> Result<Option<u64>> {
    Ok(None)
}

fn dec_cmp(column: &str, op: &str, placeholder: &str) -> String {
    format!("CAST({column} AS REAL) {op} CAST({placeholder} AS REAL)")
}

/// Decimal text orders as text in SQLite; order numerically instead.
fn dec_sort(column: &str) -> String {
    format!("CAST({column} AS REAL)")
}

/// SQLite has no exact decimal: sum in ten-thousandths as integers (exact for amounts with up
/// to four decimals, which covers every currency).
fn sum_dec(column: &str) -> String {
    format!("SUM(CAST(ROUND(CAST({column} AS REAL) * 10000) AS INTEGER))")
}

fn col_sum_dec(row: &DbRow, col: &str) -> Result<Decimal> {
    let n: Option<i64> = row.try_get(col)?;
    Ok(Decimal::new(n.unwrap_or(0), 4).normalize())
}

/// The `YYYY-MM` an invoice counts in: its issue month, else its upload month (UTC).
const MONTH_OF_INVOICE: &str = "substr(coalesce(issue_date, created_at), 1, 7)";

/// Full text through the FTS5 table (prefix matching per word, BM25 with the number weighted
/// over parties over lines), plus number substrings.
fn full_text(q: &str, args: &mut Args) -> Option<FullText> {
    let tokens = search_tokens(q);
    if tokens.is_empty() {
        return None;
    }
    // Each word quoted (tokens are letters and digits only) and prefix-matched; FTS5 ANDs them.
    let m = args.push(
        tokens
            .iter()
            .map(|t| format!("\"{t}\"*"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    let like = args.push(contains_pattern(q));
    Some(FullText {
        join: format!(
            " LEFT JOIN (SELECT invoice_id AS fts_id, \
             -bm25(invoices_fts, 0.0, 10.0, 5.0, 1.0) AS fts_score \
             FROM invoices_fts WHERE invoices_fts MATCH {m}) AS fts ON fts.fts_id = invoices.id"
        ),
        cond: format!("(fts.fts_id IS NOT NULL OR lower(invoice_number) LIKE {like} ESCAPE '\\')"),
        score: "coalesce(fts.fts_score, 0.0)".to_string(),
    })
}

/// SQLite has no trigram index: no second, typo-tolerant pass.
fn fuzzy_text(_q: &str, _args: &mut Args) -> Option<FullText> {
    None
}

/// A vector parameter: little-endian f32 bytes.
fn vector_param(args: &mut Args, v: &[f32]) -> String {
    args.push(v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>())
}

const VECTOR_SELECT: &str = "embedding";

fn col_opt_vector(row: &DbRow, col: &str) -> Result<Option<Vec<f32>>> {
    let bytes: Option<Vec<u8>> = row.try_get(col)?;
    bytes
        .map(|b| {
            if b.len() % 4 != 0 {
                return Err(StoreError::Corrupt(format!("{col}: {} bytes", b.len())));
            }
            Ok(b.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect())
        })
        .transpose()
}

impl SqliteStore {
    /// Nearest live invoices: SQLite has no vector index, so every candidate vector in scope
    /// is compared in Rust (fine at the sizes an embedded deployment holds).
    async fn nearest_impl(
        &self,
        scope: Scope,
        target: &InvoiceEmbedding,
        limit: u32,
        exclude: Option<Uuid>,
    ) -> Result<Vec<(Uuid, f32)>> {
        let mut args = Args::default();
        let m = args.push(target.model.as_str());
        let mut conds = vec![
            "deleted_at IS NULL".to_string(),
            "embedding IS NOT NULL".to_string(),
            format!("embedding_model = {m}"),
        ];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        if let Some(x) = exclude {
            let p = args.push(x);
            conds.push(format!("id <> {p}"));
        }
        let mut rows = query(
            &format!("SELECT id, embedding FROM invoices{}", where_clause(&conds)),
            args.args,
        )
        .fetch(&self.pool);
        let mut hits = Vec::new();
        while let Some(row) = futures::TryStreamExt::try_next(&mut rows).await? {
            if let Some(v) = col_opt_vector(&row, "embedding")? {
                hits.push((col_id(&row, "id")?, cosine(&target.vector, &v)));
            }
        }
        hits.sort_by(|a, b| b.1.total_cmp(&a.1));
        hits.truncate(limit.clamp(1, 200) as usize);
        Ok(hits)
    }
}

fn col_opt_id(row: &DbRow, col: &str) -> Result<Option<Uuid>> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| Uuid::parse_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}"))))
        .transpose()
}

fn col_id(row: &DbRow, col: &str) -> Result<Uuid> {
    col_opt_id(row, col)?.ok_or_else(|| StoreError::Corrupt(format!("{col} is null")))
}

fn col_opt_ts(row: &DbRow, col: &str) -> Result<Option<DateTime<Utc>>> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| {
        DateTime::parse_from_rfc3339(&s)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
    })
    .transpose()
}

fn col_ts(row: &DbRow, col: &str) -> Result<DateTime<Utc>> {
    col_opt_ts(row, col)?.ok_or_else(|| StoreError::Corrupt(format!("{col} is null")))
}

fn col_opt_dec(row: &DbRow, col: &str) -> Result<Option<Decimal>> {
    let s: Option<String> = row.try_get(col)?;
    s.map(|s| Decimal::from_str(&s).map_err(|e| StoreError::Corrupt(format!("{col}: {e}"))))
        .transpose()
}

fn col_opt_json(row: &DbRow, col: &str) -> Result<Option<serde_json::Value>> {
    let s: Option<String> = row.try_get(col)?;
    Ok(s.map(|s| serde_json::from_str(&s)).transpose()?)
}

fn col_json(row: &DbRow, col: &str) -> Result<serde_json::Value> {
    col_opt_json(row, col)?.ok_or_else(|| StoreError::Corrupt(format!("{col} is null")))
}

/// The text at `path` (object keys) inside the JSON document in `column`.
fn json_text(column: &str, path: &[&str]) -> String {
    format!("json_extract({column}, '$.{}')", path.join("."))
}

/// The JSON value (as JSON text) under `key` of the document in `column`.
fn json_member(column: &str, key: &str) -> String {
    format!("json_extract({column}, '$.{key}')")
}

/// A join bringing in each element of the JSON array `key` of `column` as `alias`, and the
/// expression of one element ([`json_text`] reads inside it). A missing array joins nothing.
fn json_elements(column: &str, key: &str, alias: &str) -> (String, String) {
    (
        format!(", json_each({column}, '$.{key}') AS {alias}"),
        format!("{alias}.value"),
    )
}

include!("../sql/store_impl.rs");
include!("../sql/accounts_impl.rs");
include!("../sql/reports_impl.rs");
include!("../sql/imports_impl.rs");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_question_marks() {
        assert_eq!(
            to_sqlite("UPDATE t SET a = $2, b = $10 WHERE id = $1 AND c = '$'"),
            "UPDATE t SET a = ?2, b = ?10 WHERE id = ?1 AND c = '$'"
        );
    }

    #[test]
    fn url_paths() {
        assert_eq!(sqlite_path("sqlite://./data/doxin.db"), "./data/doxin.db");
        assert_eq!(sqlite_path("sqlite:///abs/x.db?mode=rwc"), "/abs/x.db");
        assert_eq!(sqlite_path("sqlite:rel.db"), "rel.db");
    }

    #[test]
    fn timestamps_are_fixed_width() {
        let a = fmt_ts(DateTime::from_timestamp(1_700_000_000, 0).expect("ts"));
        let b = fmt_ts(DateTime::from_timestamp(1_700_000_000, 123_456_000).expect("ts"));
        assert_eq!(a.len(), b.len());
        assert!(a < b);
    }
}
