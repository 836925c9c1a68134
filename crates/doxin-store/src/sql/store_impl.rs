// The `Store` implementation shared by both SQL backends. Included by `sqlite/mod.rs` and
// `postgres/mod.rs`, which define before the include:
//   - `ThisStore` (the struct, with a `pool` field), `BACKEND`, and `BEGIN_WRITE` (how a
//     transaction that writes begins: every `begin_with(BEGIN_WRITE)` below writes),
//   - `query(sql, args)`: a query in the dialect with the arguments bound,
//   - `col_id`, `col_opt_id`, `col_ts`, `col_opt_ts`, `col_opt_dec`, `col_json`,
//     `col_opt_json`: column decoders for the dialect's representations,
//   - inherent `migrate_impl` and `health_impl`.
// Keeping one body means the two backends cannot drift apart in behaviour; the conformance
// suite checks what remains dialect-specific.

fn user_from_row(row: &DbRow) -> Result<User> {
    let role: String = row.try_get("role")?;
    Ok(User {
        id: col_id(row, "id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        password_hash: row.try_get("password_hash")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
        is_active: row.try_get("is_active")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
        last_login_at: col_opt_ts(row, "last_login_at")?,
    })
}

fn company_from_row(row: &DbRow) -> Result<Company> {
    let kind: String = row.try_get("kind")?;
    Ok(Company {
        id: col_id(row, "id")?,
        workspace_id: col_opt_id(row, "workspace_id")?,
        kind: CompanyKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("company kind {kind}")))?,
        name: row.try_get("name")?,
        vat_id: row.try_get("vat_id")?,
        tax_number: row.try_get("tax_number")?,
        country: row.try_get("country")?,
        address: col_json(row, "address")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

fn file_from_row(row: &DbRow) -> Result<FileRecord> {
    Ok(FileRecord {
        id: col_id(row, "id")?,
        owner_id: col_opt_id(row, "owner_id")?,
        workspace_id: col_opt_id(row, "workspace_id")?,
        sha256: row.try_get("sha256")?,
        size_bytes: row.try_get("size_bytes")?,
        mime_type: row.try_get("mime_type")?,
        original_name: row.try_get("original_name")?,
        page_count: row.try_get("page_count")?,
        created_at: col_ts(row, "created_at")?,
    })
}

/// Memberships with the names a listing shows.
const MEMBERSHIP_SELECT: &str = "SELECT m.workspace_id, w.name AS workspace_name, m.user_id, \
    u.email, u.display_name, m.role, m.approval_limit, m.created_at, m.updated_at \
    FROM memberships m JOIN workspaces w ON w.id = m.workspace_id JOIN users u ON u.id = m.user_id";

fn workspace_from_row(row: &DbRow) -> Result<Workspace> {
    Ok(Workspace {
        id: col_id(row, "id")?,
        name: row.try_get("name")?,
        approval_rules: col_json(row, "approval_rules")?,
        created_by: col_opt_id(row, "created_by")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

fn membership_from_row(row: &DbRow) -> Result<Membership> {
    let role: String = row.try_get("role")?;
    Ok(Membership {
        workspace_id: col_id(row, "workspace_id")?,
        workspace_name: row.try_get("workspace_name")?,
        user_id: col_id(row, "user_id")?,
        email: row.try_get("email")?,
        display_name: row.try_get("display_name")?,
        role: WorkspaceRole::parse(&role)
            .ok_or_else(|| StoreError::Corrupt(format!("workspace role {role}")))?,
        approval_limit: col_opt_dec(row, "approval_limit")?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

fn invoice_status(row: &DbRow) -> Result<InvoiceStatus> {
    let s: String = row.try_get("status")?;
    InvoiceStatus::parse(&s).ok_or_else(|| StoreError::Corrupt(format!("invoice status {s}")))
}

fn invoice_from_row(row: &DbRow) -> Result<InvoiceRecord> {
    Ok(InvoiceRecord {
        id: col_id(row, "id")?,
        owner_id: col_opt_id(row, "owner_id")?,
        workspace_id: col_opt_id(row, "workspace_id")?,
        file_id: col_opt_id(row, "file_id")?,
        job_id: col_opt_id(row, "job_id")?,
        status: invoice_status(row)?,
        confidence: row.try_get("confidence")?,
        vendor_id: col_opt_id(row, "vendor_id")?,
        customer_id: col_opt_id(row, "customer_id")?,
        duplicate_of: col_opt_id(row, "duplicate_of")?,
        assignee_id: col_opt_id(row, "assignee_id")?,
        invoice: serde_json::from_value(col_json(row, "data")?)?,
        findings: serde_json::from_value(col_json(row, "findings")?)?,
        created_at: col_ts(row, "created_at")?,
        updated_at: col_ts(row, "updated_at")?,
    })
}

fn invoice_summary_from_row(row: &DbRow) -> Result<InvoiceSummary> {
    Ok(InvoiceSummary {
        id: col_id(row, "id")?,
        owner_id: col_opt_id(row, "owner_id")?,
        workspace_id: col_opt_id(row, "workspace_id")?,
        status: invoice_status(row)?,
        invoice_number: row.try_get("invoice_number")?,
        issue_date: row.try_get("issue_date")?,
        due_date: row.try_get("due_date")?,
        currency: row.try_get("currency")?,
        seller_name: row.try_get("seller_name")?,
        buyer_name: row.try_get("buyer_name")?,
        gross_amount: col_opt_dec(row, "gross_amount")?,
        confidence: row.try_get("confidence")?,
        duplicate_of: col_opt_id(row, "duplicate_of")?,
        file_id: col_opt_id(row, "file_id")?,
        vendor_id: col_opt_id(row, "vendor_id")?,
        customer_id: col_opt_id(row, "customer_id")?,
        salesperson: row.try_get("salesperson")?,
        assignee_id: col_opt_id(row, "assignee_id")?,
        created_at: col_ts(row, "created_at")?,
    })
}

fn invoice_hit_from_row(row: &DbRow) -> Result<InvoiceHit> {
    Ok(InvoiceHit {
        invoice: invoice_summary_from_row(row)?,
        score: row.try_get("score")?,
    })
}

/// The columns of [`InvoiceSummary`], qualified so they stay unambiguous next to a join.
const SUMMARY_COLUMNS: &str = "invoices.id, owner_id, workspace_id, status, invoice_number, issue_date, \
    due_date, currency, seller_name, buyer_name, gross_amount, confidence, duplicate_of, \
    file_id, vendor_id, customer_id, salesperson, assignee_id, invoices.created_at";

/// The conditions of an invoice filter (live invoices in `scope`), and the full-text match of
/// its `q` when it has words.
fn invoice_conds(
    scope: Scope,
    filter: &InvoiceFilter,
    args: &mut Args,
) -> (Vec<String>, Option<FullText>) {
    let full_text = filter.q.as_deref().and_then(|q| full_text(q, args));
    let mut conds = vec!["deleted_at IS NULL".to_string()];
    scope_cond(scope, "workspace_id", &mut conds, args);
    if let Some(s) = filter.status {
        let p = args.push(s.as_str());
        conds.push(format!("status = {p}"));
    }
    match filter.needs_review {
        Some(true) => conds.push("status = 'needs_review'".to_string()),
        Some(false) => conds.push("status <> 'needs_review'".to_string()),
        None => {}
    }
    if let Some(c) = &filter.currency {
        let p = args.push(c.trim().to_uppercase());
        conds.push(format!("currency = {p}"));
    }
    for (text, column) in [
        (&filter.seller, "seller_name"),
        (&filter.customer, "buyer_name"),
        (&filter.salesperson, "salesperson"),
    ] {
        if let Some(t) = text {
            let p = args.push(contains_pattern(t));
            conds.push(format!("lower({column}) LIKE {p} ESCAPE '\\'"));
        }
    }
    if let Some(id) = filter.vendor_id {
        let p = args.push(id);
        conds.push(format!("vendor_id = {p}"));
    }
    if let Some(id) = filter.customer_id {
        let p = args.push(id);
        conds.push(format!("customer_id = {p}"));
    }
    if let Some(id) = filter.assignee_id {
        let p = args.push(id);
        conds.push(format!("assignee_id = {p}"));
    }
    if !filter.ids.is_empty() {
        let ps: Vec<String> = filter.ids.iter().map(|id| args.push(*id)).collect();
        conds.push(format!("invoices.id IN ({})", ps.join(", ")));
    }
    if !filter.uploader_ids.is_empty() || filter.unassigned {
        let mut any = Vec::new();
        if !filter.uploader_ids.is_empty() {
            let ps: Vec<String> = filter.uploader_ids.iter().map(|id| args.push(*id)).collect();
            any.push(format!("owner_id IN ({})", ps.join(", ")));
        }
        if filter.unassigned {
            any.push("owner_id IS NULL".to_string());
        }
        conds.push(format!("({})", any.join(" OR ")));
    }
    if let Some(d) = filter.issued_from {
        let p = args.push(d);
        conds.push(format!("issue_date >= {p}"));
    }
    if let Some(d) = filter.issued_to {
        let p = args.push(d);
        conds.push(format!("issue_date <= {p}"));
    }
    if let Some(t) = filter.created_from {
        let p = args.push(t);
        conds.push(format!("invoices.created_at >= {p}"));
    }
    if let Some(t) = filter.created_to {
        let p = args.push(t);
        conds.push(format!("invoices.created_at <= {p}"));
    }
    if let Some(a) = filter.min_gross {
        let p = args.push(a);
        conds.push(dec_cmp("gross_amount", ">=", &p));
    }
    if let Some(a) = filter.max_gross {
        let p = args.push(a);
        conds.push(dec_cmp("gross_amount", "<=", &p));
    }
    (conds, full_text)
}

/// `ORDER BY` of a sort. The newest-first default matches the `(owner_id, created_at, id)`
/// indexes exactly (no `NULLS` clause: `created_at` is never null); nullable columns put
/// their nulls last both ways; ties fall back to newest first.
fn invoice_order(sort: InvoiceSort) -> String {
    let dir = if sort.descending { "DESC" } else { "ASC" };
    match sort.field {
        InvoiceSortField::CreatedAt => format!("invoices.created_at {dir}, invoices.id {dir}"),
        InvoiceSortField::Status | InvoiceSortField::Confidence => format!(
            "{} {dir}, invoices.created_at DESC, invoices.id DESC",
            sort.field.as_str()
        ),
        InvoiceSortField::GrossAmount => format!(
            "{} {dir} NULLS LAST, invoices.created_at DESC, invoices.id DESC",
            dec_sort("gross_amount")
        ),
        other => format!(
            "{} {dir} NULLS LAST, invoices.created_at DESC, invoices.id DESC",
            other.as_str()
        ),
    }
}

/// The rows after `cursor` in its order ([`invoice_order`]): a sort value past the cursor's,
/// or the same value and an older (creation time, id) — the tie-break every order ends
/// with — and, as nulls sort last both ways, any null after a value. Row-value comparisons
/// let both databases walk the `(…, created_at, id)` indexes from the cursor on.
fn keyset_cond(cursor: &InvoiceCursor, args: &mut Args) -> String {
    let t = args.push(cursor.created_at);
    let i = args.push(cursor.id);
    let sort = cursor.sort;
    if sort.field == InvoiceSortField::CreatedAt {
        let op = if sort.descending { "<" } else { ">" };
        return format!("(invoices.created_at, invoices.id) {op} ({t}, {i})");
    }
    let older = format!("(invoices.created_at, invoices.id) < ({t}, {i})");
    let column = sort.field.as_str();
    let Some(key) = &cursor.key else {
        // The last row shown had no value: only nulls are left, by creation.
        return format!("({column} IS NULL AND {older})");
    };
    let op = if sort.descending { "<" } else { ">" };
    let p = match key {
        SortKey::Text(v) => args.push(v.as_str()),
        SortKey::Date(d) => args.push(*d),
        SortKey::Number(n) => args.push(*n),
        SortKey::Amount(a) => args.push(*a),
    };
    let (past, same) = match key {
        // Decimals compare numerically (SQLite keeps them as text).
        SortKey::Amount(_) => (dec_cmp(column, op, &p), dec_cmp(column, "=", &p)),
        _ => (format!("{column} {op} {p}"), format!("{column} = {p}")),
    };
    format!("({past} OR ({same} AND {older}) OR {column} IS NULL)")
}

fn job_from_row(row: &DbRow) -> Result<JobRecord> {
    let status: String = row.try_get("status")?;
    let stage: Option<String> = row.try_get("stage")?;
    Ok(JobRecord {
        id: col_id(row, "id")?,
        owner_id: col_opt_id(row, "owner_id")?,
        workspace_id: col_opt_id(row, "workspace_id")?,
        file_id: col_opt_id(row, "file_id")?,
        kind: row.try_get("kind")?,
        status: status.parse().map_err(|e| StoreError::Corrupt(format!("{e}")))?,
        stage: stage
            .map(|s| s.parse().map_err(StoreError::Corrupt))
            .transpose()?,
        progress: row.try_get("progress")?,
        attempts: row.try_get("attempts")?,
        max_attempts: row.try_get("max_attempts")?,
        error_code: row.try_get("error_code")?,
        error: row.try_get("error")?,
        payload: col_json(row, "payload")?,
        result: col_opt_json(row, "result")?,
        invoice_id: col_opt_id(row, "invoice_id")?,
        request_id: row.try_get("request_id")?,
        created_at: col_ts(row, "created_at")?,
        started_at: col_opt_ts(row, "started_at")?,
        finished_at: col_opt_ts(row, "finished_at")?,
        updated_at: col_ts(row, "updated_at")?,
        viewed_at: col_opt_ts(row, "viewed_at")?,
        lease_owner: row.try_get("lease_owner")?,
        lease_until: col_opt_ts(row, "lease_until")?,
    })
}

fn worker_from_row(row: &DbRow) -> Result<WorkerHeartbeat> {
    Ok(WorkerHeartbeat {
        id: row.try_get("id")?,
        host: row.try_get("host")?,
        pid: row.try_get("pid")?,
        concurrency: row.try_get("concurrency")?,
        queue: row.try_get("queue")?,
        current_jobs: serde_json::from_value(col_json(row, "current_jobs")?)?,
        started_at: col_ts(row, "started_at")?,
        last_seen: col_ts(row, "last_seen")?,
    })
}

/// What makes a job claimable: queued, or running under an expired lease. `$now` is the
/// placeholder of the current time.
/// A failed job that used all its attempts.
const DEAD_LETTER: &str = "status = 'failed' AND attempts >= max_attempts";
/// What putting a failed job back in the queue changes (`$1` is now).
const REQUEUE_SET: &str = "status = 'queued', attempts = 0, stage = NULL, progress = 0, \
    error = NULL, error_code = NULL, result = NULL, started_at = NULL, finished_at = NULL, \
    lease_owner = NULL, lease_until = NULL, updated_at = $1";

fn claimable(now: &str) -> String {
    format!("(status = 'queued' OR (status = 'running' AND lease_until < {now}))")
}

fn audit_from_row(row: &DbRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        id: row.try_get("id")?,
        at: col_ts(row, "at")?,
        actor_id: col_opt_id(row, "actor_id")?,
        action: row.try_get("action")?,
        entity_type: row.try_get("entity_type")?,
        entity_id: row.try_get("entity_id")?,
        before: col_opt_json(row, "before")?,
        after: col_opt_json(row, "after")?,
        ip: row.try_get("ip")?,
        request_id: row.try_get("request_id")?,
    })
}

fn alert_from_row(row: &DbRow) -> Result<Alert> {
    let status: String = row.try_get("status")?;
    Ok(Alert {
        id: col_id(row, "id")?,
        fingerprint: row.try_get("fingerprint")?,
        alertname: row.try_get("alertname")?,
        status: AlertStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("alert status {status:?}")))?,
        severity: row.try_get("severity")?,
        labels: serde_json::from_value(col_json(row, "labels")?)?,
        annotations: serde_json::from_value(col_json(row, "annotations")?)?,
        starts_at: col_ts(row, "starts_at")?,
        ends_at: col_opt_ts(row, "ends_at")?,
        generator_url: row.try_get("generator_url")?,
        received_at: col_ts(row, "received_at")?,
    })
}

/// The conditions of an analytics query on `invoices` (aliased by `prefix`, e.g. `"i."`):
/// live, in `scope`, issued within `range`; with `unsettled`, not rejected. Never empty, so
/// callers may append `AND …`.
fn analytics_where(
    scope: Scope,
    range: DateRange,
    prefix: &str,
    unsettled: bool,
) -> (String, Args) {
    let mut args = Args::default();
    let mut conds = vec![format!("{prefix}deleted_at IS NULL")];
    scope_cond(scope, &format!("{prefix}workspace_id"), &mut conds, &mut args);
    if let Some(from) = range.from {
        let p = args.push(from);
        conds.push(format!("{prefix}issue_date >= {p}"));
    }
    if let Some(to) = range.to {
        let p = args.push(to);
        conds.push(format!("{prefix}issue_date <= {p}"));
    }
    if unsettled {
        conds.push(format!("{prefix}status <> 'rejected'"));
    }
    (where_clause(&conds), args)
}

/// A date read as `YYYY-MM-DD` text (`CAST(… AS TEXT)` in both dialects).
/// A `COUNT(*)`-like column as a `u64` (a negative count cannot occur; it reads as 0).
fn col_count(row: &DbRow, col: &str) -> Result<u64> {
    Ok(u64::try_from(row.try_get::<i64, _>(col)?).unwrap_or(0))
}

fn col_text_date(row: &DbRow, col: &str) -> Result<Option<chrono::NaiveDate>> {
    let text: Option<String> = row.try_get(col)?;
    text.map(|t| {
        chrono::NaiveDate::parse_from_str(t.get(..10).unwrap_or(&t), "%Y-%m-%d")
            .map_err(|e| StoreError::Corrupt(format!("{col}: {t}: {e}")))
    })
    .transpose()
}

/// Adds the workspace condition of `scope` on `column`.
fn scope_cond(scope: Scope, column: &str, conds: &mut Vec<String>, args: &mut Args) {
    if let Some(workspace) = scope.workspace() {
        let p = args.push(workspace);
        conds.push(format!("{column} = {p}"));
    }
}

/// `column` holds exactly `owner`: the owner's id, or no owner for `None` (SQL's `=` never
/// matches NULL, and companies of nobody must stay apart from everybody's).
fn owner_is(owner: Option<Uuid>, column: &str, args: &mut Args) -> String {
    match owner {
        Some(o) => {
            let p = args.push(o);
            format!("{column} = {p}")
        }
        None => format!("{column} IS NULL"),
    }
}

/// The lease a claim writes: `$1` the worker, `$2` the lease's end, `$3` now; one more attempt.
const CLAIM_SET: &str = "UPDATE processing_jobs SET status = 'running', lease_owner = $1, \
    lease_until = $2, attempts = attempts + 1, started_at = $3, updated_at = $3, \
    finished_at = NULL";

/// The `SET` of the columns [`InvoiceColumns`] holds, as `$6`–`$17`, with
/// [`invoice_column_args`] (an invoice's update, and an imported invoice's).
const INVOICE_COLUMNS_SET: &str = "document_type = $6, invoice_number = $7, issue_date = $8, \
    due_date = $9, currency = $10, seller_name = $11, seller_vat_id = $12, buyer_name = $13, \
    net_amount = $14, tax_amount = $15, gross_amount = $16, payable_amount = $17";

/// The values of [`INVOICE_COLUMNS_SET`], in its order.
fn invoice_column_args(c: InvoiceColumns) -> [Arg; 12] {
    [
        c.document_type.into(),
        c.invoice_number.into(),
        c.issue_date.into(),
        c.due_date.into(),
        c.currency.into(),
        c.seller_name.into(),
        c.seller_vat_id.into(),
        c.buyer_name.into(),
        c.net_amount.into(),
        c.tax_amount.into(),
        c.gross_amount.into(),
        c.payable_amount.into(),
    ]
}

/// Full-text matches ranked per search, at least (deeper pages rank more): the newest ones.
/// A broad term matching 10,000 invoices would otherwise rank every one of them for a page
/// of 50; a person who wants older matches narrows the search or sorts the list. For such a
/// term PostgreSQL walks the newest-first index until this many match (a term in one invoice
/// of six: ~1,800 rows for 300, ~6,300 for 1,000 — 5 against 17 ms at 100,000 invoices, and
/// the same at any table size), so the bound is what a broad search costs; six pages of 50
/// are ranked exactly.
const SEARCH_CANDIDATES: i64 = 300;

/// Up to how many matching rows (counted exactly) a list of invoices picks its page among
/// them rather than walking its order (see `page_after`).
const FILTER_FIRST_UP_TO: u64 = 1_000;

/// One page of a listing: which rows, in which order, with the filter conditions built so far.
struct Listing<'a> {
    table: &'a str,
    columns: &'a str,
    order: &'a str,
    conds: &'a [String],
    /// When the page is chosen among the matching rows first (see `page_after`).
    filter_first: FilterFirst,
}

/// When a listing chooses its page among the rows its conditions select before reading them
/// (see `page_after`); only invoices in creation order (`invoices.created_at`, `invoices.id`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum FilterFirst {
    Never,
    /// When the count found at most [`FILTER_FIRST_UP_TO`] rows, exactly.
    WhenFew,
    Always,
}

impl ThisStore {
    /// Leases the job `target` selects (a condition that may use `$1`–`$3` of [`CLAIM_SET`] and
    /// the `extra` arguments from `$4` on).
    async fn claim_where(
        &self,
        target: &str,
        worker: &str,
        lease_until: DateTime<Utc>,
        extra: Vec<Arg>,
    ) -> Result<Option<JobRecord>> {
        let mut args = vec![worker.into(), lease_until.into(), Utc::now().into()];
        args.extend(extra);
        let row = query(&format!("{CLAIM_SET} WHERE {target} RETURNING *"), args)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(job_from_row).transpose()
    }

    /// Counts the rows matching `listing` (as `page.count` asks), then fetches the requested
    /// page of them.
    async fn page<T>(
        &self,
        listing: Listing<'_>,
        args: Args,
        page: PageRequest,
        map: fn(&DbRow) -> Result<T>,
    ) -> Result<Page<T>> {
        self.page_after(listing, args, page, map, None).await
    }

    /// [`Self::page`], starting after `after` (keyset paging of invoices) instead of at the
    /// page's offset when a cursor is given.
    ///
    /// With `listing.filter_first`, the page is chosen among the rows the conditions select,
    /// by `id` and `created_at` alone, and only its rows are then read.
    /// For a condition that goes with the order (an issue-date range: invoices arrive soon
    /// after they are issued) the planner would otherwise walk the newest-first index and
    /// pass every row newer than the range, a cost that grows with the table; this way it
    /// grows with the range's rows, read from an index that holds the range and the order.
    async fn page_after<T>(
        &self,
        listing: Listing<'_>,
        mut args: Args,
        page: PageRequest,
        map: fn(&DbRow) -> Result<T>,
        after: Option<&InvoiceCursor>,
    ) -> Result<Page<T>> {
        let from = format!("{}{}", listing.table, where_clause(listing.conds));
        let (total, estimated) = self.total(&from, &args.args, page.count).await?;
        // Few matching rows, counted exactly: choosing the page among them costs no more than
        // the count just did, whatever the planner believes about walking the order instead
        // (for a seller-name filter with 221 matches in 100,000 it walked 25,000 rows).
        let filter_first = match listing.filter_first {
            FilterFirst::Never => false,
            FilterFirst::WhenFew => !estimated && total <= FILTER_FIRST_UP_TO,
            FilterFirst::Always => true,
        };
        let mut conds = listing.conds.to_vec();
        if let Some(cursor) = after {
            conds.push(keyset_cond(cursor, &mut args));
        }
        // One row more than the page: whether there is a next page, whatever the total says.
        let l = args.push(page.limit() + 1);
        let o = args.push(if after.is_some() { 0 } else { page.offset() });
        let sql = if filter_first {
            // FENCE keeps the inner select from being merged into the outer one (which would
            // bring the ORDER BY … LIMIT, and with it the walk, back).
            format!(
                "SELECT {columns} FROM invoices WHERE invoices.id IN (\
                 SELECT id FROM (SELECT invoices.id, invoices.created_at FROM {table}{wh}{FENCE}) \
                 AS invoices ORDER BY {order} LIMIT {l} OFFSET {o}) ORDER BY {order}",
                columns = listing.columns,
                table = listing.table,
                wh = where_clause(&conds),
                order = listing.order,
            )
        } else {
            format!(
                "SELECT {} FROM {}{} ORDER BY {} LIMIT {l} OFFSET {o}",
                listing.columns,
                listing.table,
                where_clause(&conds),
                listing.order
            )
        };
        let rows = query(&sql, args.args).fetch_all(&self.pool).await?;
        let items = rows.iter().map(map).collect::<Result<Vec<_>>>()?;
        Ok(Page::fetched(items, page, total, estimated))
    }

    /// How many rows `from` (a table and its `WHERE`) holds, as `count` asks: exactly, or
    /// exactly up to a bound and the planner's estimate past it (`true` when estimated).
    async fn total(&self, from: &str, args: &[Arg], count: Count) -> Result<(u64, bool)> {
        let exact = || self.count(format!("SELECT COUNT(*) FROM {from}"), args.to_vec());
        let Count::Estimate { exact_up_to } = count else {
            return Ok((exact().await?, false));
        };
        let bound = u64::from(exact_up_to);
        let key = format!("{bound}\u{0}{}", Estimates::key(from, args));
        if let Some(estimate) = self.estimates.get(&key) {
            return Ok((estimate, true));
        }
        let capped = self
            .count(
                format!(
                    "SELECT COUNT(*) FROM (SELECT 1 FROM {from} LIMIT {}) AS capped",
                    bound + 1
                ),
                args.to_vec(),
            )
            .await?;
        if capped <= bound {
            return Ok((capped, false));
        }
        match estimate_rows(&self.pool, &format!("SELECT 1 FROM {from}"), args.to_vec()).await? {
            // Never less than what was counted: an estimate below it would be plainly wrong.
            Some(estimate) => {
                let estimate = estimate.max(capped);
                self.estimates.put(key, estimate);
                Ok((estimate, true))
            }
            None => Ok((exact().await?, false)),
        }
    }

    /// Summaries of these invoices (live ones only), as hits in the order given.
    async fn hits(&self, scored: Vec<(Uuid, f32)>) -> Result<Vec<InvoiceHit>> {
        if scored.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = Args::default();
        let ps: Vec<String> = scored.iter().map(|(id, _)| args.push(*id)).collect();
        let rows = query(
            &format!(
                "SELECT {SUMMARY_COLUMNS} FROM invoices WHERE deleted_at IS NULL AND id IN ({})",
                ps.join(", ")
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        let mut by_id = std::collections::HashMap::new();
        for row in &rows {
            let s = invoice_summary_from_row(row)?;
            by_id.insert(s.id, s);
        }
        Ok(scored
            .into_iter()
            .filter_map(|(id, score)| by_id.remove(&id).map(|invoice| InvoiceHit { invoice, score }))
            .collect())
    }

    /// The company listing: companies with their live invoice counts in `scope`; a user only
    /// sees their own companies, and of those only the ones named on one of their invoices.
    async fn company_page(
        &self,
        scope: Scope,
        mut conds: Vec<String>,
        mut args: Args,
        page: PageRequest,
    ) -> Result<Page<CompanySummary>> {
        let mut mine = vec![
            "(i.vendor_id = companies.id OR i.customer_id = companies.id)".to_string(),
            "i.deleted_at IS NULL".to_string(),
        ];
        scope_cond(scope, "i.workspace_id", &mut mine, &mut args);
        let linked = mine.join(" AND ");
        if scope != Scope::All {
            // Ownership first: an invoice of the user's naming someone else's company (which
            // the store refuses to write) would still not show that company.
            scope_cond(scope, "companies.workspace_id", &mut conds, &mut args);
            conds.push(format!("EXISTS (SELECT 1 FROM invoices i WHERE {linked})"));
        }
        let columns = format!(
            "companies.*, (SELECT COUNT(*) FROM invoices i WHERE {linked}) AS invoice_count"
        );
        let listing = Listing {
            table: "companies",
            columns: &columns,
            order: "name, kind, id",
            conds: &conds,
            filter_first: FilterFirst::Never,
        };
        self.page(listing, args, page, |row| {
            let n: i64 = row.try_get("invoice_count")?;
            Ok(CompanySummary {
                company: company_from_row(row)?,
                invoice_count: u64::try_from(n).unwrap_or(0),
            })
        })
        .await
    }

    /// Refuses vendor and customer companies that are not `workspace`'s: an invoice shows its
    /// companies' VAT ids and names, so a company of another workspace on it would leak theirs
    /// (or let a user plant data on another team's invoice).
    ///
    /// Read outside the writing transaction: a company's workspace never changes, and on
    /// SQLite a transaction that reads before it writes can fail to take the write lock.
    async fn check_company_workspace(
        &self,
        workspace: Option<Uuid>,
        companies: [Option<Uuid>; 2],
    ) -> Result<()> {
        let ids: Vec<Uuid> = companies.into_iter().flatten().collect();
        if ids.is_empty() {
            return Ok(());
        }
        let mut args = Args::default();
        let ps: Vec<String> = ids.iter().map(|id| args.push(*id)).collect();
        let theirs = owner_is(workspace, "workspace_id", &mut args);
        let row = query(
            &format!(
                "SELECT COUNT(*) FROM companies WHERE id IN ({}) AND {theirs}",
                ps.join(", ")
            ),
            args.args,
        )
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = row.try_get(0)?;
        let distinct = if ids.len() == 2 && ids[0] == ids[1] { 1 } else { ids.len() };
        if usize::try_from(n).unwrap_or(0) != distinct {
            return Err(StoreError::InvalidInput(
                "an invoice's vendor and customer must be companies of the invoice's workspace".into(),
            ));
        }
        Ok(())
    }

    /// Refuses a change that `scope`'s role does not allow: `NotFound` when the invoice is
    /// not visible in the scope at all (a stranger learns nothing), `Forbidden` when it is.
    async fn require_role(&self, id: Uuid, scope: Scope, min: WorkspaceRole) -> Result<()> {
        if scope.allows(min) {
            return Ok(());
        }
        self.get_invoice(id, scope).await?;
        Err(StoreError::Forbidden { role: scope.role() })
    }

    /// Refuses to take the administrator role from `user` when nobody else in the workspace
    /// has it: a workspace nobody can manage is lost.
    async fn keep_an_admin(&self, workspace: Uuid, user: Uuid) -> Result<()> {
        let others = self
            .count(
                "SELECT COUNT(*) FROM memberships WHERE workspace_id = $1 AND role = 'admin' \
                 AND user_id <> $2"
                    .to_string(),
                vec![workspace.into(), user.into()],
            )
            .await?;
        if others == 0 {
            return Err(StoreError::InvalidState(
                "a workspace needs at least one administrator; make someone else one first"
                    .into(),
            ));
        }
        Ok(())
    }

    /// Forgets the approvals an invoice collected: it was reopened or rejected, so whoever
    /// approved it before approved something else.
    async fn clear_approvals(&self, id: Uuid) -> Result<()> {
        query("DELETE FROM invoice_approvals WHERE invoice_id = $1", vec![id.into()])
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn count(&self, sql: String, args: Vec<Arg>) -> Result<u64> {
        let row = query(&sql, args).fetch_one(&self.pool).await?;
        let n: i64 = row.try_get(0)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Inserts an invoice and its lines on `conn` (inside the caller's transaction), with an
    /// import's natural key and source hash when it came from an import.
    async fn insert_invoice_row(
        conn: &mut <Db as sqlx::Database>::Connection,
        new: &NewInvoice,
        import: Option<(&str, &str)>,
    ) -> Result<DbRow> {
        let c = InvoiceColumns::of(&new.invoice);
        let now = Utc::now();
        let id = new_id();
        let row = query(
            "INSERT INTO invoices (id, owner_id, file_id, job_id, status, document_type, \
             invoice_number, issue_date, due_date, currency, seller_name, seller_vat_id, \
             buyer_name, vendor_id, customer_id, net_amount, tax_amount, gross_amount, \
             payable_amount, confidence, duplicate_of, data, findings, created_at, updated_at, \
             file_sha256, workspace_id, import_key, import_hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, \
             $17, $18, $19, $20, $21, $22, $23, $24, $24, $25, $26, $27, $28) RETURNING *",
            vec![
                id.into(),
                new.owner_id.into(),
                new.file_id.into(),
                new.job_id.into(),
                new.status.as_str().into(),
                c.document_type.into(),
                c.invoice_number.into(),
                c.issue_date.into(),
                c.due_date.into(),
                c.currency.into(),
                c.seller_name.into(),
                c.seller_vat_id.into(),
                c.buyer_name.into(),
                new.vendor_id.into(),
                new.customer_id.into(),
                c.net_amount.into(),
                c.tax_amount.into(),
                c.gross_amount.into(),
                c.payable_amount.into(),
                new.confidence.into(),
                new.duplicate_of.into(),
                serde_json::to_value(&new.invoice)?.into(),
                serde_json::to_value(&new.findings)?.into(),
                now.into(),
                new.file_sha256.clone().into(),
                new.workspace_id.into(),
                import.map(|(key, _)| key).into(),
                import.map(|(_, hash)| hash).into(),
            ],
        )
        .fetch_one(&mut *conn)
        .await?;
        Self::write_lines(conn, id, &new.invoice).await?;
        Ok(row)
    }

    async fn write_lines(
        conn: &mut <Db as sqlx::Database>::Connection,
        invoice_id: Uuid,
        invoice: &Invoice,
    ) -> Result<()> {
        query("DELETE FROM invoice_lines WHERE invoice_id = $1", vec![invoice_id.into()])
            .execute(&mut *conn)
            .await?;
        // Several lines a statement: an invoice with many lines (or an import of thousands of
        // invoices) costs a few round trips, not one per line.
        const LINES_PER_INSERT: usize = 50;
        let v = |f: &Field<Decimal>| f.as_ref().map(|e| e.value);
        for (chunk_no, chunk) in invoice.lines.chunks(LINES_PER_INSERT).enumerate() {
            let mut args = Args::default();
            let mut rows = Vec::with_capacity(chunk.len());
            for (j, line) in chunk.iter().enumerate() {
                let position = chunk_no * LINES_PER_INSERT + j + 1;
                let values = [
                    args.push(new_id()),
                    args.push(invoice_id),
                    args.push(i64::try_from(position).unwrap_or(i64::MAX)),
                    args.push(line.description.as_ref().map(|e| e.value.clone())),
                    args.push(v(&line.quantity)),
                    args.push(line.unit_code.as_ref().map(|e| e.value.clone())),
                    args.push(v(&line.unit_price)),
                    args.push(v(&line.line_amount)),
                    args.push(v(&line.vat_rate)),
                ];
                rows.push(format!("({})", values.join(", ")));
            }
            query(
                &format!(
                    "INSERT INTO invoice_lines (id, invoice_id, position, description, \
                     quantity, unit_code, unit_price, line_amount, vat_rate) VALUES {}",
                    rows.join(", ")
                ),
                args.args,
            )
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

#[async_trait]
impl Store for ThisStore {
    fn backend(&self) -> Backend {
        BACKEND
    }

    async fn migrate(&self) -> Result<usize> {
        self.migrate_impl().await
    }

    async fn health(&self) -> Result<DatabaseHealth> {
        self.health_impl().await
    }

    async fn create_user(&self, new: NewUser) -> Result<User> {
        // One path for every new user, so each gets their first workspace.
        self.create_user_with_code(new, None).await
    }

    async fn get_user(&self, id: Uuid) -> Result<User> {
        let row = query("SELECT * FROM users WHERE id = $1", vec![id.into()])
            .fetch_one(&self.pool)
            .await?;
        user_from_row(&row)
    }

    async fn find_user_by_email(&self, email: &str) -> Result<User> {
        let row = query(
            "SELECT * FROM users WHERE email = $1",
            vec![email.trim().to_lowercase().into()],
        )
        .fetch_one(&self.pool)
        .await?;
        user_from_row(&row)
    }

    async fn list_users(&self, page: PageRequest) -> Result<Page<User>> {
        let listing = Listing {
            table: "users",
            columns: "*",
            order: "created_at, id",
            conds: &[],
            filter_first: FilterFirst::Never,
        };
        self.page(listing, Args::default(), page, user_from_row).await
    }

    async fn update_user(&self, id: Uuid, update: UserUpdate) -> Result<User> {
        let row = query(
            "UPDATE users SET \
               display_name = COALESCE($2, display_name), \
               password_hash = COALESCE($3, password_hash), \
               role = COALESCE($4, role), \
               is_active = COALESCE($5, is_active), \
               last_login_at = COALESCE($6, last_login_at), \
               updated_at = $7 \
             WHERE id = $1 RETURNING *",
            vec![
                id.into(),
                update.display_name.into(),
                update.password_hash.into(),
                update.role.map(Role::as_str).into(),
                update.is_active.into(),
                update.last_login_at.into(),
                Utc::now().into(),
            ],
        )
        .fetch_one(&self.pool)
        .await?;
        user_from_row(&row)
    }

    async fn count_users(&self) -> Result<u64> {
        self.count("SELECT COUNT(*) FROM users".into(), vec![]).await
    }

    async fn upsert_company(&self, new: NewCompany) -> Result<Company> {
        let normalized = normalize_company_name(&new.name);
        let vat_id = new
            .vat_id
            .as_deref()
            .map(|v| v.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_uppercase())
            .filter(|v| !v.is_empty());
        // Every lookup and change is confined to the workspace's companies: matching across
        // workspaces would hand one team another's record (VAT id, tax number) for a guessed
        // name, and learning a VAT id would let a user plant it on another team's company.
        let by_vat = |vat: String| {
            let mut args = Args::default();
            let kind = args.push(new.kind.as_str());
            let v = args.push(vat);
            let owner = owner_is(new.workspace_id, "workspace_id", &mut args);
            (
                format!("SELECT * FROM companies WHERE kind = {kind} AND vat_id = {v} AND {owner}"),
                args.args,
            )
        };
        // Match by VAT id first (it identifies a company), then by normalised name among
        // companies without a conflicting VAT id.
        if let Some(vat) = &vat_id {
            let (sql, args) = by_vat(vat.clone());
            let found = query(&sql, args).fetch_optional(&self.pool).await?;
            if let Some(row) = found {
                return company_from_row(&row);
            }
        }
        if !normalized.is_empty() {
            let mut args = Args::default();
            let kind = args.push(new.kind.as_str());
            let name = args.push(normalized.clone());
            let vat = args.push(vat_id.clone());
            let owner = owner_is(new.workspace_id, "workspace_id", &mut args);
            let found = query(
                &format!(
                    "SELECT * FROM companies WHERE kind = {kind} AND normalized_name = {name} \
                     AND (vat_id IS NULL OR {vat} IS NULL OR vat_id = {vat}) AND {owner} \
                     ORDER BY created_at LIMIT 1"
                ),
                args.args,
            )
            .fetch_optional(&self.pool)
            .await?;
            if let Some(row) = found {
                let company = company_from_row(&row)?;
                // Learn a VAT id we did not know yet (the company is the owner's own).
                if company.vat_id.is_none() && vat_id.is_some() {
                    let row = query(
                        "UPDATE companies SET vat_id = $2, updated_at = $3 WHERE id = $1 \
                         RETURNING *",
                        vec![company.id.into(), vat_id.into(), Utc::now().into()],
                    )
                    .fetch_one(&self.pool)
                    .await?;
                    return company_from_row(&row);
                }
                return Ok(company);
            }
        }
        let now = Utc::now();
        let inserted = query(
            "INSERT INTO companies (id, workspace_id, kind, name, normalized_name, vat_id, \
             tax_number, country, address, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING *",
            vec![
                new_id().into(),
                new.workspace_id.into(),
                new.kind.as_str().into(),
                new.name.trim().to_string().into(),
                normalized.into(),
                vat_id.clone().into(),
                new.tax_number.into(),
                new.country.into(),
                new.address.into(),
                now.into(),
            ],
        )
        .fetch_one(&self.pool)
        .await;
        match (inserted, vat_id) {
            (Ok(row), _) => company_from_row(&row),
            // Another writer inserted the owner's company with this VAT id between our read
            // and write: use theirs.
            (Err(sqlx::Error::Database(db)), Some(vat)) if db.is_unique_violation() => {
                let (sql, args) = by_vat(vat);
                let row = query(&sql, args).fetch_one(&self.pool).await?;
                company_from_row(&row)
            }
            (Err(e), _) => Err(e.into()),
        }
    }

    async fn get_company(&self, id: Uuid, scope: Scope) -> Result<Company> {
        let mut args = Args::default();
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}")];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let row = query(&format!("SELECT * FROM companies{}", where_clause(&conds)), args.args)
            .fetch_one(&self.pool)
            .await?;
        company_from_row(&row)
    }

    async fn list_companies(
        &self,
        scope: Scope,
        kind: Option<CompanyKind>,
        page: PageRequest,
    ) -> Result<Page<Company>> {
        let mut args = Args::default();
        let mut conds = Vec::new();
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        if let Some(kind) = kind {
            let p = args.push(kind.as_str());
            conds.push(format!("kind = {p}"));
        }
        let listing = Listing {
            table: "companies",
            columns: "*",
            order: "name, id",
            conds: &conds,
            filter_first: FilterFirst::Never,
        };
        self.page(listing, args, page, company_from_row).await
    }

    async fn list_company_summaries(
        &self,
        scope: Scope,
        filter: &CompanyFilter,
        page: PageRequest,
    ) -> Result<Page<CompanySummary>> {
        let mut args = Args::default();
        let mut conds = Vec::new();
        if let Some(kind) = filter.kind {
            let p = args.push(kind.as_str());
            conds.push(format!("kind = {p}"));
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let name = args.push(contains_pattern(&normalize_company_name(q)));
            let vat = args.push(
                q.chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_uppercase(),
            );
            conds.push(format!("(normalized_name LIKE {name} ESCAPE '\\' OR vat_id = {vat})"));
        }
        self.company_page(scope, conds, args, page).await
    }

    async fn get_company_summary(&self, id: Uuid, scope: Scope) -> Result<CompanySummary> {
        let mut args = Args::default();
        let p = args.push(id);
        let conds = vec![format!("companies.id = {p}")];
        self.company_page(scope, conds, args, PageRequest::new(1, 1))
            .await?
            .items
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn insert_file(&self, new: NewFile) -> Result<FileRecord> {
        let row = query(
            "INSERT INTO files (id, owner_id, sha256, size_bytes, mime_type, original_name, \
             page_count, created_at, workspace_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
             RETURNING *",
            vec![
                new_id().into(),
                new.owner_id.into(),
                new.sha256.into(),
                new.size_bytes.into(),
                new.mime_type.into(),
                new.original_name.into(),
                new.page_count.into(),
                Utc::now().into(),
                new.workspace_id.into(),
            ],
        )
        .fetch_one(&self.pool)
        .await?;
        file_from_row(&row)
    }

    async fn get_file(&self, id: Uuid, scope: Scope) -> Result<FileRecord> {
        let mut args = Args::default();
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}")];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let row = query(&format!("SELECT * FROM files{}", where_clause(&conds)), args.args)
            .fetch_one(&self.pool)
            .await?;
        file_from_row(&row)
    }

    async fn find_files_by_hash(&self, sha256: &str, scope: Scope) -> Result<Vec<FileRecord>> {
        let mut args = Args::default();
        let p = args.push(sha256);
        let mut conds = vec![format!("sha256 = {p}")];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let rows = query(
            &format!("SELECT * FROM files{} ORDER BY created_at, id", where_clause(&conds)),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(file_from_row).collect()
    }

    async fn insert_invoice(&self, new: NewInvoice) -> Result<InvoiceRecord> {
        self.check_company_workspace(new.workspace_id, [new.vendor_id, new.customer_id])
            .await?;
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let row = Self::insert_invoice_row(&mut tx, &new, None).await;
        // Roll back a refused insert now: a dropped transaction is rolled back only when its
        // connection is next used, and until then SQLite answers other writers "database is
        // locked" (seen with the FTS5 trigger of migration 0004).
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(e);
            }
        };
        tx.commit().await?;
        invoice_from_row(&row)
    }

    async fn get_invoice(&self, id: Uuid, scope: Scope) -> Result<InvoiceRecord> {
        let mut args = Args::default();
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}"), "deleted_at IS NULL".to_string()];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let row = query(&format!("SELECT * FROM invoices{}", where_clause(&conds)), args.args)
            .fetch_one(&self.pool)
            .await?;
        invoice_from_row(&row)
    }

    async fn get_invoices(&self, ids: &[Uuid], scope: Scope) -> Result<Vec<InvoiceRecord>> {
        // Bounded statements: SQLite allows 32,766 parameters, PostgreSQL 65,535.
        const CHUNK: usize = 1_000;
        let mut by_id = std::collections::HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let mut args = Args::default();
            let ps: Vec<String> = chunk.iter().map(|id| args.push(*id)).collect();
            let mut conds = vec![
                format!("id IN ({})", ps.join(", ")),
                "deleted_at IS NULL".to_string(),
            ];
            scope_cond(scope, "workspace_id", &mut conds, &mut args);
            let rows = query(&format!("SELECT * FROM invoices{}", where_clause(&conds)), args.args)
                .fetch_all(&self.pool)
                .await?;
            for row in &rows {
                let record = invoice_from_row(row)?;
                by_id.insert(record.id, record);
            }
        }
        Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
    }

    async fn list_invoices(
        &self,
        scope: Scope,
        filter: &InvoiceFilter,
        page: PageRequest,
    ) -> Result<Page<InvoiceSummary>> {
        let mut args = Args::default();
        let (mut conds, full_text) = invoice_conds(scope, filter, &mut args);
        let mut table = "invoices".to_string();
        if let Some(ft) = full_text {
            table.push_str(&ft.join);
            conds.push(ft.cond);
        }
        let order = invoice_order(filter.sort);
        let listing = Listing {
            table: &table,
            columns: SUMMARY_COLUMNS,
            order: &order,
            conds: &conds,
            // An issue-date range goes with the newest-first order (see `page_after`).
            filter_first: if filter.sort.field != InvoiceSortField::CreatedAt {
                FilterFirst::Never
            } else if filter.issued_from.is_some() || filter.issued_to.is_some() {
                FilterFirst::Always
            } else {
                FilterFirst::WhenFew
            },
        };
        let after = filter.after.as_ref();
        if after.is_some_and(|c| c.sort != filter.sort) {
            return Err(StoreError::InvalidInput(
                "the cursor was made for another order".into(),
            ));
        }
        let mut found = self
            .page_after(listing, args, page, invoice_summary_from_row, after)
            .await?;
        if found.has_next {
            found.next_cursor = found
                .items
                .last()
                .map(|last| InvoiceCursor::after(last, filter.sort).encode());
        }
        Ok(found)
    }

    async fn review_neighbours(&self, id: Uuid, scope: Scope) -> Result<ReviewNeighbours> {
        let mut args = Args::default();
        let me = args.push(id);
        let mut conds = vec![
            "status = 'needs_review'".to_string(),
            "deleted_at IS NULL".to_string(),
            format!("id <> {me}"),
        ];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let wh = where_clause(&conds);
        let at = format!("(SELECT created_at FROM invoices WHERE id = {me})");
        // Each arm is one index range read on (workspace_id, status, created_at, id).
        let pick = |extra: &str, dir: &str| {
            format!(
                "(SELECT id FROM invoices{wh}{extra} ORDER BY created_at {dir}, id {dir} LIMIT 1)"
            )
        };
        let sql = format!(
            "SELECT {} AS after, {} AS first, {} AS before, {} AS last",
            pick(&format!(" AND (created_at, id) > ({at}, {me})"), "ASC"),
            pick("", "ASC"),
            pick(&format!(" AND (created_at, id) < ({at}, {me})"), "DESC"),
            pick("", "DESC"),
        );
        let row = query(&sql, args.args).fetch_one(&self.pool).await?;
        Ok(ReviewNeighbours {
            next: col_opt_id(&row, "after")?.or(col_opt_id(&row, "first")?),
            previous: col_opt_id(&row, "before")?.or(col_opt_id(&row, "last")?),
        })
    }

    async fn update_invoice(
        &self,
        id: Uuid,
        scope: Scope,
        update: InvoiceUpdate,
    ) -> Result<InvoiceRecord> {
        self.require_role(id, scope, WorkspaceRole::Clerk).await?;
        let current = self.get_invoice(id, scope).await?;
        // Approvals (also the first of two still waiting for the second) were given to what the
        // decision rested on: a change of that, or a move away from approved, forgets them.
        let reopens = update
            .status
            .is_some_and(|s| s != InvoiceStatus::Approved && s != current.status)
            || update.invoice.as_ref().is_some_and(|i| {
                !doxin_model::review::decision_changes(&current.invoice, i).is_empty()
            });
        // A changed body makes the stored embedding stale.
        let body_changed = update.invoice.as_ref().is_some_and(|i| *i != current.invoice);
        let invoice = update.invoice.unwrap_or(current.invoice);
        let c = InvoiceColumns::of(&invoice);
        // Only companies the update brings in need checking; the current ones were checked
        // when they were set.
        self.check_company_workspace(current.workspace_id, [update.vendor_id, update.customer_id])
            .await?;
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let row = query(
            &format!(
                "UPDATE invoices SET status = $2, confidence = $3, vendor_id = $4, \
                 customer_id = $5, {INVOICE_COLUMNS_SET}, data = $18, findings = $19, \
                 updated_at = $20, embedding = CASE WHEN $21 THEN NULL ELSE embedding END, \
                 embedding_model = CASE WHEN $21 THEN NULL ELSE embedding_model END \
                 WHERE id = $1 AND deleted_at IS NULL RETURNING *"
            ),
            [
                id.into(),
                update.status.unwrap_or(current.status).as_str().into(),
                update.confidence.unwrap_or(current.confidence).into(),
                update.vendor_id.or(current.vendor_id).into(),
                update.customer_id.or(current.customer_id).into(),
            ]
            .into_iter()
            .chain(invoice_column_args(c))
            .chain([
                serde_json::to_value(&invoice)?.into(),
                serde_json::to_value(update.findings.unwrap_or(current.findings))?.into(),
                Utc::now().into(),
                body_changed.into(),
            ])
            .collect(),
        )
        .fetch_one(&mut *tx)
        .await;
        // See `insert_invoice`: release the write lock at once.
        let row = match row {
            Ok(row) => row,
            Err(e) => {
                let _ = tx.rollback().await;
                return Err(e.into());
            }
        };
        Self::write_lines(&mut tx, id, &invoice).await?;
        tx.commit().await?;
        if reopens {
            self.clear_approvals(id).await?;
        }
        invoice_from_row(&row)
    }

    async fn transition_invoice_status(
        &self,
        id: Uuid,
        scope: Scope,
        from: &[InvoiceStatus],
        to: InvoiceStatus,
    ) -> Result<Option<InvoiceRecord>> {
        let needs = match to {
            InvoiceStatus::NeedsReview => WorkspaceRole::Clerk,
            InvoiceStatus::Approved | InvoiceStatus::Rejected => WorkspaceRole::Approver,
        };
        self.require_role(id, scope, needs).await?;
        let mut args = Args::default();
        let status = args.push(to.as_str());
        let now = args.push(Utc::now());
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}"), "deleted_at IS NULL".to_string()];
        if from.is_empty() {
            conds.push("1 = 0".to_string());
        } else {
            let set: Vec<String> = from.iter().map(|s| args.push(s.as_str())).collect();
            conds.push(format!("status IN ({})", set.join(", ")));
        }
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        // One statement: of two concurrent decisions exactly one sees the old status.
        let row = query(
            &format!(
                "UPDATE invoices SET status = {status}, updated_at = {now}{} RETURNING *",
                where_clause(&conds)
            ),
            args.args,
        )
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => {
                if to != InvoiceStatus::Approved {
                    self.clear_approvals(id).await?;
                }
                Ok(Some(invoice_from_row(&row)?))
            }
            // Not moved: `NotFound` outside the scope, else its status was not in `from`.
            None => self.get_invoice(id, scope).await.map(|_| None),
        }
    }

    async fn assign_invoice(
        &self,
        id: Uuid,
        scope: Scope,
        assignee: Option<Uuid>,
    ) -> Result<InvoiceRecord> {
        self.require_role(id, scope, WorkspaceRole::Clerk).await?;
        let mut args = Args::default();
        let who = args.push(assignee);
        let now = args.push(Utc::now());
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}"), "deleted_at IS NULL".to_string()];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let row = query(
            &format!(
                "UPDATE invoices SET assignee_id = {who}, updated_at = {now}{} RETURNING *",
                where_clause(&conds)
            ),
            args.args,
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map_or(Err(StoreError::NotFound), |r| invoice_from_row(&r))
    }

    async fn soft_delete_invoice(&self, id: Uuid, scope: Scope) -> Result<()> {
        self.require_role(id, scope, WorkspaceRole::Clerk).await?;
        let mut args = Args::default();
        let now = args.push(Utc::now());
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}"), "deleted_at IS NULL".to_string()];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let done = query(
            &format!("UPDATE invoices SET deleted_at = {now}, updated_at = {now}{}", where_clause(&conds)),
            args.args,
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn replace_invoice_file(
        &self,
        id: Uuid,
        scope: Scope,
        file_id: Uuid,
    ) -> Result<InvoiceRecord> {
        self.require_role(id, scope, WorkspaceRole::Clerk).await?;
        // The file must be the workspace's too: nobody attaches bytes they cannot read.
        let file = self.get_file(file_id, scope).await?;
        let mut args = Args::default();
        let f = args.push(file.id);
        let h = args.push(file.sha256);
        let now = args.push(Utc::now());
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}"), "deleted_at IS NULL".to_string()];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let row = query(
            &format!(
                "UPDATE invoices SET file_id = {f}, file_sha256 = {h}, updated_at = {now}{} \
                 RETURNING *",
                where_clause(&conds)
            ),
            args.args,
        )
        .fetch_one(&self.pool)
        .await?;
        invoice_from_row(&row)
    }

    async fn search_invoices(
        &self,
        scope: Scope,
        text: &str,
        filter: &InvoiceFilter,
        page: PageRequest,
    ) -> Result<Page<InvoiceHit>> {
        let filter = InvoiceFilter {
            q: None,
            ..filter.clone()
        };
        // Full text first; only when it finds nothing, the typo-tolerant pass (if the dialect
        // has one).
        let mut found = Page::new(Vec::new(), page, 0);
        for pass in [full_text, fuzzy_text] {
            let mut args = Args::default();
            let Some(ft) = pass(text, &mut args) else {
                continue;
            };
            let (mut conds, _) = invoice_conds(scope, &filter, &mut args);
            conds.push(ft.cond);
            let from = format!("invoices{}{}", ft.join, where_clause(&conds));
            // Ranked among a bounded set of candidates, the newest matches: a broad term
            // matching tens of thousands of invoices costs about what one matching a thousand
            // does. Within the bound (and the page's depth) the ranking is exact. The same
            // statement counts the candidates, which is the total whenever they are fewer
            // than the bound: one pass over the matches instead of two.
            let candidates = SEARCH_CANDIDATES.max(page.offset() + page.limit() + 1);
            let count_args = args.args.clone();
            let l = args.push(page.limit() + 1);
            let o = args.push(page.offset());
            let sql = format!(
                "SELECT {SUMMARY_COLUMNS}, score, matched FROM (\
                 SELECT c.*, COUNT(*) OVER () AS matched FROM (\
                 SELECT {SUMMARY_COLUMNS}, CAST({score} AS REAL) AS score FROM {from} \
                 ORDER BY invoices.created_at DESC, invoices.id DESC LIMIT {more}\
                 ) AS c) AS invoices \
                 ORDER BY score DESC, invoices.created_at DESC, invoices.id DESC \
                 LIMIT {l} OFFSET {o}",
                score = ft.score,
                more = candidates + 1,
            );
            let rows = query(&sql, args.args).fetch_all(&self.pool).await?;
            let matched = rows.first().map(|r| col_count(r, "matched")).transpose()?;
            let bound = u64::try_from(candidates).unwrap_or(u64::MAX);
            let (total, estimated) = match (matched, page.count) {
                (Some(n), _) if n <= bound => (n, false),
                // More than the bound, which is past what an estimate-counting page counts.
                (Some(n), Count::Estimate { exact_up_to }) if u64::from(exact_up_to) < n => {
                    let key = Estimates::key(&from, &count_args);
                    let sql = format!("SELECT 1 FROM {from}");
                    match self.estimates.get(&key) {
                        Some(estimate) => (estimate.max(n), true),
                        None => match estimate_rows(&self.pool, &sql, count_args.clone()).await? {
                            Some(estimate) => {
                                self.estimates.put(key, estimate.max(n));
                                (estimate.max(n), true)
                            }
                            None => self.total(&from, &count_args, Count::Exact).await?,
                        },
                    }
                }
                // An exact count asked for, or a page past the last match.
                _ => self.total(&from, &count_args, page.count).await?,
            };
            if total == 0 {
                continue;
            }
            let items = rows
                .iter()
                .map(invoice_hit_from_row)
                .collect::<Result<Vec<_>>>()?;
            found = Page::fetched(items, page, total, estimated);
            break;
        }
        Ok(found)
    }

    async fn set_invoice_embedding(
        &self,
        id: Uuid,
        scope: Scope,
        embedding: &InvoiceEmbedding,
    ) -> Result<()> {
        if embedding.vector.len() != EMBEDDING_DIMENSION {
            return Err(StoreError::InvalidInput(format!(
                "embeddings have {EMBEDDING_DIMENSION} dimensions, not {} (model {})",
                embedding.vector.len(),
                embedding.model
            )));
        }
        let mut args = Args::default();
        let v = vector_param(&mut args, &embedding.vector);
        let m = args.push(embedding.model.as_str());
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}"), "deleted_at IS NULL".to_string()];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let done = query(
            &format!(
                "UPDATE invoices SET embedding = {v}, embedding_model = {m}{}",
                where_clause(&conds)
            ),
            args.args,
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn get_invoice_embedding(
        &self,
        id: Uuid,
        scope: Scope,
    ) -> Result<Option<InvoiceEmbedding>> {
        let mut args = Args::default();
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}"), "deleted_at IS NULL".to_string()];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let row = query(
            &format!(
                "SELECT {VECTOR_SELECT}, embedding_model FROM invoices{}",
                where_clause(&conds)
            ),
            args.args,
        )
        .fetch_one(&self.pool)
        .await?;
        let model: Option<String> = row.try_get("embedding_model")?;
        Ok(match (model, col_opt_vector(&row, "embedding")?) {
            (Some(model), Some(vector)) => Some(InvoiceEmbedding { model, vector }),
            _ => None,
        })
    }

    async fn semantic_search(
        &self,
        scope: Scope,
        target: &InvoiceEmbedding,
        limit: u32,
    ) -> Result<Vec<InvoiceHit>> {
        if target.vector.len() != EMBEDDING_DIMENSION {
            return Err(StoreError::InvalidInput(format!(
                "the query vector has {} dimensions, stored ones {EMBEDDING_DIMENSION}",
                target.vector.len()
            )));
        }
        let scored = self.nearest_impl(scope, target, limit, None).await?;
        self.hits(scored).await
    }

    async fn similar_invoices(&self, id: Uuid, scope: Scope, limit: u32) -> Result<Vec<InvoiceHit>> {
        let Some(embedding) = self.get_invoice_embedding(id, scope).await? else {
            return Ok(Vec::new());
        };
        let scored = self.nearest_impl(scope, &embedding, limit, Some(id)).await?;
        self.hits(scored).await
    }

    async fn invoice_stats(&self, scope: Scope, day_start: DateTime<Utc>) -> Result<InvoiceStats> {
        let mut args = Args::default();
        let mut conds = vec!["deleted_at IS NULL".to_string()];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let wh = where_clause(&conds);
        let mut stats = InvoiceStats::default();

        let rows = query(
            &format!("SELECT status, COUNT(*) AS n FROM invoices{wh} GROUP BY status"),
            args.args.clone(),
        )
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let n = col_count(row, "n")?;
            stats.total += n;
            match invoice_status(row)? {
                InvoiceStatus::NeedsReview => stats.by_status.needs_review = n,
                InvoiceStatus::Approved => stats.by_status.approved = n,
                InvoiceStatus::Rejected => stats.by_status.rejected = n,
            }
        }
        stats.pending_review = stats.by_status.needs_review;

        let mut today = Args { args: args.args.clone() };
        let p = today.push(day_start);
        stats.processed_today = self
            .count(
                format!("SELECT COUNT(*) FROM invoices{wh} AND created_at >= {p}"),
                today.args,
            )
            .await?;

        let gross = sum_dec("gross_amount");
        let rows = query(
            &format!(
                "SELECT currency, COUNT(*) AS n, {gross} AS gross FROM invoices{wh} \
                 GROUP BY currency ORDER BY COUNT(*) DESC, currency"
            ),
            args.args.clone(),
        )
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            stats.by_currency.push(CurrencyTotal {
                currency: row.try_get("currency")?,
                count: col_count(row, "n")?,
                gross: col_sum_dec(row, "gross")?,
            });
        }

        let rows = query(
            &format!(
                "SELECT {MONTH_OF_INVOICE} AS month, currency, COUNT(*) AS n, {gross} AS gross \
                 FROM invoices{wh} GROUP BY 1, 2 ORDER BY 1, 2"
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            stats.by_month.push(MonthTotal {
                month: row.try_get("month")?,
                currency: row.try_get("currency")?,
                count: col_count(row, "n")?,
                gross: col_sum_dec(row, "gross")?,
            });
        }
        Ok(stats)
    }

    async fn analytics_totals(&self, scope: Scope, range: DateRange) -> Result<AnalyticsTotals> {
        let (wh, args) = analytics_where(scope, range, "", false);
        let mut totals = AnalyticsTotals::default();
        let (net, tax, gross) = (
            sum_dec("net_amount"),
            sum_dec("tax_amount"),
            sum_dec("gross_amount"),
        );
        let rows = query(
            &format!(
                "SELECT status, currency, COUNT(*) AS n, {net} AS net, {tax} AS tax, \
                 {gross} AS gross FROM invoices{wh} GROUP BY status, currency \
                 ORDER BY status, currency"
            ),
            args.args.clone(),
        )
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let count = col_count(row, "n")?;
            totals.count += count;
            totals.by_status_currency.push(StatusCurrencyTotal {
                status: invoice_status(row)?,
                currency: row.try_get("currency")?,
                count,
                net: col_sum_dec(row, "net")?,
                tax: col_sum_dec(row, "tax")?,
                gross: col_sum_dec(row, "gross")?,
            });
        }
        let row = query(
            &format!(
                "SELECT AVG(confidence) AS confidence, COUNT(DISTINCT seller_name) AS vendors, \
                 COUNT(DISTINCT buyer_name) AS customers, \
                 CAST(MIN(issue_date) AS TEXT) AS first_date, \
                 CAST(MAX(issue_date) AS TEXT) AS last_date FROM invoices{wh}"
            ),
            args.args,
        )
        .fetch_one(&self.pool)
        .await?;
        totals.average_confidence = row.try_get::<Option<f64>, _>("confidence")?;
        totals.vendors = col_count(&row, "vendors")?;
        totals.customers = col_count(&row, "customers")?;
        totals.first_issue_date = col_text_date(&row, "first_date")?;
        totals.last_issue_date = col_text_date(&row, "last_date")?;
        Ok(totals)
    }

    async fn analytics_overdue(
        &self,
        scope: Scope,
        range: DateRange,
        today: chrono::NaiveDate,
    ) -> Result<Vec<CurrencyAmount>> {
        let (wh, mut args) = analytics_where(scope, range, "", true);
        let t = args.push(today);
        let gross = sum_dec("gross_amount");
        let rows = query(
            &format!(
                "SELECT currency, COUNT(*) AS n, {gross} AS gross FROM invoices{wh} \
                 AND due_date IS NOT NULL AND due_date < {t} GROUP BY currency ORDER BY currency"
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(CurrencyAmount {
                    currency: row.try_get("currency")?,
                    count: col_count(row, "n")?,
                    amount: col_sum_dec(row, "gross")?,
                })
            })
            .collect()
    }

    async fn analytics_months(
        &self,
        scope: Scope,
        range: DateRange,
    ) -> Result<Vec<MonthStatusTotal>> {
        let (wh, args) = analytics_where(scope, range, "", false);
        let (net, gross) = (sum_dec("net_amount"), sum_dec("gross_amount"));
        let rows = query(
            &format!(
                "SELECT {MONTH_OF_INVOICE} AS month, status, currency, COUNT(*) AS n, \
                 {net} AS net, {gross} AS gross FROM invoices{wh} GROUP BY 1, 2, 3 \
                 ORDER BY 1, 2, 3"
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(MonthStatusTotal {
                    month: row.try_get("month")?,
                    status: invoice_status(row)?,
                    currency: row.try_get("currency")?,
                    count: col_count(row, "n")?,
                    net: col_sum_dec(row, "net")?,
                    gross: col_sum_dec(row, "gross")?,
                })
            })
            .collect()
    }

    async fn analytics_parties(
        &self,
        scope: Scope,
        range: DateRange,
        role: PartyRole,
        limit: u32,
    ) -> Result<Vec<PartyTotal>> {
        let column = match role {
            PartyRole::Vendor => "seller_name",
            PartyRole::Customer => "buyer_name",
        };
        let (wh, mut args) = analytics_where(scope, range, "", true);
        let n = args.push(i64::from(limit));
        let (net, gross) = (sum_dec("net_amount"), sum_dec("gross_amount"));
        let rows = query(
            &format!(
                "SELECT name, currency, rn, n, net, gross FROM (\
                 SELECT {column} AS name, currency, COUNT(*) AS n, {net} AS net, \
                 {gross} AS gross, ROW_NUMBER() OVER (PARTITION BY currency \
                 ORDER BY coalesce({gross}, 0) DESC, COUNT(*) DESC, {column}) AS rn \
                 FROM invoices{wh} GROUP BY {column}, currency) AS ranked \
                 WHERE rn <= {n} ORDER BY currency, rn"
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(PartyTotal {
                    name: row.try_get("name")?,
                    currency: row.try_get("currency")?,
                    rank: col_count(row, "rn")?,
                    count: col_count(row, "n")?,
                    net: col_sum_dec(row, "net")?,
                    gross: col_sum_dec(row, "gross")?,
                })
            })
            .collect()
    }

    async fn analytics_products(
        &self,
        scope: Scope,
        range: DateRange,
        limit: u32,
    ) -> Result<Vec<ProductTotal>> {
        let (wh, mut args) = analytics_where(scope, range, "i.", true);
        let n = args.push(i64::from(limit));
        let (quantity, net) = (sum_dec("l.quantity"), sum_dec("l.line_amount"));
        let key = "lower(trim(l.description))";
        let rows = query(
            &format!(
                "SELECT description, currency, rn, lines, invoices, quantity, net FROM (\
                 SELECT {key} AS description, i.currency AS currency, COUNT(*) AS lines, \
                 COUNT(DISTINCT l.invoice_id) AS invoices, {quantity} AS quantity, \
                 {net} AS net, ROW_NUMBER() OVER (PARTITION BY i.currency \
                 ORDER BY coalesce({net}, 0) DESC, COUNT(*) DESC, {key}) AS rn \
                 FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id{wh} \
                 AND l.description IS NOT NULL AND trim(l.description) <> '' \
                 GROUP BY {key}, i.currency) AS ranked \
                 WHERE rn <= {n} ORDER BY currency, rn"
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ProductTotal {
                    description: row.try_get("description")?,
                    currency: row.try_get("currency")?,
                    rank: col_count(row, "rn")?,
                    lines: col_count(row, "lines")?,
                    invoices: col_count(row, "invoices")?,
                    quantity: col_sum_dec(row, "quantity")?,
                    net: col_sum_dec(row, "net")?,
                })
            })
            .collect()
    }

    async fn find_invoice_duplicate(
        &self,
        scope: Scope,
        seller_vat_id: Option<&str>,
        seller_name: Option<&str>,
        invoice_number: &str,
    ) -> Result<Option<Uuid>> {
        let mut args = Args::default();
        let n = args.push(invoice_number.trim());
        let mut conds = vec![format!("invoice_number = {n}"), "deleted_at IS NULL".to_string()];
        match (seller_vat_id, seller_name) {
            (Some(vat), _) => {
                let p = args.push(vat);
                conds.push(format!("seller_vat_id = {p}"));
            }
            (None, Some(name)) => {
                let p = args.push(name.trim().to_lowercase());
                conds.push(format!("lower(seller_name) = {p}"));
            }
            (None, None) => return Ok(None),
        }
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let row = query(
            &format!("SELECT id FROM invoices{} ORDER BY created_at, id LIMIT 1", where_clause(&conds)),
            args.args,
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| col_id(&r, "id")).transpose()
    }

    async fn create_job(&self, new: NewJob) -> Result<JobRecord> {
        let now = Utc::now();
        let row = query(
            "INSERT INTO processing_jobs (id, owner_id, file_id, kind, status, progress, \
             attempts, max_attempts, payload, request_id, created_at, updated_at, workspace_id) \
             VALUES ($1, $2, $3, $4, 'queued', 0, 0, $5, $6, $7, $8, $8, $9) RETURNING *",
            vec![
                new_id().into(),
                new.owner_id.into(),
                new.file_id.into(),
                new.kind.into(),
                new.max_attempts.into(),
                new.payload.into(),
                new.request_id.into(),
                now.into(),
                new.workspace_id.into(),
            ],
        )
        .fetch_one(&self.pool)
        .await?;
        job_from_row(&row)
    }

    async fn get_job(&self, id: Uuid, scope: Scope) -> Result<JobRecord> {
        let mut args = Args::default();
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}")];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let row = query(&format!("SELECT * FROM processing_jobs{}", where_clause(&conds)), args.args)
            .fetch_one(&self.pool)
            .await?;
        job_from_row(&row)
    }

    async fn update_job(&self, id: Uuid, update: JobUpdate) -> Result<JobRecord> {
        let current = self.get_job(id, Scope::All).await?;
        let now = Utc::now();
        let (status, started_at, finished_at, attempts) = match update.status {
            Some(to) => {
                current
                    .status
                    .transition(to)
                    .map_err(|e| StoreError::InvalidState(e.to_string()))?;
                let started = if to == JobStatus::Running { Some(now) } else { current.started_at };
                let finished = if to.is_terminal() { Some(now) } else { None };
                let attempts = current.attempts + i32::from(to == JobStatus::Running);
                (to, started, finished, attempts)
            }
            None => (current.status, current.started_at, current.finished_at, current.attempts),
        };
        let progress = match (update.progress, status) {
            (Some(p), _) => p.clamp(0, 100),
            (None, JobStatus::Succeeded) => 100,
            (None, _) => current.progress,
        };
        // Applied only if nobody changed the status since we read it.
        let row = query(
            "UPDATE processing_jobs SET status = $3, stage = $4, progress = $5, attempts = $6, \
             error_code = $7, error = $8, result = $9, invoice_id = $10, started_at = $11, \
             finished_at = $12, updated_at = $13, \
             lease_owner = CASE WHEN $3 = 'running' THEN lease_owner ELSE NULL END, \
             lease_until = CASE WHEN $3 = 'running' THEN lease_until ELSE NULL END \
             WHERE id = $1 AND status = $2 RETURNING *",
            vec![
                id.into(),
                current.status.as_str().into(),
                status.as_str().into(),
                update.stage.or(current.stage).map(|s| s.as_str()).into(),
                progress.into(),
                attempts.into(),
                update.error_code.or(current.error_code).into(),
                update.error.or(current.error).into(),
                update.result.or(current.result).into(),
                update.invoice_id.or(current.invoice_id).into(),
                started_at.into(),
                finished_at.into(),
                now.into(),
            ],
        )
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => job_from_row(&row),
            None => Err(StoreError::InvalidState(format!(
                "job {id} changed status concurrently (was {})",
                current.status
            ))),
        }
    }

    async fn list_jobs(
        &self,
        scope: Scope,
        filter: &JobFilter,
        page: PageRequest,
    ) -> Result<Page<JobRecord>> {
        let mut args = Args::default();
        let mut conds = Vec::new();
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        if let Some(s) = filter.status {
            let p = args.push(s.as_str());
            conds.push(format!("status = {p}"));
        }
        if filter.unread_only {
            conds.push("viewed_at IS NULL".to_string());
        }
        if let Some(outcome) = &filter.outcome {
            let p = args.push(outcome.clone());
            conds.push(match BACKEND {
                Backend::Postgres => format!("result->>'outcome' = {p}"),
                Backend::Sqlite => format!("json_extract(result, '$.outcome') = {p}"),
            });
        }
        let listing = Listing {
            table: "processing_jobs",
            columns: "*",
            order: "created_at DESC, id DESC",
            conds: &conds,
            filter_first: FilterFirst::Never,
        };
        self.page(listing, args, page, job_from_row).await
    }

    async fn mark_jobs_viewed(&self, scope: Scope, ids: &[Uuid]) -> Result<u64> {
        let mut marked = 0;
        for id in ids {
            let mut args = Args::default();
            let now = args.push(Utc::now());
            let p = args.push(*id);
            let mut conds = vec![format!("id = {p}"), "viewed_at IS NULL".to_string()];
            scope_cond(scope, "workspace_id", &mut conds, &mut args);
            marked += query(
                &format!("UPDATE processing_jobs SET viewed_at = {now}{}", where_clause(&conds)),
                args.args,
            )
            .execute(&self.pool)
            .await?
            .rows_affected();
        }
        Ok(marked)
    }

    async fn count_jobs_by_status(&self, scope: Scope) -> Result<Vec<(JobStatus, u64)>> {
        let mut args = Args::default();
        let mut conds = Vec::new();
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let rows = query(
            &format!(
                "SELECT status, COUNT(*) AS n FROM processing_jobs{} GROUP BY status",
                where_clause(&conds)
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let s: String = r.try_get("status")?;
                let n: i64 = r.try_get("n")?;
                let status = s.parse().map_err(|e| StoreError::Corrupt(format!("{e}")))?;
                Ok((status, u64::try_from(n).unwrap_or(0)))
            })
            .collect()
    }

    async fn count_running_by_stage(&self) -> Result<Vec<(doxin_model::JobStage, u64)>> {
        let rows = query(
            "SELECT stage, COUNT(*) AS n FROM processing_jobs \
             WHERE status = 'running' AND stage IS NOT NULL GROUP BY stage",
            vec![],
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let stage: String = r.try_get("stage")?;
                let n: i64 = r.try_get("n")?;
                let stage = stage.parse().map_err(StoreError::Corrupt)?;
                Ok((stage, u64::try_from(n).unwrap_or(0)))
            })
            .collect()
    }

    fn pool_stats(&self) -> PoolStats {
        let size = self.pool.size();
        PoolStats {
            size,
            idle: u32::try_from(self.pool.num_idle())
                .unwrap_or(u32::MAX)
                .min(size),
            max: self.pool.options().get_max_connections(),
        }
    }

    async fn retry_failed_job(&self, id: Uuid) -> Result<JobRecord> {
        let row = query(
            &format!("UPDATE processing_jobs SET {REQUEUE_SET} WHERE id = $2 AND status = 'failed' \
             RETURNING *"),
            vec![Utc::now().into(), id.into()],
        )
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => job_from_row(&row),
            None => {
                let job = self.get_job(id, Scope::All).await?;
                Err(StoreError::InvalidState(format!(
                    "job {id} is {}; only a failed job can be retried",
                    job.status
                )))
            }
        }
    }

    async fn count_dead_letters(&self) -> Result<u64> {
        let row = query(
            &format!("SELECT COUNT(*) AS n FROM processing_jobs WHERE {DEAD_LETTER}"),
            vec![],
        )
        .fetch_one(&self.pool)
        .await?;
        let n: i64 = row.try_get("n")?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn requeue_dead_letters(&self, limit: u32) -> Result<Vec<Uuid>> {
        let rows = query(
            &format!(
                "UPDATE processing_jobs SET {REQUEUE_SET} WHERE status = 'failed' AND id IN \
                 (SELECT id FROM processing_jobs WHERE {DEAD_LETTER} \
                 ORDER BY finished_at, id LIMIT $2) RETURNING id"
            ),
            vec![Utc::now().into(), i64::from(limit).into()],
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| col_id(r, "id")).collect()
    }

    async fn jobs_finished_since(
        &self,
        since: DateTime<Utc>,
        limit: u32,
    ) -> Result<Vec<(JobStatus, DateTime<Utc>)>> {
        let rows = query(
            "SELECT status, finished_at FROM processing_jobs WHERE finished_at >= $1 \
             AND status IN ('succeeded', 'failed', 'cancelled') ORDER BY finished_at LIMIT $2",
            vec![since.into(), i64::from(limit).into()],
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let s: String = r.try_get("status")?;
                let status = s.parse().map_err(|e| StoreError::Corrupt(format!("{e}")))?;
                Ok((status, col_ts(r, "finished_at")?))
            })
            .collect()
    }

    async fn claim_next_job(
        &self,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<JobRecord>> {
        let oldest = format!(
            "id = (SELECT id FROM processing_jobs WHERE {} ORDER BY created_at, id LIMIT 1{LOCK_ROWS})",
            claimable("$3")
        );
        self.claim_where(&oldest, worker, lease_until, vec![]).await
    }

    async fn claim_job(
        &self,
        id: Uuid,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<Option<JobRecord>> {
        let this = format!("id = $4 AND {}", claimable("$3"));
        self.claim_where(&this, worker, lease_until, vec![id.into()])
            .await
    }

    async fn renew_job_lease(
        &self,
        id: Uuid,
        worker: &str,
        lease_until: DateTime<Utc>,
    ) -> Result<bool> {
        let n = query(
            "UPDATE processing_jobs SET lease_until = $3 \
             WHERE id = $1 AND status = 'running' AND lease_owner = $2",
            vec![id.into(), worker.into(), lease_until.into()],
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn release_job(&self, id: Uuid, worker: &str) -> Result<bool> {
        let n = query(
            "UPDATE processing_jobs SET status = 'queued', lease_owner = NULL, \
             lease_until = NULL, stage = NULL, progress = 0, updated_at = $3, \
             attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
             WHERE id = $1 AND status = 'running' AND lease_owner = $2",
            vec![id.into(), worker.into(), Utc::now().into()],
        )
        .execute(&self.pool)
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    async fn requeue_expired_jobs(&self, now: DateTime<Utc>) -> Result<Vec<Uuid>> {
        let rows = query(
            "UPDATE processing_jobs SET status = 'queued', lease_owner = NULL, \
             lease_until = NULL, stage = NULL, updated_at = $1 \
             WHERE status = 'running' AND lease_until < $1 RETURNING id",
            vec![now.into()],
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| col_id(r, "id")).collect()
    }

    async fn stale_queued_jobs(&self, before: DateTime<Utc>, limit: u32) -> Result<Vec<Uuid>> {
        let rows = query(
            "SELECT id FROM processing_jobs WHERE status = 'queued' AND updated_at < $1 \
             ORDER BY created_at, id LIMIT $2",
            vec![before.into(), i64::from(limit).into()],
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|r| col_id(r, "id")).collect()
    }

    async fn record_worker_heartbeat(
        &self,
        beat: &WorkerHeartbeat,
        forget_before: DateTime<Utc>,
    ) -> Result<()> {
        query(
            "INSERT INTO workers (id, host, pid, concurrency, queue, current_jobs, started_at, \
             last_seen) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (id) DO UPDATE SET current_jobs = excluded.current_jobs, \
             last_seen = excluded.last_seen, concurrency = excluded.concurrency",
            vec![
                beat.id.as_str().into(),
                beat.host.as_str().into(),
                beat.pid.into(),
                beat.concurrency.into(),
                beat.queue.as_str().into(),
                serde_json::to_value(&beat.current_jobs)?.into(),
                beat.started_at.into(),
                beat.last_seen.into(),
            ],
        )
        .execute(&self.pool)
        .await?;
        query("DELETE FROM workers WHERE last_seen < $1", vec![forget_before.into()])
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn live_workers(&self, since: DateTime<Utc>) -> Result<Vec<WorkerHeartbeat>> {
        let rows = query(
            "SELECT * FROM workers WHERE last_seen >= $1 ORDER BY started_at, id",
            vec![since.into()],
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(worker_from_row).collect()
    }

    async fn remove_worker(&self, id: &str) -> Result<()> {
        query("DELETE FROM workers WHERE id = $1", vec![id.into()])
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    async fn record_usage(&self, counts: &[(UsageKey, u64)]) -> Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        // One transaction per batch: a flush is all or nothing, and SQLite takes its write
        // lock once.
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        for (key, n) in counts {
            query(
                "INSERT INTO api_usage (day, method, route, user_id, status, count) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (day, route, method, user_id, status) \
                 DO UPDATE SET count = api_usage.count + excluded.count",
                vec![
                    key.day.into(),
                    key.method.as_str().into(),
                    key.route.as_str().into(),
                    // Anonymous is the nil UUID in the table: key columns cannot be NULL.
                    key.user_id.unwrap_or(Uuid::nil()).into(),
                    i64::from(key.status).into(),
                    i64::try_from(*n).unwrap_or(i64::MAX).into(),
                ],
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn usage_report(&self, filter: &UsageFilter) -> Result<UsageReport> {
        let mut args = Args::default();
        let mut conds = Vec::new();
        if let Some(from) = filter.from {
            let p = args.push(from);
            conds.push(format!("u.day >= {p}"));
        }
        if let Some(to) = filter.to {
            let p = args.push(to);
            conds.push(format!("u.day <= {p}"));
        }
        if let Some(user) = filter.user_id {
            let p = args.push(user);
            conds.push(format!("u.user_id = {p}"));
        }
        if let Some(route) = &filter.route {
            let p = args.push(route.as_str());
            conds.push(format!("u.route = {p}"));
        }
        let wh = where_clause(&conds);
        // SUM over bigint is numeric in PostgreSQL: cast back so both dialects decode an i64.
        const SUMS: &str = "CAST(SUM(u.count) AS BIGINT) AS requests, \
            CAST(SUM(CASE WHEN u.status >= 400 AND u.status < 500 THEN u.count ELSE 0 END) AS BIGINT) AS client_errors, \
            CAST(SUM(CASE WHEN u.status >= 500 THEN u.count ELSE 0 END) AS BIGINT) AS server_errors";
        let n = |row: &DbRow, col: &str| -> Result<u64> {
            let v: Option<i64> = row.try_get(col)?;
            Ok(u64::try_from(v.unwrap_or(0)).unwrap_or(0))
        };

        let routes = query(
            &format!(
                "SELECT u.method, u.route, {SUMS} FROM api_usage u{wh} \
                 GROUP BY u.method, u.route ORDER BY requests DESC, u.route, u.method"
            ),
            args.args.clone(),
        )
        .fetch_all(&self.pool)
        .await?;
        let by_route = routes
            .iter()
            .map(|r| {
                Ok(RouteUsage {
                    method: r.try_get("method")?,
                    route: r.try_get("route")?,
                    requests: n(r, "requests")?,
                    client_errors: n(r, "client_errors")?,
                    server_errors: n(r, "server_errors")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let days = query(
            &format!("SELECT u.day, {SUMS} FROM api_usage u{wh} GROUP BY u.day ORDER BY u.day"),
            args.args.clone(),
        )
        .fetch_all(&self.pool)
        .await?;
        let by_day = days
            .iter()
            .map(|r| {
                Ok(DayUsage {
                    day: r.try_get("day")?,
                    requests: n(r, "requests")?,
                    client_errors: n(r, "client_errors")?,
                    server_errors: n(r, "server_errors")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        let mut user_args = args.clone();
        let limit = user_args.push(i64::from(UsageReport::MAX_USERS));
        let users = query(
            &format!(
                "SELECT u.user_id, users.email, CAST(SUM(u.count) AS BIGINT) AS requests \
                 FROM api_usage u LEFT JOIN users ON users.id = u.user_id{wh} \
                 GROUP BY u.user_id, users.email ORDER BY requests DESC, users.email LIMIT {limit}"
            ),
            user_args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        let by_user = users
            .iter()
            .map(|r| {
                let id = col_id(r, "user_id")?;
                Ok(UserUsage {
                    user_id: (!id.is_nil()).then_some(id),
                    email: r.try_get("email")?,
                    requests: n(r, "requests")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;

        Ok(UsageReport {
            total: by_day.iter().map(|d| d.requests).sum(),
            client_errors: by_day.iter().map(|d| d.client_errors).sum(),
            server_errors: by_day.iter().map(|d| d.server_errors).sum(),
            by_route,
            by_user,
            by_day,
        })
    }

    async fn create_workspace(&self, new: NewWorkspace) -> Result<Workspace> {
        let now = Utc::now();
        let id = new_id();
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        let row = query(
            "INSERT INTO workspaces (id, name, created_by, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $4) RETURNING *",
            vec![id.into(), new.name.trim().to_string().into(), new.created_by.into(), now.into()],
        )
        .fetch_one(&mut *tx)
        .await?;
        query(
            "INSERT INTO memberships (workspace_id, user_id, role, created_at, updated_at) \
             VALUES ($1, $2, 'admin', $3, $3)",
            vec![id.into(), new.created_by.into(), now.into()],
        )
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        workspace_from_row(&row)
    }

    async fn get_workspace(&self, id: Uuid) -> Result<Workspace> {
        let row = query("SELECT * FROM workspaces WHERE id = $1", vec![id.into()])
            .fetch_one(&self.pool)
            .await?;
        workspace_from_row(&row)
    }

    async fn list_workspaces(&self, page: PageRequest) -> Result<Page<Workspace>> {
        let listing = Listing {
            table: "workspaces",
            columns: "*",
            order: "created_at, id",
            conds: &[],
            filter_first: FilterFirst::Never,
        };
        self.page(listing, Args::default(), page, workspace_from_row).await
    }

    async fn update_workspace(&self, id: Uuid, update: WorkspaceUpdate) -> Result<Workspace> {
        let current = self.get_workspace(id).await?;
        let row = query(
            "UPDATE workspaces SET name = $2, approval_rules = $3, updated_at = $4 \
             WHERE id = $1 RETURNING *",
            vec![
                id.into(),
                update.name.map_or(current.name, |n| n.trim().to_string()).into(),
                update.approval_rules.unwrap_or(current.approval_rules).into(),
                Utc::now().into(),
            ],
        )
        .fetch_one(&self.pool)
        .await?;
        workspace_from_row(&row)
    }

    async fn memberships_of(&self, user: Uuid) -> Result<Vec<Membership>> {
        let rows = query(
            &format!("{MEMBERSHIP_SELECT} WHERE m.user_id = $1 ORDER BY m.created_at, m.workspace_id"),
            vec![user.into()],
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(membership_from_row).collect()
    }

    async fn get_membership(&self, workspace: Uuid, user: Uuid) -> Result<Membership> {
        let row = query(
            &format!("{MEMBERSHIP_SELECT} WHERE m.workspace_id = $1 AND m.user_id = $2"),
            vec![workspace.into(), user.into()],
        )
        .fetch_one(&self.pool)
        .await?;
        membership_from_row(&row)
    }

    async fn list_members(&self, workspace: Uuid) -> Result<Vec<Membership>> {
        let rows = query(
            &format!("{MEMBERSHIP_SELECT} WHERE m.workspace_id = $1 ORDER BY m.created_at, m.user_id"),
            vec![workspace.into()],
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(membership_from_row).collect()
    }

    async fn set_membership(&self, new: NewMembership) -> Result<Membership> {
        let current = self.get_membership(new.workspace_id, new.user_id).await;
        let now = Utc::now();
        match current {
            Ok(m) => {
                if m.role == WorkspaceRole::Admin && new.role != WorkspaceRole::Admin {
                    self.keep_an_admin(new.workspace_id, new.user_id).await?;
                }
                query(
                    "UPDATE memberships SET role = $3, approval_limit = $4, updated_at = $5 \
                     WHERE workspace_id = $1 AND user_id = $2",
                    vec![
                        new.workspace_id.into(),
                        new.user_id.into(),
                        new.role.as_str().into(),
                        new.approval_limit.into(),
                        now.into(),
                    ],
                )
                .execute(&self.pool)
                .await?;
            }
            Err(StoreError::NotFound) => {
                query(
                    "INSERT INTO memberships (workspace_id, user_id, role, approval_limit, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5)",
                    vec![
                        new.workspace_id.into(),
                        new.user_id.into(),
                        new.role.as_str().into(),
                        new.approval_limit.into(),
                        now.into(),
                    ],
                )
                .execute(&self.pool)
                .await?;
            }
            Err(e) => return Err(e),
        }
        self.get_membership(new.workspace_id, new.user_id).await
    }

    async fn remove_membership(&self, workspace: Uuid, user: Uuid) -> Result<()> {
        let m = self.get_membership(workspace, user).await?;
        if m.role == WorkspaceRole::Admin {
            self.keep_an_admin(workspace, user).await?;
        }
        query(
            "DELETE FROM memberships WHERE workspace_id = $1 AND user_id = $2",
            vec![workspace.into(), user.into()],
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn record_approval(&self, invoice: Uuid, approver: Uuid) -> Result<Vec<Approval>> {
        // A second approval by the same person is the same row: one decision.
        let sql = match BACKEND {
            Backend::Postgres => {
                "INSERT INTO invoice_approvals (invoice_id, approver_id, created_at) \
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
            }
            Backend::Sqlite => {
                "INSERT OR IGNORE INTO invoice_approvals (invoice_id, approver_id, created_at) \
                 VALUES ($1, $2, $3)"
            }
        };
        query(sql, vec![invoice.into(), approver.into(), Utc::now().into()])
            .execute(&self.pool)
            .await?;
        self.list_approvals(invoice).await
    }

    async fn list_approvals(&self, invoice: Uuid) -> Result<Vec<Approval>> {
        let rows = query(
            "SELECT approver_id, created_at FROM invoice_approvals WHERE invoice_id = $1 \
             ORDER BY created_at, approver_id",
            vec![invoice.into()],
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Approval {
                    approver_id: col_id(r, "approver_id")?,
                    created_at: col_ts(r, "created_at")?,
                })
            })
            .collect()
    }

    async fn find_invoice_by_job(&self, job_id: Uuid) -> Result<Option<InvoiceRecord>> {
        let row = query(
            "SELECT * FROM invoices WHERE job_id = $1 AND deleted_at IS NULL",
            vec![job_id.into()],
        )
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(invoice_from_row).transpose()
    }

    async fn find_invoice_by_file_hash(
        &self,
        workspace: Option<Uuid>,
        sha256: &str,
    ) -> Result<Option<Uuid>> {
        let mut args = Args::default();
        let p = args.push(sha256);
        let mut conds = vec![format!("file_sha256 = {p}"), "deleted_at IS NULL".to_string()];
        conds.push(owner_is(workspace, "workspace_id", &mut args));
        let row = query(
            &format!("SELECT id FROM invoices{} ORDER BY created_at, id LIMIT 1", where_clause(&conds)),
            args.args,
        )
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| col_id(&r, "id")).transpose()
    }

    async fn record_alerts(&self, alerts: &[NewAlert]) -> Result<u64> {
        if alerts.is_empty() {
            return Ok(0);
        }
        let now = Utc::now();
        let mut written = 0;
        // One transaction: a notification is stored whole or not at all (Alertmanager then
        // retries it), and SQLite takes its write lock once.
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        for a in alerts {
            let done = query(
                "INSERT INTO alerts (id, fingerprint, alertname, status, severity, labels, \
                 annotations, starts_at, ends_at, generator_url, received_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (fingerprint, starts_at) DO UPDATE SET \
                 alertname = excluded.alertname, status = excluded.status, \
                 severity = excluded.severity, labels = excluded.labels, \
                 annotations = excluded.annotations, ends_at = excluded.ends_at, \
                 generator_url = excluded.generator_url, received_at = excluded.received_at \
                 WHERE alerts.status = 'firing' OR excluded.status = 'resolved'",
                vec![
                    new_id().into(),
                    a.fingerprint.as_str().into(),
                    a.alertname.as_str().into(),
                    a.status.as_str().into(),
                    a.severity.clone().into(),
                    serde_json::to_value(&a.labels)?.into(),
                    serde_json::to_value(&a.annotations)?.into(),
                    a.starts_at.into(),
                    a.ends_at.into(),
                    a.generator_url.clone().into(),
                    now.into(),
                ],
            )
            .execute(&mut *tx)
            .await?;
            written += done.rows_affected();
        }
        tx.commit().await?;
        Ok(written)
    }

    async fn list_alerts(&self, filter: &AlertFilter, page: PageRequest) -> Result<Page<Alert>> {
        let mut args = Args::default();
        let mut conds = Vec::new();
        if let Some(status) = filter.status {
            let p = args.push(status.as_str());
            conds.push(format!("status = {p}"));
        }
        let listing = Listing {
            table: "alerts",
            columns: "*",
            order: "received_at DESC, id DESC",
            conds: &conds,
            filter_first: FilterFirst::Never,
        };
        self.page(listing, args, page, alert_from_row).await
    }

    async fn append_audit(&self, entry: NewAuditEntry) -> Result<()> {
        query(
            "INSERT INTO audit_log (at, actor_id, action, entity_type, entity_id, before, \
             after, ip, request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            vec![
                Utc::now().into(),
                entry.actor_id.into(),
                entry.action.into(),
                entry.entity_type.into(),
                entry.entity_id.into(),
                entry.before.into(),
                entry.after.into(),
                entry.ip.into(),
                entry.request_id.into(),
            ],
        )
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn list_audit(&self, filter: &AuditFilter, page: PageRequest) -> Result<Page<AuditEntry>> {
        let mut args = Args::default();
        let mut conds = Vec::new();
        if let Some(a) = filter.actor_id {
            let p = args.push(a);
            conds.push(format!("actor_id = {p}"));
        }
        if let Some(t) = &filter.entity_type {
            let p = args.push(t.as_str());
            conds.push(format!("entity_type = {p}"));
        }
        if let Some(e) = &filter.entity_id {
            let p = args.push(e.as_str());
            conds.push(format!("entity_id = {p}"));
        }
        if let Some(a) = &filter.action {
            let p = args.push(a.as_str());
            conds.push(format!("action = {p}"));
        }
        if let Some(from) = filter.from {
            let p = args.push(from);
            conds.push(format!("at >= {p}"));
        }
        if let Some(to) = filter.to {
            let p = args.push(to);
            conds.push(format!("at < {p}"));
        }
        let listing = Listing {
            table: "audit_log",
            columns: "*",
            order: "id DESC",
            conds: &conds,
            filter_first: FilterFirst::Never,
        };
        self.page(listing, args, page, audit_from_row).await
    }
}
