// The `ReportStore` implementation shared by both SQL backends, included after
// `store_impl.rs` (it uses the same dialect helpers, plus `json_text`, `json_member` and
// `json_elements` for reading inside the invoice's JSON document).

/// Columns of `reports` a record is read from.
const REPORT_COLUMNS: &str = "id, created_by, workspace_id, title, report_type, parameters, \
    formats, status, error, summary, job_id, created_at, started_at, finished_at";
/// File columns without the bytes.
const REPORT_FILE_COLUMNS: &str = "report_id, format, content_type, filename, size_bytes, sha256";

fn report_from_row(row: &DbRow) -> Result<ReportRecord> {
    let status: String = row.try_get("status")?;
    Ok(ReportRecord {
        id: col_id(row, "id")?,
        created_by: col_id(row, "created_by")?,
        workspace_id: col_opt_id(row, "workspace_id")?,
        title: row.try_get("title")?,
        report_type: row.try_get("report_type")?,
        parameters: col_json(row, "parameters")?,
        formats: serde_json::from_value(col_json(row, "formats")?)?,
        status: status
            .parse()
            .map_err(|_| StoreError::Corrupt(format!("report status {status}")))?,
        error: row.try_get("error")?,
        summary: col_opt_json(row, "summary")?,
        job_id: col_opt_id(row, "job_id")?,
        files: Vec::new(),
        created_at: col_ts(row, "created_at")?,
        started_at: col_opt_ts(row, "started_at")?,
        finished_at: col_opt_ts(row, "finished_at")?,
    })
}

fn report_file_info_from_row(row: &DbRow) -> Result<ReportFileInfo> {
    Ok(ReportFileInfo {
        format: row.try_get("format")?,
        content_type: row.try_get("content_type")?,
        filename: row.try_get("filename")?,
        size_bytes: u64::try_from(row.try_get::<i64, _>("size_bytes")?).unwrap_or(0),
        sha256: row.try_get("sha256")?,
    })
}

fn report_template_from_row(row: &DbRow) -> Result<ReportTemplate> {
    Ok(ReportTemplate {
        id: col_id(row, "id")?,
        created_by: col_id(row, "created_by")?,
        name: row.try_get("name")?,
        report_type: row.try_get("report_type")?,
        parameters: col_json(row, "parameters")?,
        formats: serde_json::from_value(col_json(row, "formats")?)?,
        created_at: col_ts(row, "created_at")?,
    })
}

/// The condition limiting `created_by` to what `owner` sees.
fn report_owner_cond(owner: ReportOwner, conds: &mut Vec<String>, args: &mut Args) {
    if let ReportOwner::User(user) = owner {
        let p = args.push(user);
        conds.push(format!("created_by = {p}"));
    }
}

/// A decimal kept as text inside the JSON document.
fn col_json_dec(row: &DbRow, col: &str) -> Result<Option<Decimal>> {
    let text: Option<String> = row.try_get(col)?;
    text.filter(|t| !t.trim().is_empty())
        .map(|t| {
            t.trim()
                .parse::<Decimal>()
                .map_err(|e| StoreError::Corrupt(format!("{col}: {t}: {e}")))
        })
        .transpose()
}

/// The conditions of a report's invoices (aliased `i`): live, in `scope`, matching `filter`.
fn report_where(scope: Scope, filter: &ReportFilter) -> (String, Args) {
    let mut args = Args::default();
    let mut conds = vec!["i.deleted_at IS NULL".to_string()];
    scope_cond(scope, "i.workspace_id", &mut conds, &mut args);
    if let Some(from) = filter.range.from {
        let p = args.push(from);
        conds.push(format!("i.issue_date >= {p}"));
    }
    if let Some(to) = filter.range.to {
        let p = args.push(to);
        conds.push(format!("i.issue_date <= {p}"));
    }
    if let Some(currency) = &filter.currency {
        let p = args.push(currency.as_str());
        conds.push(format!("i.currency = {p}"));
    }
    if !filter.companies.is_empty() {
        let ps: Vec<String> = filter.companies.iter().map(|c| args.push(*c)).collect();
        let list = ps.join(", ");
        conds.push(format!(
            "(i.vendor_id IN ({list}) OR i.customer_id IN ({list}))"
        ));
    }
    (where_clause(&conds), args)
}

impl ThisStore {
    /// Fills in the files of `reports`.
    async fn with_report_files(&self, mut reports: Vec<ReportRecord>) -> Result<Vec<ReportRecord>> {
        if reports.is_empty() {
            return Ok(reports);
        }
        let mut args = Args::default();
        let ps: Vec<String> = reports.iter().map(|r| args.push(r.id)).collect();
        let rows = query(
            &format!(
                "SELECT {REPORT_FILE_COLUMNS} FROM report_files WHERE report_id IN ({}) \
                 ORDER BY format",
                ps.join(", ")
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let id = col_id(row, "report_id")?;
            let info = report_file_info_from_row(row)?;
            if let Some(r) = reports.iter_mut().find(|r| r.id == id) {
                r.files.push(info);
            }
        }
        Ok(reports)
    }

    /// Deletes row `id` of `table` (a report or a template) if `owner` may; `NotFound`
    /// otherwise, as if it did not exist.
    async fn delete_owned(&self, table: &str, id: Uuid, owner: ReportOwner) -> Result<()> {
        let mut args = Args::default();
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}")];
        report_owner_cond(owner, &mut conds, &mut args);
        let done = query(
            &format!("DELETE FROM {table}{}", where_clause(&conds)),
            args.args,
        )
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}

#[async_trait]
impl ReportStore for ThisStore {
    async fn create_report(&self, new: NewReport) -> Result<ReportRecord> {
        let now = Utc::now();
        let row = query(
            &format!(
                "INSERT INTO reports (id, created_by, workspace_id, title, report_type, \
                 parameters, formats, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', $8, $8) RETURNING {REPORT_COLUMNS}"
            ),
            vec![
                new_id().into(),
                new.created_by.into(),
                new.workspace_id.into(),
                new.title.into(),
                new.report_type.into(),
                new.parameters.into(),
                serde_json::json!(new.formats).into(),
                now.into(),
            ],
        )
        .fetch_one(&self.pool)
        .await?;
        report_from_row(&row)
    }

    async fn get_report(&self, id: Uuid, owner: ReportOwner) -> Result<ReportRecord> {
        let mut args = Args::default();
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}")];
        report_owner_cond(owner, &mut conds, &mut args);
        let row = query(
            &format!(
                "SELECT {REPORT_COLUMNS} FROM reports{}",
                where_clause(&conds)
            ),
            args.args,
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        let report = report_from_row(&row)?;
        self.with_report_files(vec![report])
            .await?
            .pop()
            .ok_or(StoreError::NotFound)
    }

    async fn list_reports(
        &self,
        owner: ReportOwner,
        page: PageRequest,
    ) -> Result<Page<ReportRecord>> {
        let mut args = Args::default();
        let mut conds = Vec::new();
        report_owner_cond(owner, &mut conds, &mut args);
        let listing = Listing {
            table: "reports",
            columns: REPORT_COLUMNS,
            order: "created_at DESC, id DESC",
            conds: &conds,
            filter_first: FilterFirst::Never,
        };
        let mut found = self.page(listing, args, page, report_from_row).await?;
        found.items = self.with_report_files(found.items).await?;
        Ok(found)
    }

    async fn update_report(&self, id: Uuid, update: ReportUpdate) -> Result<ReportRecord> {
        let now = Utc::now();
        let mut args = Args::default();
        let t = args.push(now);
        let mut sets = vec![format!("updated_at = {t}")];
        if let Some(status) = update.status {
            let p = args.push(status.as_str());
            sets.push(format!("status = {p}"));
            if status == JobStatus::Running {
                sets.push(format!("started_at = coalesce(started_at, {t})"));
            }
            if status.is_terminal() {
                sets.push(format!("finished_at = {t}"));
            }
        }
        if let Some(error) = update.error {
            let p = args.push(error);
            sets.push(format!("error = {p}"));
        }
        if let Some(summary) = update.summary {
            let p = args.push(summary);
            sets.push(format!("summary = {p}"));
        }
        if let Some(job) = update.job_id {
            let p = args.push(job);
            sets.push(format!("job_id = {p}"));
        }
        let i = args.push(id);
        let row = query(
            &format!(
                "UPDATE reports SET {} WHERE id = {i} AND status NOT IN \
                 ('succeeded', 'failed', 'cancelled') RETURNING {REPORT_COLUMNS}",
                sets.join(", ")
            ),
            args.args,
        )
        .fetch_optional(&self.pool)
        .await?;
        match row {
            Some(row) => {
                let report = report_from_row(&row)?;
                self.with_report_files(vec![report])
                    .await?
                    .pop()
                    .ok_or(StoreError::NotFound)
            }
            None => {
                // Missing, or already finished.
                let existing = self.get_report(id, ReportOwner::All).await?;
                Err(StoreError::InvalidState(format!(
                    "report {id} is already {}",
                    existing.status
                )))
            }
        }
    }

    async fn save_report_files(&self, id: Uuid, files: Vec<ReportFile>) -> Result<()> {
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        query("DELETE FROM report_files WHERE report_id = $1", vec![id.into()])
            .execute(&mut *tx)
            .await?;
        let now = Utc::now();
        for f in files {
            query(
                "INSERT INTO report_files (report_id, format, content_type, filename, \
                 size_bytes, sha256, content, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                vec![
                    id.into(),
                    f.info.format.into(),
                    f.info.content_type.into(),
                    f.info.filename.into(),
                    i64::try_from(f.content.len()).unwrap_or(i64::MAX).into(),
                    f.info.sha256.into(),
                    f.content.into(),
                    now.into(),
                ],
            )
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn get_report_file(
        &self,
        id: Uuid,
        owner: ReportOwner,
        format: &str,
    ) -> Result<ReportFile> {
        // Checks that the report is the owner's first.
        self.get_report(id, owner).await?;
        let row = query(
            &format!(
                "SELECT {REPORT_FILE_COLUMNS}, content FROM report_files \
                 WHERE report_id = $1 AND format = $2"
            ),
            vec![id.into(), format.into()],
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        Ok(ReportFile {
            info: report_file_info_from_row(&row)?,
            content: row.try_get("content")?,
        })
    }

    async fn delete_report(&self, id: Uuid, owner: ReportOwner) -> Result<()> {
        self.delete_owned("reports", id, owner).await
    }

    async fn delete_reports_before(&self, before: DateTime<Utc>) -> Result<u64> {
        let done = query(
            "DELETE FROM reports WHERE created_at < $1 AND status IN \
             ('succeeded', 'failed', 'cancelled')",
            vec![before.into()],
        )
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected())
    }

    async fn create_report_template(&self, new: NewReportTemplate) -> Result<ReportTemplate> {
        let row = query(
            "INSERT INTO report_templates (id, created_by, name, report_type, parameters, \
             formats, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *",
            vec![
                new_id().into(),
                new.created_by.into(),
                new.name.into(),
                new.report_type.into(),
                new.parameters.into(),
                serde_json::json!(new.formats).into(),
                Utc::now().into(),
            ],
        )
        .fetch_one(&self.pool)
        .await?;
        report_template_from_row(&row)
    }

    async fn list_report_templates(
        &self,
        owner: ReportOwner,
        page: PageRequest,
    ) -> Result<Page<ReportTemplate>> {
        let mut args = Args::default();
        let mut conds = Vec::new();
        report_owner_cond(owner, &mut conds, &mut args);
        let listing = Listing {
            table: "report_templates",
            columns: "*",
            order: "created_at DESC, id DESC",
            conds: &conds,
            filter_first: FilterFirst::Never,
        };
        self.page(listing, args, page, report_template_from_row)
            .await
    }

    async fn get_report_template(&self, id: Uuid, owner: ReportOwner) -> Result<ReportTemplate> {
        let mut args = Args::default();
        let p = args.push(id);
        let mut conds = vec![format!("id = {p}")];
        report_owner_cond(owner, &mut conds, &mut args);
        let row = query(
            &format!("SELECT * FROM report_templates{}", where_clause(&conds)),
            args.args,
        )
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)?;
        report_template_from_row(&row)
    }

    async fn delete_report_template(&self, id: Uuid, owner: ReportOwner) -> Result<()> {
        self.delete_owned("report_templates", id, owner).await
    }

    async fn report_invoices(
        &self,
        scope: Scope,
        filter: &ReportFilter,
    ) -> Result<Vec<ReportInvoice>> {
        let (wh, args) = report_where(scope, filter);
        // One read of the document's small `legacy` object per row, parsed here, rather than
        // three path lookups that would each read the whole document.
        let legacy = if filter.legacy_fields {
            json_member("i.data", "legacy")
        } else {
            "NULL".to_string()
        };
        let rows = query(
            &format!(
                "SELECT i.id, i.status, i.document_type, i.invoice_number, \
                 CAST(i.issue_date AS TEXT) AS issue_date, CAST(i.due_date AS TEXT) AS due_date, \
                 i.currency, i.seller_name, i.buyer_name, i.net_amount, i.tax_amount, \
                 i.gross_amount, i.payable_amount, i.confidence, {legacy} AS legacy \
                 FROM invoices i{wh} ORDER BY i.issue_date, i.id"
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let legacy = col_opt_json(row, "legacy")?;
                let field = |name: &str| {
                    legacy
                        .as_ref()
                        .and_then(|l| l.get(name)?.get("value")?.as_str())
                        .map(str::to_string)
                };
                Ok(ReportInvoice {
                    id: col_id(row, "id")?,
                    status: invoice_status(row)?,
                    document_type: row.try_get("document_type")?,
                    invoice_number: row.try_get("invoice_number")?,
                    issue_date: col_text_date(row, "issue_date")?,
                    due_date: col_text_date(row, "due_date")?,
                    currency: row.try_get("currency")?,
                    seller_name: row.try_get("seller_name")?,
                    buyer_name: row.try_get("buyer_name")?,
                    net: col_opt_dec(row, "net_amount")?,
                    tax: col_opt_dec(row, "tax_amount")?,
                    gross: col_opt_dec(row, "gross_amount")?,
                    payable: col_opt_dec(row, "payable_amount")?,
                    payment_status: field("payment_status"),
                    territory: field("territory"),
                    salesperson: field("salesperson"),
                    confidence: row.try_get("confidence")?,
                })
            })
            .collect()
    }

    async fn report_products(
        &self,
        scope: Scope,
        filter: &ReportFilter,
    ) -> Result<Vec<ReportProduct>> {
        let (wh, args) = report_where(scope, filter);
        let (quantity, net) = (sum_dec("l.quantity"), sum_dec("l.line_amount"));
        let key = "lower(trim(l.description))";
        let rows = query(
            &format!(
                "SELECT i.currency AS currency, {key} AS product, COUNT(*) AS lines, \
                 {quantity} AS quantity, {net} AS net \
                 FROM invoice_lines l JOIN invoices i ON i.id = l.invoice_id{wh} \
                 AND i.status <> 'rejected' AND l.description IS NOT NULL \
                 AND trim(l.description) <> '' GROUP BY i.currency, {key} ORDER BY 1, 2"
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ReportProduct {
                    currency: row.try_get("currency")?,
                    product: row.try_get("product")?,
                    lines: col_count(row, "lines")?,
                    quantity: col_sum_dec(row, "quantity")?,
                    net: col_sum_dec(row, "net")?,
                })
            })
            .collect()
    }

    async fn report_vat_rows(
        &self,
        scope: Scope,
        filter: &ReportFilter,
    ) -> Result<Vec<ReportVatRow>> {
        let (wh, args) = report_where(scope, filter);
        let (join, elem) = json_elements("i.data", "vat_breakdown", "b");
        let category = json_text(&elem, &["category", "value"]);
        let rate = json_text(&elem, &["rate", "value"]);
        let taxable = json_text(&elem, &["taxable_amount", "value"]);
        let tax = json_text(&elem, &["tax_amount", "value"]);
        let rows = query(
            &format!(
                "SELECT i.id, i.status, CAST(i.issue_date AS TEXT) AS issue_date, i.currency, \
                 {category} AS category, {rate} AS rate, {taxable} AS taxable, {tax} AS tax \
                 FROM invoices i{join}{wh} ORDER BY i.issue_date, i.id"
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ReportVatRow {
                    invoice_id: col_id(row, "id")?,
                    status: invoice_status(row)?,
                    issue_date: col_text_date(row, "issue_date")?,
                    currency: row.try_get("currency")?,
                    category: row.try_get("category")?,
                    rate: col_json_dec(row, "rate")?,
                    taxable: col_json_dec(row, "taxable")?,
                    tax: col_json_dec(row, "tax")?,
                })
            })
            .collect()
    }
}
