//! Plain records the store reads and writes. Row mapping lives in each backend.

use chrono::{DateTime, NaiveDate, Utc};
use doxin_model::{Decimal, Finding, Invoice, JobStage, JobStatus};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who may see and change what: every query on workspace objects takes a scope, so membership
/// is checked in the query itself rather than after loading, and the role in it decides which
/// changes the store lets through ([`StoreError::Forbidden`](crate::StoreError::Forbidden)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Objects of one workspace, seen by a member with this role.
    Workspace { id: Uuid, role: WorkspaceRole },
    /// Everything (system administrators, the worker).
    All,
}

impl Scope {
    /// A workspace seen with every right (its administrator; the pipeline acting for it).
    pub fn admin_of(workspace: Uuid) -> Scope {
        Scope::Workspace {
            id: workspace,
            role: WorkspaceRole::Admin,
        }
    }

    /// The workspace this scope is limited to (`None`: everything).
    pub fn workspace(self) -> Option<Uuid> {
        match self {
            Scope::Workspace { id, .. } => Some(id),
            Scope::All => None,
        }
    }

    /// The role this scope acts with ([`WorkspaceRole::Admin`] for everything).
    pub fn role(self) -> WorkspaceRole {
        match self {
            Scope::Workspace { role, .. } => role,
            Scope::All => WorkspaceRole::Admin,
        }
    }

    /// Whether the scope's role is at least `min`.
    pub fn allows(self, min: WorkspaceRole) -> bool {
        self.role() >= min
    }
}

/// A member's role in a workspace. Each role has the rights of those before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WorkspaceRole {
    /// Reads everything in the workspace, changes nothing.
    Viewer,
    /// Uploads, corrects, comments and submits.
    Clerk,
    /// Approves and rejects (within an approval limit, if the membership has one).
    Approver,
    /// Manages members, invitations and approval rules.
    Admin,
}

impl WorkspaceRole {
    pub const ALL: [WorkspaceRole; 4] = [
        WorkspaceRole::Viewer,
        WorkspaceRole::Clerk,
        WorkspaceRole::Approver,
        WorkspaceRole::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            WorkspaceRole::Viewer => "viewer",
            WorkspaceRole::Clerk => "clerk",
            WorkspaceRole::Approver => "approver",
            WorkspaceRole::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<WorkspaceRole> {
        WorkspaceRole::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

impl std::fmt::Display for WorkspaceRole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A team: invoices, jobs, files and companies belong to one. A user's first workspace has
/// the user's id (see the migration `0009_workspaces.sql`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workspace {
    pub id: Uuid,
    pub name: String,
    /// The approval rules as stored (`doxin_model::approval::ApprovalRules` as JSON).
    pub approval_rules: serde_json::Value,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewWorkspace {
    pub name: String,
    /// Becomes the workspace's first administrator.
    pub created_by: Uuid,
}

/// What a workspace change sets (`None`: unchanged).
#[derive(Debug, Clone, Default)]
pub struct WorkspaceUpdate {
    pub name: Option<String>,
    pub approval_rules: Option<serde_json::Value>,
}

/// A user's place in a workspace, with the names a listing shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    pub workspace_id: Uuid,
    pub workspace_name: String,
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: WorkspaceRole,
    /// The largest gross amount this member may approve; `None`: no limit.
    pub approval_limit: Option<Decimal>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Adds a member or changes one's role and limit.
#[derive(Debug, Clone)]
pub struct NewMembership {
    pub workspace_id: Uuid,
    pub user_id: Uuid,
    pub role: WorkspaceRole,
    pub approval_limit: Option<Decimal>,
}

/// One approver's approval of an invoice since it was last opened for review.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Approval {
    pub approver_id: Uuid,
    pub created_at: DateTime<Utc>,
}

/// How a page counts the rows of its whole list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Count {
    /// Every matching row, whatever it costs.
    #[default]
    Exact,
    /// Exactly up to `exact_up_to` rows; past that, the database's estimate (PostgreSQL's
    /// planner; SQLite has none and counts exactly), flagged in [`Page::total_is_estimate`].
    /// Counting 100,000 rows exactly costs more than the page itself; a person paging through
    /// a list that long needs its size, not its last digit.
    Estimate { exact_up_to: u32 },
}

impl Count {
    /// What the invoice API answers unless asked for an exact total.
    pub const ESTIMATE: Count = Count::Estimate { exact_up_to: 1_000 };
}

/// A page request: `page` is 1-based, `per_page` is clamped to 1..=200; `count` says how the
/// total is counted (exactly unless [`PageRequest::counting`] says otherwise).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    pub page: u32,
    pub per_page: u32,
    pub count: Count,
}

impl Default for PageRequest {
    fn default() -> Self {
        PageRequest {
            page: 1,
            per_page: 20,
            count: Count::Exact,
        }
    }
}

impl PageRequest {
    pub const MAX_PER_PAGE: u32 = 200;

    pub fn new(page: u32, per_page: u32) -> Self {
        PageRequest {
            page: page.max(1),
            per_page: per_page.clamp(1, Self::MAX_PER_PAGE),
            count: Count::Exact,
        }
    }

    /// The same page, its total counted as `count` says.
    pub fn counting(self, count: Count) -> Self {
        PageRequest { count, ..self }
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
    /// `total` is the database's estimate, not a count (see [`Count::Estimate`]).
    pub total_is_estimate: bool,
    pub pages: u64,
    pub has_next: bool,
    pub has_prev: bool,
    /// Where the next page starts, for keyset paging (the invoice list; see
    /// [`InvoiceCursor`]); `None` on the last page and for lists without cursors.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page of a list of exactly `total` rows.
    pub fn new(items: Vec<T>, req: PageRequest, total: u64) -> Self {
        let req = PageRequest::new(req.page, req.per_page);
        let per = u64::from(req.per_page);
        let pages = total.div_ceil(per);
        Page {
            items,
            page: req.page,
            per_page: req.per_page,
            total,
            total_is_estimate: false,
            pages,
            has_next: u64::from(req.page) < pages,
            has_prev: req.page > 1,
            next_cursor: None,
        }
    }

    /// A page from rows fetched with one more than the page holds: the extra row, dropped
    /// here, says there is a next page whatever the (perhaps estimated) total says.
    pub fn fetched(mut rows: Vec<T>, req: PageRequest, total: u64, estimated: bool) -> Self {
        let per = usize::try_from(req.limit()).unwrap_or(usize::MAX);
        let has_next = rows.len() > per;
        rows.truncate(per);
        let mut page = Page::new(rows, req, total);
        page.has_next = has_next;
        page.total_is_estimate = estimated;
        page
    }
}

/// A position in the invoice list, after which the next page starts (keyset paging): the
/// sort key, the creation time and the id of the last row shown, and the order they were
/// shown in. Unlike `page`, a cursor neither repeats nor skips a row when invoices are added
/// or removed while someone pages, and its cost does not grow with the depth.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvoiceCursor {
    #[serde(rename = "s")]
    pub sort: InvoiceSort,
    /// The last row's value of the sort field (`None` for creation order, which the
    /// creation time already is, and for a row whose value is null).
    #[serde(rename = "k")]
    pub key: Option<SortKey>,
    #[serde(rename = "t")]
    pub created_at: DateTime<Utc>,
    #[serde(rename = "i")]
    pub id: Uuid,
}

/// A sort field's value in an [`InvoiceCursor`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SortKey {
    Text(String),
    Date(NaiveDate),
    Amount(Decimal),
    Number(f32),
}

/// A cursor that is not one DoxIn made (or was made for another order).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the cursor is not valid: {0}")]
pub struct CursorError(String);

impl InvoiceCursor {
    /// The position just after `row` in the order `sort`.
    pub fn after(row: &InvoiceSummary, sort: InvoiceSort) -> InvoiceCursor {
        let text = |v: &Option<String>| v.clone().map(SortKey::Text);
        let key = match sort.field {
            InvoiceSortField::CreatedAt => None,
            InvoiceSortField::IssueDate => row.issue_date.map(SortKey::Date),
            InvoiceSortField::DueDate => row.due_date.map(SortKey::Date),
            InvoiceSortField::InvoiceNumber => text(&row.invoice_number),
            InvoiceSortField::SellerName => text(&row.seller_name),
            InvoiceSortField::BuyerName => text(&row.buyer_name),
            InvoiceSortField::GrossAmount => row.gross_amount.map(SortKey::Amount),
            InvoiceSortField::Status => Some(SortKey::Text(row.status.as_str().to_string())),
            InvoiceSortField::Confidence => Some(SortKey::Number(row.confidence)),
        };
        InvoiceCursor {
            sort,
            key,
            created_at: row.created_at,
            id: row.id,
        }
    }

    /// The cursor as an opaque URL-safe token (hex of its JSON).
    pub fn encode(&self) -> String {
        hex::encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a token of [`InvoiceCursor::encode`], which must have been made for `sort`.
    pub fn decode(token: &str, sort: InvoiceSort) -> Result<InvoiceCursor, CursorError> {
        let bytes = hex::decode(token.trim()).map_err(|_| CursorError("not hex".into()))?;
        let cursor: InvoiceCursor = serde_json::from_slice(&bytes)
            .map_err(|_| CursorError("not a cursor of this list".into()))?;
        if cursor.sort != sort {
            return Err(CursorError(format!(
                "it was made for the order {}, not {}",
                cursor.sort, sort
            )));
        }
        let fits = match (&cursor.key, sort.field) {
            (None, _) => {
                sort.field != InvoiceSortField::Status && sort.field != InvoiceSortField::Confidence
            }
            (Some(SortKey::Date(_)), InvoiceSortField::IssueDate | InvoiceSortField::DueDate) => {
                true
            }
            (Some(SortKey::Amount(_)), InvoiceSortField::GrossAmount) => true,
            (Some(SortKey::Number(n)), InvoiceSortField::Confidence) => n.is_finite(),
            (
                Some(SortKey::Text(_)),
                InvoiceSortField::InvoiceNumber
                | InvoiceSortField::SellerName
                | InvoiceSortField::BuyerName
                | InvoiceSortField::Status,
            ) => true,
            _ => false,
        };
        if !fits {
            return Err(CursorError("its key does not fit its order".into()));
        }
        Ok(cursor)
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

/// A vendor or customer as one workspace knows it. Companies belong to a workspace like
/// invoices: each has its own records (matched, listed and changed only within it), so nothing
/// one team types or uploads ever shows up on another team's invoices. `None` is for invoices
/// of nobody (the anonymous era), whose companies are likewise kept apart.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Company {
    pub id: Uuid,
    pub workspace_id: Option<Uuid>,
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
    /// Whose company this is: matching looks only at this workspace's companies.
    pub workspace_id: Option<Uuid>,
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
    /// Who uploaded it.
    pub owner_id: Option<Uuid>,
    pub workspace_id: Option<Uuid>,
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
    pub workspace_id: Option<Uuid>,
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
    /// Who uploaded or entered it.
    pub owner_id: Option<Uuid>,
    pub workspace_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub status: InvoiceStatus,
    pub confidence: f32,
    pub invoice: Invoice,
    pub findings: Vec<Finding>,
    pub vendor_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub duplicate_of: Option<Uuid>,
    /// SHA-256 of the source file. At most one live invoice per workspace has a given hash: a second
    /// insert is refused with [`StoreError::Conflict`](crate::StoreError::Conflict).
    pub file_sha256: Option<String>,
}

/// A stored invoice: the canonical invoice plus bookkeeping.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceRecord {
    pub id: Uuid,
    /// Who uploaded or entered it.
    pub owner_id: Option<Uuid>,
    pub workspace_id: Option<Uuid>,
    pub file_id: Option<Uuid>,
    pub job_id: Option<Uuid>,
    pub status: InvoiceStatus,
    pub confidence: f32,
    pub vendor_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub duplicate_of: Option<Uuid>,
    /// The reviewer it is assigned to, if any.
    pub assignee_id: Option<Uuid>,
    pub invoice: Invoice,
    pub findings: Vec<Finding>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Where an invoice stands in the review queue: the ones waiting before and after it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReviewNeighbours {
    pub previous: Option<Uuid>,
    pub next: Option<Uuid>,
}

/// The columns of an invoice list (no lines, no provenance).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceSummary {
    pub id: Uuid,
    pub owner_id: Option<Uuid>,
    pub workspace_id: Option<Uuid>,
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
    pub file_id: Option<Uuid>,
    pub vendor_id: Option<Uuid>,
    pub customer_id: Option<Uuid>,
    pub salesperson: Option<String>,
    pub assignee_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Filters of the invoice list; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct InvoiceFilter {
    pub status: Option<InvoiceStatus>,
    /// `true`: only invoices waiting for review; `false`: only those already decided.
    pub needs_review: Option<bool>,
    pub currency: Option<String>,
    /// Case-insensitive substring of the seller's name.
    pub seller: Option<String>,
    /// Case-insensitive substring of the buyer's name.
    pub customer: Option<String>,
    /// The matched customer company.
    pub customer_id: Option<Uuid>,
    /// The matched vendor company.
    pub vendor_id: Option<Uuid>,
    /// Case-insensitive substring of the earlier system's salesperson (`legacy.salesperson`).
    pub salesperson: Option<String>,
    /// Who uploaded: any of these users, or (with [`InvoiceFilter::unassigned`]) nobody.
    /// Both empty means no uploader filter. Intersected with the scope, never widening it.
    pub uploader_ids: Vec<Uuid>,
    /// Include invoices without an owner (uploaded without an account or by the system).
    pub unassigned: bool,
    /// Only invoices assigned to this reviewer.
    pub assignee_id: Option<Uuid>,
    /// Only these invoices (a selection); empty means no such filter. Intersected with the
    /// scope, never widening it.
    pub ids: Vec<Uuid>,
    pub issued_from: Option<NaiveDate>,
    pub issued_to: Option<NaiveDate>,
    /// Upload (creation) time range, inclusive at both ends.
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub min_gross: Option<Decimal>,
    pub max_gross: Option<Decimal>,
    /// Full-text query (number, parties, line descriptions; prefixes match). In
    /// [`Store::list_invoices`](crate::Store::list_invoices) a filter like the others, ordered
    /// by [`InvoiceFilter::sort`]; [`Store::search_invoices`](crate::Store::search_invoices)
    /// orders by relevance instead.
    pub q: Option<String>,
    pub sort: InvoiceSort,
    /// Keyset paging: only the rows after this position of [`InvoiceFilter::sort`] (the
    /// page number is then ignored). Only [`Store::list_invoices`](crate::Store::list_invoices)
    /// honours it; it must have been made for the same sort.
    pub after: Option<InvoiceCursor>,
}

/// What the invoice list may be ordered by; a closed set, so no column name ever comes from a
/// request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceSortField {
    #[default]
    CreatedAt,
    IssueDate,
    DueDate,
    InvoiceNumber,
    SellerName,
    BuyerName,
    GrossAmount,
    Status,
    Confidence,
}

impl InvoiceSortField {
    pub const ALL: [InvoiceSortField; 9] = [
        InvoiceSortField::CreatedAt,
        InvoiceSortField::IssueDate,
        InvoiceSortField::DueDate,
        InvoiceSortField::InvoiceNumber,
        InvoiceSortField::SellerName,
        InvoiceSortField::BuyerName,
        InvoiceSortField::GrossAmount,
        InvoiceSortField::Status,
        InvoiceSortField::Confidence,
    ];

    /// The name in the API and the column it orders by (they are the same).
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceSortField::CreatedAt => "created_at",
            InvoiceSortField::IssueDate => "issue_date",
            InvoiceSortField::DueDate => "due_date",
            InvoiceSortField::InvoiceNumber => "invoice_number",
            InvoiceSortField::SellerName => "seller_name",
            InvoiceSortField::BuyerName => "buyer_name",
            InvoiceSortField::GrossAmount => "gross_amount",
            InvoiceSortField::Status => "status",
            InvoiceSortField::Confidence => "confidence",
        }
    }

    pub fn parse(s: &str) -> Option<InvoiceSortField> {
        Self::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// An order for the invoice list; newest first by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceSort {
    pub field: InvoiceSortField,
    pub descending: bool,
}

impl Default for InvoiceSort {
    fn default() -> Self {
        InvoiceSort {
            field: InvoiceSortField::CreatedAt,
            descending: true,
        }
    }
}

impl InvoiceSort {
    /// Reads `field` or `-field` (descending), and `field` with an explicit `asc`/`desc`
    /// order, as the API's `sort` and `order` parameters give them.
    pub fn parse(sort: &str, order: Option<&str>) -> Option<InvoiceSort> {
        let (name, mut descending) = match sort.strip_prefix('-') {
            Some(rest) => (rest, true),
            None => (sort, false),
        };
        match order.map(str::to_ascii_lowercase).as_deref() {
            None => {}
            Some("asc") => descending = false,
            Some("desc") => descending = true,
            Some(_) => return None,
        }
        Some(InvoiceSort {
            field: InvoiceSortField::parse(name.trim())?,
            descending,
        })
    }
}

impl std::fmt::Display for InvoiceSort {
    /// The API's `sort` form: `field`, or `-field` when descending.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sign = if self.descending { "-" } else { "" };
        write!(f, "{sign}{}", self.field.as_str())
    }
}

/// An invoice found by a search, with how well it matched (higher is better; full-text scores
/// and cosine similarities are not comparable with each other).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InvoiceHit {
    #[serde(flatten)]
    pub invoice: InvoiceSummary,
    pub score: f32,
}

/// The dimension of stored invoice embeddings (all-MiniLM-L6-v2 and the hash embedder's
/// default). PostgreSQL's column is `vector(384)`; other sizes are refused.
pub const EMBEDDING_DIMENSION: usize = 384;

/// A stored invoice embedding and the model that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct InvoiceEmbedding {
    pub model: String,
    pub vector: Vec<f32>,
}

/// Invoice figures of the dashboard, within a scope (live invoices only).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct InvoiceStats {
    pub total: u64,
    pub by_status: StatusCounts,
    /// Invoices created since the start of the day given (UTC midnight by default).
    pub processed_today: u64,
    /// The same as `by_status.needs_review`, named as the dashboard shows it.
    pub pending_review: u64,
    /// Gross sums per currency, largest count first. Invoices without a currency are grouped
    /// under `None`.
    pub by_currency: Vec<CurrencyTotal>,
    /// Gross sums per month of issue (of upload when the issue date is unknown) and currency,
    /// oldest month first.
    pub by_month: Vec<MonthTotal>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct StatusCounts {
    pub needs_review: u64,
    pub approved: u64,
    pub rejected: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrencyTotal {
    pub currency: Option<String>,
    pub count: u64,
    pub gross: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthTotal {
    /// `YYYY-MM`.
    pub month: String,
    pub currency: Option<String>,
    pub count: u64,
    pub gross: Decimal,
}

// --- Analytics (`/api/v1/reports/analytics/…`) ----------------------------------------------

/// An inclusive range of issue dates; an open end is `None`. With either end set, invoices
/// without an issue date are left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateRange {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
}

/// Invoices of one status in one currency (`None`: no currency), with their sums.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusCurrencyTotal {
    pub status: InvoiceStatus,
    pub currency: Option<String>,
    pub count: u64,
    pub net: Decimal,
    pub tax: Decimal,
    pub gross: Decimal,
}

/// Figures of the live invoices in a scope and date range.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct AnalyticsTotals {
    pub count: u64,
    /// Counts and sums per status and currency.
    pub by_status_currency: Vec<StatusCurrencyTotal>,
    /// Mean extraction confidence (0 to 1); `None` without invoices.
    pub average_confidence: Option<f64>,
    /// Distinct seller names and buyer names (invoices of any status).
    pub vendors: u64,
    pub customers: u64,
    pub first_issue_date: Option<NaiveDate>,
    pub last_issue_date: Option<NaiveDate>,
}

/// A count and an amount in one currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CurrencyAmount {
    pub currency: Option<String>,
    pub count: u64,
    pub amount: Decimal,
}

/// Invoices of one month (`YYYY-MM` of issue, else of upload), status and currency.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthStatusTotal {
    pub month: String,
    pub status: InvoiceStatus,
    pub currency: Option<String>,
    pub count: u64,
    pub net: Decimal,
    pub gross: Decimal,
}

/// Which party of an invoice a ranking is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PartyRole {
    /// The seller.
    Vendor,
    /// The buyer.
    Customer,
}

/// One party's invoices in one currency, ranked by gross within that currency (rank from 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PartyTotal {
    pub name: Option<String>,
    pub currency: Option<String>,
    pub rank: u64,
    pub count: u64,
    pub net: Decimal,
    pub gross: Decimal,
}

/// One line description (lower-cased, trimmed) in one currency, ranked by net line amount
/// within that currency (rank from 1).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductTotal {
    pub description: String,
    pub currency: Option<String>,
    pub rank: u64,
    pub lines: u64,
    pub invoices: u64,
    pub quantity: Decimal,
    pub net: Decimal,
}
/// A company with how many live invoices (within the caller's scope) name it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CompanySummary {
    #[serde(flatten)]
    pub company: Company,
    pub invoice_count: u64,
}

/// Filters of the company list.
#[derive(Debug, Clone, Default)]
pub struct CompanyFilter {
    pub kind: Option<CompanyKind>,
    /// Case-insensitive substring of the (normalised) name, or the VAT id.
    pub q: Option<String>,
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
    /// Who started it.
    pub owner_id: Option<Uuid>,
    pub workspace_id: Option<Uuid>,
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
    pub workspace_id: Option<Uuid>,
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
    /// How a finished job ended (`approved`, `needs_review`, `duplicate`: its result's
    /// `outcome`).
    pub outcome: Option<String>,
}

/// This process's database connection pool, for its metrics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStats {
    /// Connections open now (in use plus idle).
    pub size: u32,
    pub idle: u32,
    /// The most the pool opens (`DATABASE_MAX_CONNECTIONS`).
    pub max: u32,
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

/// Whether an alert is still firing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertStatus {
    Firing,
    Resolved,
}

impl AlertStatus {
    pub const ALL: [AlertStatus; 2] = [AlertStatus::Firing, AlertStatus::Resolved];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }

    pub fn parse(s: &str) -> Option<AlertStatus> {
        AlertStatus::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

/// One alert of an Alertmanager notification. An alert occurrence is its `fingerprint` (a
/// hash of its labels, Alertmanager's) and its `starts_at`.
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    pub fingerprint: String,
    /// The `alertname` label.
    pub alertname: String,
    pub status: AlertStatus,
    /// The `severity` label, when there is one.
    pub severity: Option<String>,
    pub labels: std::collections::BTreeMap<String, String>,
    pub annotations: std::collections::BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    /// When it ended (resolved) or is expected to end unless notified again (firing).
    pub ends_at: Option<DateTime<Utc>>,
    /// The Prometheus expression page that fired it.
    pub generator_url: Option<String>,
}

/// A stored alert, as its latest notification described it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub id: Uuid,
    pub fingerprint: String,
    pub alertname: String,
    pub status: AlertStatus,
    pub severity: Option<String>,
    pub labels: std::collections::BTreeMap<String, String>,
    pub annotations: std::collections::BTreeMap<String, String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
    pub generator_url: Option<String>,
    /// When the latest notification of it arrived.
    pub received_at: DateTime<Utc>,
}

/// Which alerts to list.
#[derive(Debug, Clone, Default)]
pub struct AlertFilter {
    pub status: Option<AlertStatus>,
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
        // Fetched with one row more than the page: the extra row means a next page, even
        // when an estimated total says otherwise.
        let p = Page::fetched(vec![1u8, 2, 3], PageRequest::new(1, 2), 2, true);
        assert_eq!(
            (p.items.len(), p.has_next, p.total_is_estimate),
            (2, true, true)
        );
        let p = Page::fetched(vec![1u8, 2], PageRequest::new(1, 2), 9, false);
        assert_eq!((p.items.len(), p.has_next), (2, false));
    }

    #[test]
    fn cursors_round_trip_and_refuse_strangers() {
        let sort = InvoiceSort {
            field: InvoiceSortField::GrossAmount,
            descending: true,
        };
        let c = InvoiceCursor {
            sort,
            key: Some(SortKey::Amount(Decimal::new(12345, 2))),
            created_at: Utc::now(),
            id: Uuid::new_v4(),
        };
        assert_eq!(InvoiceCursor::decode(&c.encode(), sort), Ok(c.clone()));
        // Made for another order, garbled, or with a key of the wrong kind: refused.
        assert!(InvoiceCursor::decode(&c.encode(), InvoiceSort::default()).is_err());
        assert!(InvoiceCursor::decode("zz", sort).is_err());
        assert!(InvoiceCursor::decode(&hex::encode(b"{}"), sort).is_err());
        let wrong = InvoiceCursor {
            key: Some(SortKey::Text("x".into())),
            ..c
        };
        assert!(InvoiceCursor::decode(&wrong.encode(), sort).is_err());
    }

    #[test]
    fn company_names_normalise() {
        assert_eq!(normalize_company_name("ACME GmbH & Co. KG"), "acme");
        assert_eq!(normalize_company_name("Müller-Bau  AG"), "müller bau");
        assert_eq!(normalize_company_name("Acme G.m.b.H."), "acme");
    }
}
