//! Plain records the store reads and writes. Row mapping lives in each backend.

use chrono::{DateTime, NaiveDate, Utc};
use doxin_model::{Decimal, Finding, Invoice, JobStage, JobStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who may see what: every query on owned objects takes a scope, so ownership is checked in
/// the query itself rather than after loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Objects owned by this user.
    Owner(Uuid),
    /// Everything (administrators, the worker).
    All,
}

impl Scope {
    pub fn owner(self) -> Option<Uuid> {
        match self {
            Scope::Owner(id) => Some(id),
            Scope::All => None,
        }
    }
}

/// A page request: `page` is 1-based, `per_page` is clamped to 1..=200.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            per_page: 20,
        }
    }
}

impl PageRequest {
    pub const MAX_PER_PAGE: u32 = 200;

    pub fn new(page: u32, per_page: u32) -> Self {
        PageRequest {
            page: page.max(1),
            per_page: per_page.clamp(1, Self::MAX_PER_PAGE),
        }
    }

    pub fn limit(self) -> i64 {
        i64::from(self.per_page.clamp(1, Self::MAX_PER_PAGE))
    }

    pub fn offset(self) -> i64 {
        i64::from(self.page.max(1) - 1) * self.limit()
    }
}

/// One page of results with the pagination block of the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
    pub pages: u64,
    pub has_next: bool,
    pub has_prev: bool,
}

impl<T> Page<T> {
    pub fn new(items: Vec<T>, req: PageRequest, total: u64) -> Self {
        let req = PageRequest::new(req.page, req.per_page);
        let per = u64::from(req.per_page);
        let pages = total.div_ceil(per);
        Page {
            items,
            page: req.page,
            per_page: req.per_page,
            total,
            pages,
            has_next: u64::from(req.page) < pages,
            has_prev: req.page > 1,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "user" => Some(Role::User),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    /// Argon2id PHC string; never serialised.
    #[serde(skip)]
    pub password_hash: String,
    pub role: Role,
    pub is_active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    /// Stored lower-cased: e-mail addresses are matched case-insensitively.
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
}

/// Fields an update may change; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct UserUpdate {
    pub display_name: Option<String>,
    pub password_hash: Option<String>,
    pub role: Option<Role>,
    pub is_active: Option<bool>,
    pub last_login_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CompanyKind {
    Vendor,
    Customer,
}

impl CompanyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CompanyKind::Vendor => "vendor",
            CompanyKind::Customer => "customer",
        }
    }

    pub fn parse(s: &str) -> Option<CompanyKind> {
        match s {
            "vendor" => Some(CompanyKind::Vendor),
            "customer" => Some(CompanyKind::Customer),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Company {
    pub id: Uuid,
    pub kind: CompanyKind,
    pub name: String,
    pub vat_id: Option<String>,
    pub tax_number: Option<String>,
    pub country: Option<String>,
    pub address: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewCompany {
    pub kind: CompanyKind,
    pub name: String,
    pub vat_id: Option<String>,
    pub tax_number: Option<String>,
    pub country: Option<String>,
    pub address: serde_json::Value,
}

/// How company names are compared: case, punctuation, spacing and legal-form noise ignored.
pub fn normalize_company_name(name: &str) -> String {
    let lowered: String = name
        .chars()
        .flat_map(char::to_lowercase)
        // Dots join ("G.m.b.H." is "gmbh"); other punctuation separates words.
        .filter(|c| *c != '.')
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    const LEGAL_FORMS: &[&str] = &[
        "gmbh",
        "ag",
        "kg",
        "ohg",
        "ug",
        "mbh",
        "co",
        "ltd",
        "limited",
        "inc",
        "llc",
        "plc",
        "sa",
        "sarl",
        "sas",
        "bv",
        "nv",
        "srl",
        "spa",
        "sl",
        "corp",
        "corporation",
        "company",
    ];
    lowered
        .split_whitespace()
        .filter(|w| !LEGAL_FORMS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A stored file: the bytes live in the file store under `sha256`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FileRecord {
    pub id: Uuid,
    pub owner_id: Option<Uuid>,
    pub sha256: String,
    pub size_bytes: i64,
    pub mime_type: String,
    pub original_name: String,
    pub page_count: Option<i32>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewFile {
    pub owner_id: Option<Uuid>,
    pub sha256: String,
    pub size_bytes: i64,
    pub mime_type: String,
    pub original_name: String,
    pub page_count: Option<i32>,
}

/// Where an invoice stands in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    NeedsReview,
    Approved,
    Rejected,
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::NeedsReview => "needs_review",
            InvoiceStatus::Approved => "approved",
            InvoiceStatus::Rejected => "rejected",
        }
    }

    pub fn parse(s: &str) -> Option<InvoiceStatus> {
        match s {
            "needs_review" => Some(InvoiceStatus::NeedsReview),
            "approved" => Some(InvoiceStatus::Approved),
            "rejected" => Some(InvoiceStatus::Rejected),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct NewInvoice {
    pub owner_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub status: InvoiceStatus,
    pub confidence: f32,
    pub invoice: Invoice,
    pub findings: Vec<Finding>,
    pub vendor_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub duplicate_of: Option<Uuid>,
    /// SHA-256 of the source file. At most one live invoice per owner has a given hash: a second
    /// insert is refused with [`StoreError::Conflict`](crate::StoreError::Conflict).
    pub file_sha256: Option<String>,
}

/// A stored invoice: the canonical invoice plus bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceRecord {
    pub id: Uuid,
    pub owner_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub status: InvoiceStatus,
    pub confidence: f32,
    pub vendor_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub duplicate_of: Option<Uuid>,
    pub invoice: Invoice,
    pub findings: Vec<Finding>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The columns of an invoice list (no lines, no provenance).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceSummary {
    pub id: Uuid,
    pub owner_id: Option<Uuid>,
    pub status: InvoiceStatus,
    pub invoice_number: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub currency: Option<String>,
    pub seller_name: Option<String>,
    pub buyer_name: Option<String>,
    pub gross_amount: Option<Decimal>,
    pub confidence: f32,
    pub duplicate_of: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Filters of the invoice list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub status: Option<InvoiceStatus>,
    pub currency: Option<String>,
    /// Case-insensitive substring of the seller's name.
    pub seller: Option<String>,
    pub issued_from: Option<NaiveDate>,
    pub issued_to: Option<NaiveDate>,
    pub min_gross: Option<Decimal>,
    pub max_gross: Option<Decimal>,
}

/// The header values the store keeps in columns, for filtering and sorting. Derived from the
/// canonical invoice so the two can never disagree.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct InvoiceColumns {
    pub document_type: &'static str,
    pub invoice_number: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub currency: Option<String>,
    pub seller_name: Option<String>,
    pub seller_vat_id: Option<String>,
    pub buyer_name: Option<String>,
    pub net_amount: Option<Decimal>,
    pub tax_amount: Option<Decimal>,
    pub gross_amount: Option<Decimal>,
    pub payable_amount: Option<Decimal>,
}

impl InvoiceColumns {
    pub fn of(inv: &Invoice) -> Self {
        fn v<T: Clone>(f: &doxin_model::Field<T>) -> Option<T> {
            f.as_ref().map(|e| e.value.clone())
        }
        InvoiceColumns {
            document_type: match inv.document_type {
                doxin_model::DocumentType::Invoice => "invoice",
                doxin_model::DocumentType::CreditNote => "credit_note",
            },
            invoice_number: v(&inv.invoice_number),
            issue_date: v(&inv.issue_date),
            due_date: v(&inv.due_date),
            currency: v(&inv.currency),
            seller_name: v(&inv.seller.name).or_else(|| v(&inv.seller.trading_name)),
            seller_vat_id: v(&inv.seller.vat_id),
            buyer_name: v(&inv.buyer.name).or_else(|| v(&inv.buyer.trading_name)),
            net_amount: v(&inv.totals.tax_exclusive_amount),
            tax_amount: v(&inv.totals.tax_amount),
            gross_amount: v(&inv.totals.tax_inclusive_amount),
            payable_amount: v(&inv.totals.payable_amount),
        }
    }
}

/// Changes to a stored invoice; `None` leaves a part alone.
#[derive(Debug, Clone, Default)]
pub struct InvoiceUpdate {
    pub invoice: Option<Invoice>,
    pub findings: Option<Vec<Finding>>,
    pub status: Option<InvoiceStatus>,
    pub confidence: Option<f32>,
    pub vendor_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
}

/// A processing job, the record of truth of the pipeline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JobRecord {
    pub id: Uuid,
    pub owner_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    pub kind: String,
    pub status: JobStatus,
    pub stage: Option<JobStage>,
    pub progress: i16,
    pub attempts: i32,
    pub max_attempts: i32,
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub payload: serde_json::Value,
    pub result: Option<serde_json::Value>,
    pub invoice_id: Option<Uuid>,
    pub request_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    pub viewed_at: Option<DateTime<Utc>>,
    /// The worker holding a running job, and until when.
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewJob {
    pub owner_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    /// What the job does, e.g. `extract`.
    pub kind: String,
    pub payload: serde_json::Value,
    pub max_attempts: i32,
    pub request_id: Option<String>,
}

/// A change to a job. A status change is checked against [`JobStatus::transition`] and applied
/// only if the job is still in the status it was read in (no lost updates between workers).
#[derive(Debug, Clone, Default)]
pub struct JobUpdate {
    pub status: Option<JobStatus>,
    pub stage: Option<JobStage>,
    pub progress: Option<i16>,
    pub error_code: Option<String>,
    pub error: Option<String>,
    pub result: Option<serde_json::Value>,
    pub invoice_id: Option<Uuid>,
}

#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    pub status: Option<JobStatus>,
    pub unread_only: bool,
}

/// A worker's periodic sign of life: who it is, where, and what it is doing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkerHeartbeat {
    pub id: String,
    pub host: String,
    pub pid: i32,
    pub concurrency: i32,
    /// Which queue it consumes: `sql` or `redis`.
    pub queue: String,
    pub current_jobs: Vec<Uuid>,
    pub started_at: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
}

/// One audited mutation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct NewAuditEntry {
    pub actor_id: Option<Uuid>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<Uuid>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    /// Entries at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Entries strictly before this instant (so consecutive ranges do not overlap).
    pub to: Option<DateTime<Utc>>,
}

/// What one counter of API usage counts: requests on one day, to one route template, by one
/// user (or anonymous), answered with one status.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UsageKey {
    /// The UTC day.
    pub day: NaiveDate,
    pub method: String,
    /// The route template (`/api/v1/invoices/{id}`), never the raw path: bounded cardinality,
    /// and no ids or query strings in the analytics.
    pub route: String,
    pub user_id: Option<Uuid>,
    pub status: u16,
}

/// Which usage to report; days are inclusive, `None` is unbounded.
#[derive(Debug, Clone, Default)]
pub struct UsageFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub user_id: Option<Uuid>,
    pub route: Option<String>,
}

/// API usage, summed three ways.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UsageReport {
    pub total: u64,
    /// Requests answered 4xx.
    pub client_errors: u64,
    /// Requests answered 5xx.
    pub server_errors: u64,
    /// Busiest first.
    pub by_route: Vec<RouteUsage>,
    /// Busiest first, at most [`UsageReport::MAX_USERS`].
    pub by_user: Vec<UserUsage>,
    /// Oldest first.
    pub by_day: Vec<DayUsage>,
}

impl UsageReport {
    pub const MAX_USERS: u32 = 100;
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteUsage {
    pub method: String,
    pub route: String,
    pub requests: u64,
    pub client_errors: u64,
    pub server_errors: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UserUsage {
    /// `None` for anonymous requests.
    pub user_id: Option<Uuid>,
    pub email: Option<String>,
    pub requests: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayUsage {
    pub day: NaiveDate,
    pub requests: u64,
    pub client_errors: u64,
    pub server_errors: u64,
}

/// What the health endpoint reports about the database.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatabaseHealth {
    pub backend: &'static str,
    pub server_version: String,
    /// The installed pgvector version (PostgreSQL only).
    pub pgvector_version: Option<String>,
    pub pg_trgm_version: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_block() {
        let p: Page<u8> = Page::new(vec![], PageRequest::new(2, 20), 41);
        assert_eq!((p.pages, p.has_next, p.has_prev), (3, true, true));
        let p: Page<u8> = Page::new(vec![], PageRequest::new(1, 20), 0);
        assert_eq!((p.pages, p.has_next, p.has_prev), (0, false, false));
        assert_eq!(PageRequest::new(0, 10_000), PageRequest::new(1, 200));
        assert_eq!(PageRequest::new(3, 50).offset(), 100);
    }

    #[test]
    fn company_names_normalise() {
        assert_eq!(normalize_company_name("ACME GmbH & Co. KG"), "acme");
        assert_eq!(normalize_company_name("Müller-Bau  AG"), "müller bau");
        assert_eq!(normalize_company_name("Acme G.m.b.H."), "acme");
    }
}
