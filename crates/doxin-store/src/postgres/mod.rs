//! The PostgreSQL backend: native uuid, timestamptz, numeric and jsonb; pgvector and pg_trgm
//! are required (checked before migrating, so a missing pgvector gets a clear error).

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use doxin_model::{Decimal, Field, Invoice, JobStatus};
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions, PgRow};
use sqlx::{AssertSqlSafe, Row};
use uuid::Uuid;

use crate::sql::{Arg, Args, Estimates, FullText, contains_pattern, search_tokens, where_clause};
use crate::*;

type Db = sqlx::Postgres;
type DbRow = PgRow;
type ThisStore = PostgresStore;
/// Row locking for the queue's claim: skip rows another transaction is claiming.
/// What keeps a subquery from being merged into its outer query: an `OFFSET 0`.
const FENCE: &str = " OFFSET 0";
const LOCK_ROWS: &str = " FOR UPDATE SKIP LOCKED";
/// How a transaction that writes begins (SQLite needs `BEGIN IMMEDIATE`; see there).
const BEGIN_WRITE: &str = "BEGIN";
const BACKEND: Backend = Backend::Postgres;

static MIGRATOR: Migrator = sqlx::migrate!("./migrations/postgres");

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// `host:port/database`, for error messages (never the password).
    server: String,
    /// Estimated totals of large lists, reused for seconds.
    estimates: crate::sql::Estimates,
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
            // Statements are prepared once per connection, and after five runs PostgreSQL may
            // switch to a generic plan that ignores the parameters. For the invoice list and
            // search the parameters decide the plan (which workspace, how common a word, how
            // wide a range): a user's broad search went from 5 to 14 ms at its sixth run,
            // 190 instead of 800 req/s under load (issue 16). Planning each run costs well
            // under a millisecond.
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    sqlx::query("SET plan_cache_mode = force_custom_plan")
                        .execute(conn)
                        .await
                        .map(|_| ())
                })
            })
            .connect_with(options)
            .await?;
        let store = PostgresStore {
            pool,
            server,
            estimates: Default::default(),
        };
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
            Arg::Bytes(v) => q.bind(v),
        };
    }
    q
}

/// The planner's estimate of the rows `sql` returns (`EXPLAIN`, which plans without
/// running): cheap whatever the table's size, and within a few percent on an analysed table.
async fn estimate_rows(pool: &PgPool, sql: &str, args: Vec<Arg>) -> Result<Option<u64>> {
    let row = query(&format!("EXPLAIN (FORMAT JSON) {sql}"), args)
        .fetch_one(pool)
        .await?;
    let plan: serde_json::Value = row.try_get(0)?;
    Ok(plan[0]["Plan"]["Plan Rows"]
        .as_f64()
        .filter(|n| n.is_finite() && *n >= 0.0)
        // A float of a row count: whole and far below u64's range.
        .map(|n| n.round() as u64))
}

fn dec_cmp(column: &str, op: &str, placeholder: &str) -> String {
    format!("{column} {op} {placeholder}")
}

/// How a decimal column orders (numerically: PostgreSQL's numeric already does).
fn dec_sort(column: &str) -> String {
    column.to_string()
}

/// The exact sum of a decimal column.
fn sum_dec(column: &str) -> String {
    format!("SUM({column})")
}

fn col_sum_dec(row: &DbRow, col: &str) -> Result<Decimal> {
    Ok(col_opt_dec(row, col)?.unwrap_or_default())
}

/// The `YYYY-MM` an invoice counts in: its issue month, else its upload month (UTC).
const MONTH_OF_INVOICE: &str =
    "to_char(coalesce(issue_date, (created_at AT TIME ZONE 'UTC')::date), 'YYYY-MM')";

/// A substring of invoice numbers worth looking for: one run without spaces, long enough for
/// the trigram index (shorter patterns would scan every row).
fn number_fragment(q: &str) -> Option<&str> {
    let q = q.trim();
    (q.chars().count() >= 3 && !q.contains(char::is_whitespace)).then_some(q)
}

/// Full text on the generated `search` column (GIN): every word, prefix-matched; ranked by
/// `ts_rank` (number over parties over lines). A query that looks like part of an invoice
/// number also matches number substrings (trigram GIN) and ranks those first.
fn full_text(q: &str, args: &mut Args) -> Option<FullText> {
    let tokens = search_tokens(q);
    if tokens.is_empty() {
        return None;
    }
    let tsq = args.push(
        tokens
            .iter()
            .map(|t| format!("{t}:*"))
            .collect::<Vec<_>>()
            .join(" & "),
    );
    let matches = format!("search @@ to_tsquery('simple', {tsq})");
    let rank = format!("ts_rank(search, to_tsquery('simple', {tsq}))");
    Some(match number_fragment(q) {
        Some(fragment) => {
            let like = args.push(contains_pattern(fragment));
            let number = format!("invoice_number ILIKE {like} ESCAPE '\\'");
            FullText {
                join: String::new(),
                cond: format!("({matches} OR {number})"),
                score: format!("({rank} + CASE WHEN {number} THEN 1 ELSE 0 END)"),
            }
        }
        None => FullText {
            join: String::new(),
            cond: matches,
            score: rank,
        },
    })
}

/// Typo-tolerant matching, for a search the full text found nothing for: trigram word
/// similarity of the query to the party names and the number (GIN trigram indexes). Kept out
/// of the first pass because scoring trigrams over thousands of matches costs far more than
/// `ts_rank`.
fn fuzzy_text(q: &str, args: &mut Args) -> Option<FullText> {
    let q = q.trim().to_lowercase();
    if q.chars().count() < 3 {
        return None;
    }
    let raw = args.push(q);
    Some(FullText {
        join: String::new(),
        cond: format!("({raw} <% seller_name OR {raw} <% buyer_name OR {raw} <% invoice_number)"),
        score: format!(
            "greatest(word_similarity({raw}, coalesce(seller_name, '')), \
             word_similarity({raw}, coalesce(buyer_name, '')), \
             word_similarity({raw}, coalesce(invoice_number, '')))"
        ),
    })
}

/// A vector parameter: pgvector's text form, cast in SQL (sqlx has no vector type).
fn vector_param(args: &mut Args, v: &[f32]) -> String {
    let text = format!(
        "[{}]",
        v.iter().map(f32::to_string).collect::<Vec<_>>().join(",")
    );
    format!("CAST({} AS vector)", args.push(text))
}

/// The embedding column in a form [`col_opt_vector`] reads.
const VECTOR_SELECT: &str = "embedding::text AS embedding";

fn col_opt_vector(row: &DbRow, col: &str) -> Result<Option<Vec<f32>>> {
    let text: Option<String> = row.try_get(col)?;
    text.map(|t| {
        t.trim_matches(|c| c == '[' || c == ']')
            .split(',')
            .map(|x| {
                x.trim()
                    .parse::<f32>()
                    .map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
            })
            .collect()
    })
    .transpose()
}

/// Up to how many invoices of a workspace a semantic search compares exactly instead of
/// walking the HNSW index. An exact comparison costs in proportion to the workspace's rows
/// (2,000 took ~8 ms a query on the 2-core machine, 231 req/s under 64 connections; 20,000
/// ~200 ms, 4.8 req/s); a filtered HNSW walk (pgvector's iterative scan) costs in proportion
/// to how many other rows it passes, about `ef_search` ÷ the workspace's share of the table,
/// and answered a user with a fifth of the table at 1,000+ req/s at every size measured. A
/// walk that ends with fewer rows than asked (a workspace that is a tiny share of a large
/// table, past `hnsw.max_scan_tuples`) is redone exactly, so the bound trades speed only.
const EXACT_SCAN_LIMIT: i64 = 1_000;

impl PostgresStore {
    /// Nearest live invoices by cosine distance: exactly for a small workspace's invoices,
    /// through the HNSW index otherwise.
    async fn nearest_impl(
        &self,
        scope: Scope,
        target: &InvoiceEmbedding,
        limit: u32,
        exclude: Option<Uuid>,
    ) -> Result<Vec<(Uuid, f32)>> {
        let mut args = Args::default();
        let v = vector_param(&mut args, &target.vector);
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
        let l = args.push(i64::from(limit.clamp(1, 200)));
        // A workspace's few thousand invoices are compared exactly, through the workspace index:
        // exact and faster than walking the HNSW graph past everybody else's rows. Past
        // EXACT_SCAN_LIMIT rows the filtered walk wins. (`+ 0` keeps the planner off the HNSW index,
        // which only serves `ORDER BY embedding <=> constant` itself.)
        let exact = match scope {
            Scope::Workspace { id, .. } => {
                // Counted up to the limit only: the answer is "few" or "many".
                let n: i64 = sqlx::query(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM invoices \
                     WHERE workspace_id = $1 AND deleted_at IS NULL LIMIT $2) AS capped",
                )
                .bind(id)
                .bind(EXACT_SCAN_LIMIT + 1)
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
                n <= EXACT_SCAN_LIMIT
            }
            Scope::All => false,
        };
        let statement = |order: String| {
            format!(
                "SELECT id, CAST(1 - (embedding <=> {v}) AS real) AS score FROM invoices{} \
                 ORDER BY {order} LIMIT {l}",
                where_clause(&conds)
            )
        };
        let exact_sql = statement(format!("(embedding <=> {v}) + 0"));
        let sql = statement(format!("embedding <=> {v}"));
        let exact_args = args.args.clone();
        let rows = if exact {
            query(&exact_sql, args.args).fetch_all(&self.pool).await?
        } else {
            // An HNSW scan yields `ef_search` candidates and filters afterwards, so filters
            // (model, deleted rows) could leave too few. pgvector 0.8's iterative scan keeps
            // walking the graph until enough rows pass; older versions reject the setting and
            // get the plain scan.
            let mut tx = self.pool.begin().await?;
            if sqlx::query("SET LOCAL hnsw.iterative_scan = relaxed_order")
                .execute(&mut *tx)
                .await
                .is_ok()
            {
                let rows = query(&sql, args.args).fetch_all(&mut *tx).await?;
                tx.commit().await?;
                rows
            } else {
                tx.rollback().await?;
                query(&sql, args.args).fetch_all(&self.pool).await?
            }
        };
        // A walk that found fewer than asked in a workspace with more rows than that: exactly.
        let asked = usize::try_from(limit.clamp(1, 200)).unwrap_or(200);
        let rows = if !exact && scope.workspace().is_some() && rows.len() < asked {
            query(&exact_sql, exact_args).fetch_all(&self.pool).await?
        } else {
            rows
        };
        let mut hits = rows
            .iter()
            .map(|r| Ok((col_id(r, "id")?, r.try_get::<f32, _>("score")?)))
            .collect::<Result<Vec<_>>>()?;
        // Relaxed order may return neighbours slightly out of order.
        hits.sort_by(|a, b| b.1.total_cmp(&a.1));
        Ok(hits)
    }
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

/// The text at `path` (object keys) inside the JSON document in `column`.
fn json_text(column: &str, path: &[&str]) -> String {
    format!("({column} #>> '{{{}}}')", path.join(","))
}

/// The JSON value under `key` of the document in `column`.
fn json_member(column: &str, key: &str) -> String {
    format!("({column}->'{key}')")
}

/// A join bringing in each element of the JSON array `key` of `column` as `alias`, and the
/// expression of one element ([`json_text`] reads inside it). Anything but an array (a missing
/// key) joins nothing, where `jsonb_array_elements` would fail the query.
fn json_elements(column: &str, key: &str, alias: &str) -> (String, String) {
    (
        format!(
            " CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN \
             jsonb_typeof({column}->'{key}') = 'array' THEN {column}->'{key}' \
             ELSE '[]'::jsonb END) AS {alias}(elem)"
        ),
        format!("{alias}.elem"),
    )
}

include!("../sql/store_impl.rs");
include!("../sql/accounts_impl.rs");
include!("../sql/reports_impl.rs");
include!("../sql/imports_impl.rs");
