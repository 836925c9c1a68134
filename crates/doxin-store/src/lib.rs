//! DoxIn's persistence: the [`Store`] trait, its SQLite and PostgreSQL implementations (each
//! with its own migrations and row mapping), and content-addressed file storage ([`files`]).
//!
//! The backend is chosen once, from the database URL's scheme ([`connect`]); everything above
//! holds an `Arc<dyn Store>`. The workspace is part of every query on workspace objects, and
//! the role decides which changes go through ([`Scope`]), so a caller cannot forget either. This crate knows nothing about HTTP.
#![forbid(unsafe_code)]

mod accounts;
mod error;
pub mod files;
mod imports;
mod models;
mod postgres;
mod reports;
mod sql;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use doxin_model::{JobStage, JobStatus};
use uuid::Uuid;

pub use accounts::*;
pub use error::StoreError;
pub use files::{FileStore, StoredBlob};
pub use imports::*;
pub use models::*;
pub use postgres::PostgresStore;
pub use reports::*;
pub use sqlite::SqliteStore;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which implementation a URL selects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// The backend for a database URL, or an error listing the accepted schemes.
    pub fn from_url(url: &str) -> Result<Backend> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Ok(Backend::Postgres)
        } else if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else {
            Err(StoreError::Config(
                "the database URL must start with sqlite://, postgres:// or postgresql://".into(),
            ))
        }
    }
}

/// Connection options shared by both backends.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    pub max_connections: u32,
    /// Apply pending migrations while connecting (`serve` does; `migrate` does it explicitly).
    pub migrate: bool,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            max_connections: 10,
            migrate: true,
        }
    }
}

/// Opens the store a URL names (creating a SQLite file and its directory if needed).
pub async fn connect(url: &str, opts: &ConnectOptions) -> Result<Arc<dyn Store>> {
    Ok(match Backend::from_url(url)? {
        Backend::Sqlite => Arc::new(SqliteStore::connect(url, opts).await?),
        Backend::Postgres => Arc::new(PostgresStore::connect(url, opts).await?),
    })
}

/// Everything DoxIn persists. Both implementations pass the same conformance suite
/// (`tests/conformance`), which calls every method.
#[async_trait]
pub trait Store: AccountStore + ReportStore + ImportStore + Send + Sync + 'static {
    fn backend(&self) -> Backend;

    /// Applies pending migrations; returns how many were applied.
    async fn migrate(&self) -> Result<usize>;

    /// Database server facts for the health endpoint; fails when the database is unreachable.
    async fn health(&self) -> Result<DatabaseHealth>;

    // Users.
    async fn create_user(&self, new: NewUser) -> Result<User>;
    async fn get_user(&self, id: Uuid) -> Result<User>;
    async fn find_user_by_email(&self, email: &str) -> Result<User>;
    async fn list_users(&self, page: PageRequest) -> Result<Page<User>>;
    async fn update_user(&self, id: Uuid, update: UserUpdate) -> Result<User>;
    async fn count_users(&self) -> Result<u64>;

    // Workspaces (teams) and their members.
    /// Creates a workspace with `new.created_by` as its first administrator.
    async fn create_workspace(&self, new: NewWorkspace) -> Result<Workspace>;
    async fn get_workspace(&self, id: Uuid) -> Result<Workspace>;
    /// Every workspace, oldest first (system administrators).
    async fn list_workspaces(&self, page: PageRequest) -> Result<Page<Workspace>>;
    async fn update_workspace(&self, id: Uuid, update: WorkspaceUpdate) -> Result<Workspace>;
    /// The workspaces `user` belongs to, the first one joined first (their default).
    async fn memberships_of(&self, user: Uuid) -> Result<Vec<Membership>>;
    /// `NotFound` when `user` is not a member of `workspace`.
    async fn get_membership(&self, workspace: Uuid, user: Uuid) -> Result<Membership>;
    async fn list_members(&self, workspace: Uuid) -> Result<Vec<Membership>>;
    /// Adds a member or changes their role and limit. Taking the last administrator's role
    /// away is `InvalidState`.
    async fn set_membership(&self, new: NewMembership) -> Result<Membership>;
    /// Removes a member (their uploads stay in the workspace); the last administrator cannot
    /// leave (`InvalidState`).
    async fn remove_membership(&self, workspace: Uuid, user: Uuid) -> Result<()>;

    // Approvals of invoices that need more than one approver.
    /// Records `approver`'s approval of `invoice` (again: no change) and returns every approval
    /// it has. Moving the invoice to any status but approved forgets them.
    async fn record_approval(&self, invoice: Uuid, approver: Uuid) -> Result<Vec<Approval>>;
    async fn list_approvals(&self, invoice: Uuid) -> Result<Vec<Approval>>;

    // Companies (vendors and customers), kept per workspace like invoices.
    /// Returns `new.workspace_id`'s company matching by VAT id, else by normalised name, else a
    /// new one of that workspace. Only that workspace's companies are looked at or changed (a
    /// company of no workspace matches only companies of no workspace), so what one team enters
    /// never reaches another team's records.
    async fn upsert_company(&self, new: NewCompany) -> Result<Company>;
    /// One company; `NotFound` outside `scope`.
    async fn get_company(&self, id: Uuid, scope: Scope) -> Result<Company>;
    /// The companies in `scope` (a user: their own), by name.
    async fn list_companies(
        &self,
        scope: Scope,
        kind: Option<CompanyKind>,
        page: PageRequest,
    ) -> Result<Page<Company>>;
    /// Companies with their live invoice counts in `scope`. A user sees only their own
    /// companies named on one of their live invoices; an administrator sees every company.
    async fn list_company_summaries(
        &self,
        scope: Scope,
        filter: &CompanyFilter,
        page: PageRequest,
    ) -> Result<Page<CompanySummary>>;
    /// One company as [`Store::list_company_summaries`] shows it; `NotFound` outside `scope`.
    async fn get_company_summary(&self, id: Uuid, scope: Scope) -> Result<CompanySummary>;

    // Files.
    async fn insert_file(&self, new: NewFile) -> Result<FileRecord>;
    async fn get_file(&self, id: Uuid, scope: Scope) -> Result<FileRecord>;
    /// Files with these bytes visible in `scope`, oldest first.
    async fn find_files_by_hash(&self, sha256: &str, scope: Scope) -> Result<Vec<FileRecord>>;

    // Invoices.
    /// Saves an invoice. Its vendor and customer must be companies of the invoice's owner
    /// ([`StoreError::InvalidInput`] otherwise), so no invoice ever shows another owner's
    /// company record.
    async fn insert_invoice(&self, new: NewInvoice) -> Result<InvoiceRecord>;
    async fn get_invoice(&self, id: Uuid, scope: Scope) -> Result<InvoiceRecord>;
    /// Many invoices at once, in the order of `ids`; those deleted or outside `scope` are left
    /// out (an export of thousands costs a few queries, not one per invoice).
    async fn get_invoices(&self, ids: &[Uuid], scope: Scope) -> Result<Vec<InvoiceRecord>>;
    async fn list_invoices(
        &self,
        scope: Scope,
        filter: &InvoiceFilter,
        page: PageRequest,
    ) -> Result<Page<InvoiceSummary>>;
    /// The invoices waiting for review just before and just after invoice `id` in the review
    /// queue's order (oldest upload first), wrapping round at either end; never `id` itself.
    /// `id` need not be waiting itself (the next one after a decision). One statement, no
    /// count: the review page asks this on every view.
    async fn review_neighbours(&self, id: Uuid, scope: Scope) -> Result<ReviewNeighbours>;
    /// Changes an invoice; a new vendor or customer must belong to the invoice's owner, as in
    /// [`Store::insert_invoice`].
    async fn update_invoice(
        &self,
        id: Uuid,
        scope: Scope,
        update: InvoiceUpdate,
    ) -> Result<InvoiceRecord>;
    /// Moves a live invoice in `scope` to `to` when its status is one of `from`, in one
    /// statement, so of two concurrent decisions exactly one takes effect. `Ok(None)` when its
    /// status is not in `from` (it was decided meanwhile); `NotFound` outside `scope`;
    /// `Forbidden` when the scope's role may not (approving and rejecting need an approver,
    /// reopening a clerk). Any move but to approved forgets the invoice's approvals.
    async fn transition_invoice_status(
        &self,
        id: Uuid,
        scope: Scope,
        from: &[InvoiceStatus],
        to: InvoiceStatus,
    ) -> Result<Option<InvoiceRecord>>;
    /// Assigns a live invoice in `scope` to a reviewer (`None`: nobody); `NotFound` outside
    /// `scope`. Who may be assigned is the caller's to check.
    async fn assign_invoice(
        &self,
        id: Uuid,
        scope: Scope,
        assignee: Option<Uuid>,
    ) -> Result<InvoiceRecord>;
    /// Hides an invoice from every read; the row stays for the audit trail.
    async fn soft_delete_invoice(&self, id: Uuid, scope: Scope) -> Result<()>;
    /// Points the invoice at another stored file (visible in `scope` too), taking over the
    /// file's hash; `Conflict` when another live invoice of the owner has those bytes.
    async fn replace_invoice_file(
        &self,
        id: Uuid,
        scope: Scope,
        file_id: Uuid,
    ) -> Result<InvoiceRecord>;
    /// Live invoices matching the full-text `query` (number, parties, line descriptions, with
    /// prefix matching; on PostgreSQL also fuzzy matches of number and names) and `filter`,
    /// best match first. A query without words matches nothing.
    async fn search_invoices(
        &self,
        scope: Scope,
        query: &str,
        filter: &InvoiceFilter,
        page: PageRequest,
    ) -> Result<Page<InvoiceHit>>;
    /// Stores the invoice's embedding (replacing any earlier one). The vector must have
    /// [`EMBEDDING_DIMENSION`] components. [`Store::update_invoice`] with a new invoice body
    /// clears it, since it no longer describes the invoice.
    async fn set_invoice_embedding(
        &self,
        id: Uuid,
        scope: Scope,
        embedding: &InvoiceEmbedding,
    ) -> Result<()>;
    /// The stored embedding, `None` when there is none yet; `NotFound` outside `scope`.
    async fn get_invoice_embedding(
        &self,
        id: Uuid,
        scope: Scope,
    ) -> Result<Option<InvoiceEmbedding>>;
    /// The `limit` live invoices in `scope` nearest to `query` (cosine), among those embedded
    /// by the same model, nearest first; `score` is the cosine similarity.
    async fn semantic_search(
        &self,
        scope: Scope,
        query: &InvoiceEmbedding,
        limit: u32,
    ) -> Result<Vec<InvoiceHit>>;
    /// The invoices in `scope` nearest to invoice `id` (itself excluded); empty when it has no
    /// embedding; `NotFound` when it is not visible in `scope`.
    async fn similar_invoices(&self, id: Uuid, scope: Scope, limit: u32)
    -> Result<Vec<InvoiceHit>>;
    /// Dashboard figures of the live invoices in `scope`; `day_start` is where "today" begins.
    async fn invoice_stats(&self, scope: Scope, day_start: DateTime<Utc>) -> Result<InvoiceStats>;
    // Analytics: every figure over the live invoices in `scope` issued within `range`.
    // Amount sums are per currency and never across currencies.
    /// Counts and sums per status and currency, mean confidence, distinct parties, the span of
    /// issue dates.
    async fn analytics_totals(&self, scope: Scope, range: DateRange) -> Result<AnalyticsTotals>;
    /// Unsettled invoices (not rejected) whose due date is before `today`: count and gross per
    /// currency.
    async fn analytics_overdue(
        &self,
        scope: Scope,
        range: DateRange,
        today: NaiveDate,
    ) -> Result<Vec<CurrencyAmount>>;
    /// Counts and sums per month, status and currency, oldest month first.
    async fn analytics_months(
        &self,
        scope: Scope,
        range: DateRange,
    ) -> Result<Vec<MonthStatusTotal>>;
    /// The `limit` parties of `role` with the largest gross in each currency (rejected
    /// invoices left out), by currency then rank.
    async fn analytics_parties(
        &self,
        scope: Scope,
        range: DateRange,
        role: PartyRole,
        limit: u32,
    ) -> Result<Vec<PartyTotal>>;
    /// The `limit` line descriptions (lower-cased, trimmed) with the largest net line amount
    /// in each currency (rejected invoices left out), by currency then rank.
    async fn analytics_products(
        &self,
        scope: Scope,
        range: DateRange,
        limit: u32,
    ) -> Result<Vec<ProductTotal>>;
    /// An earlier invoice in `scope` from the same seller (VAT id, else name) with the same number.
    async fn find_invoice_duplicate(
        &self,
        scope: Scope,
        seller_vat_id: Option<&str>,
        seller_name: Option<&str>,
        invoice_number: &str,
    ) -> Result<Option<Uuid>>;

    // Processing jobs.
    async fn create_job(&self, new: NewJob) -> Result<JobRecord>;
    async fn get_job(&self, id: Uuid, scope: Scope) -> Result<JobRecord>;
    async fn update_job(&self, id: Uuid, update: JobUpdate) -> Result<JobRecord>;
    async fn list_jobs(
        &self,
        scope: Scope,
        filter: &JobFilter,
        page: PageRequest,
    ) -> Result<Page<JobRecord>>;
    async fn mark_jobs_viewed(&self, scope: Scope, ids: &[Uuid]) -> Result<u64>;
    /// How many jobs in `scope` are in each status (statuses with none are left out).
    async fn count_jobs_by_status(&self, scope: Scope) -> Result<Vec<(JobStatus, u64)>>;
    /// Running jobs by their current stage, over every workspace (stages with none are left
    /// out).
    async fn count_running_by_stage(&self) -> Result<Vec<(JobStage, u64)>>;
    /// This process's connection pool now.
    fn pool_stats(&self) -> PoolStats;

    // The worker monitor. A dead letter is a failed job that used all its attempts
    // (`attempts >= max_attempts`); a job refused at its first attempt for a bad document is
    // failed but not a dead letter.
    /// Puts a failed job back in the queue as if new: attempts, stage, progress, error, result,
    /// times and lease cleared. `InvalidState` when the job is not failed.
    async fn retry_failed_job(&self, id: Uuid) -> Result<JobRecord>;
    /// How many dead letters there are.
    async fn count_dead_letters(&self) -> Result<u64>;
    /// Puts up to `limit` dead letters (oldest failure first) back in the queue as
    /// [`Store::retry_failed_job`] does; returns their ids.
    async fn requeue_dead_letters(&self, limit: u32) -> Result<Vec<Uuid>>;
    /// The status and end time of jobs that ended at or after `since` (succeeded, failed or
    /// cancelled), oldest first, at most `limit`.
    async fn jobs_finished_since(
        &self,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(JobStatus, DateTime<Utc>)>>;

    // The SQL job queue: leases on `processing_jobs` rows.
    /// Leases the oldest claimable job to `worker` until `lease_until`: a queued job, or a
    /// running one whose lease expired (its worker died). Counts an attempt. Concurrent callers
    /// never get the same job.
    async fn claim_next_job(
        &self,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<JobRecord>>;
    /// Leases this job if it is claimable (see [`Store::claim_next_job`]); `None` when it is
    /// leased to a live worker, finished or cancelled (a re-delivered message to ignore).
    async fn claim_job(
        &self,
        id: Uuid,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<JobRecord>>;
    /// Extends `worker`'s lease; `false` when the worker no longer holds it.
    async fn renew_job_lease(
        &self,
        id: Uuid,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool>;
    /// Gives a leased job back to the queue without counting the attempt (graceful shutdown).
    async fn release_job(&self, id: Uuid, worker: &str) -> Result<bool>;
    /// Puts running jobs whose lease expired before `now` back in the queue; returns their ids.
    async fn requeue_expired_jobs(&self, now: DateTime<Utc>) -> Result<Vec<Uuid>>;
    /// Ids of jobs queued and untouched since before `before`, oldest first.
    async fn stale_queued_jobs(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<Uuid>>;

    // Workers.
    /// Records a heartbeat and forgets workers silent since `forget_before`.
    async fn record_worker_heartbeat(
        &self,
        beat: &WorkerHeartbeat,
        forget_before: DateTime<Utc>,
    ) -> Result<()>;
    /// Workers seen at or after `since`.
    async fn live_workers(&self, since: DateTime<Utc>) -> Result<Vec<WorkerHeartbeat>>;
    async fn remove_worker(&self, id: &str) -> Result<()>;

    // API usage analytics.
    /// Adds the counts to the usage counters (callers batch: one call per flush, not per
    /// request).
    async fn record_usage(&self, counts: &[(UsageKey, u64)]) -> Result<()>;
    /// Usage summed by route, by user and by day.
    async fn usage_report(&self, filter: &UsageFilter) -> Result<UsageReport>;

    // Lookups of the pipeline.
    /// The live invoice a job produced, if any.
    async fn find_invoice_by_job(&self, job_id: Uuid) -> Result<Option<InvoiceRecord>>;
    /// The live invoice of `workspace` (or of nobody) made from a file with these bytes.
    async fn find_invoice_by_file_hash(
        &self,
        workspace: Option<Uuid>,
        sha256: &str,
    ) -> Result<Option<Uuid>>;

    // Alerts from Alertmanager.
    /// Stores the alerts of a notification, in one transaction. An alert already stored with
    /// the same fingerprint and start is updated (status, end, labels, annotations, received
    /// time) rather than duplicated, except that a resolved alert stays resolved: a firing
    /// notification arriving after the resolved one (a retry, out of order) changes nothing.
    /// Returns how many rows were written.
    async fn record_alerts(&self, alerts: &[NewAlert]) -> Result<u64>;
    /// Alerts matching `filter`, the latest received first.
    async fn list_alerts(&self, filter: &AlertFilter, page: PageRequest) -> Result<Page<Alert>>;

    // Audit log.
    async fn append_audit(&self, entry: NewAuditEntry) -> Result<()>;
    async fn list_audit(&self, filter: &AuditFilter, page: PageRequest)
    -> Result<Page<AuditEntry>>;
}

/// A time-ordered id: v7 UUIDs keep B-tree inserts local and sort by creation.
pub fn new_id() -> Uuid {
    Uuid::now_v7()
}
