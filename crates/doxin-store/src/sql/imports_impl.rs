// The `ImportStore` implementation shared by both SQL backends, included after
// `store_impl.rs`. Each upsert reads the stored hashes of the keys it was given (one query per
// batch), then writes only what is new or changed, all in one transaction.

/// `(k1, k2, ...)` placeholders for `keys`.
fn in_list(args: &mut Args, keys: impl IntoIterator<Item = String>) -> String {
    let ps: Vec<String> = keys.into_iter().map(|k| args.push(k)).collect();
    format!("({})", ps.join(", "))
}

/// What to do with a keyed row given the hash stored for its key.
fn upsert_action(stored: Option<&str>, hash: &str) -> Option<bool> {
    match stored {
        None => Some(true),
        Some(h) if h != hash => Some(false),
        Some(_) => None,
    }
}

#[async_trait]
impl ImportStore for ThisStore {
    async fn upsert_reference(
        &self,
        workspace: Uuid,
        rows: &[ReferenceRow],
    ) -> Result<UpsertCounts> {
        let mut counts = UpsertCounts::default();
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        for kind in ReferenceKind::ALL {
            let of_kind: Vec<&ReferenceRow> = rows.iter().filter(|r| r.kind == kind).collect();
            for chunk in of_kind.chunks(500) {
                let mut args = Args::default();
                let w = args.push(workspace);
                let k = args.push(kind.as_str());
                let list = in_list(&mut args, chunk.iter().map(|r| r.external_id.clone()));
                let stored: HashMap<String, String> = query(
                    &format!(
                        "SELECT external_id, content_hash FROM reference_data \
                         WHERE workspace_id = {w} AND kind = {k} AND external_id IN {list}"
                    ),
                    args.args,
                )
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|row| Ok((row.try_get("external_id")?, row.try_get("content_hash")?)))
                .collect::<Result<_>>()?;
                for r in chunk {
                    let Some(create) =
                        upsert_action(stored.get(&r.external_id).map(String::as_str), &r.content_hash)
                    else {
                        counts.unchanged += 1;
                        continue;
                    };
                    let now = Utc::now();
                    let sql = if create {
                        counts.created += 1;
                        "INSERT INTO reference_data (workspace_id, kind, external_id, name, \
                         parent_id, unit_cost, list_price, currency, attributes, content_hash, \
                         created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)"
                    } else {
                        counts.updated += 1;
                        "UPDATE reference_data SET name = $4, parent_id = $5, unit_cost = $6, \
                         list_price = $7, currency = $8, attributes = $9, content_hash = $10, \
                         updated_at = $11 \
                         WHERE workspace_id = $1 AND kind = $2 AND external_id = $3"
                    };
                    query(
                        sql,
                        vec![
                            workspace.into(),
                            kind.as_str().into(),
                            r.external_id.clone().into(),
                            r.name.clone().into(),
                            r.parent_id.clone().into(),
                            r.unit_cost.into(),
                            r.list_price.into(),
                            r.currency.clone().into(),
                            r.attributes.clone().into(),
                            r.content_hash.clone().into(),
                            now.into(),
                        ],
                    )
                    .execute(&mut *tx)
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(counts)
    }

    async fn upsert_imported_companies(
        &self,
        workspace: Uuid,
        rows: &[ImportedCompany],
    ) -> Result<(UpsertCounts, HashMap<String, Uuid>)> {
        let mut counts = UpsertCounts::default();
        let mut ids = HashMap::with_capacity(rows.len());
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        for chunk in rows.chunks(500) {
            let mut args = Args::default();
            let w = args.push(workspace);
            let list = in_list(&mut args, chunk.iter().map(|r| r.external_ref.clone()));
            let mut stored: HashMap<(String, String), (Uuid, Option<String>)> = HashMap::new();
            for row in query(
                &format!(
                    "SELECT id, kind, external_ref, import_hash FROM companies \
                     WHERE workspace_id = {w} AND external_ref IN {list}"
                ),
                args.args,
            )
            .fetch_all(&mut *tx)
            .await?
            {
                stored.insert(
                    (row.try_get("kind")?, row.try_get("external_ref")?),
                    (col_id(&row, "id")?, row.try_get("import_hash")?),
                );
            }
            for r in chunk {
                let vat_id = r
                    .vat_id
                    .as_deref()
                    .map(|v| {
                        v.chars()
                            .filter(|c| c.is_alphanumeric())
                            .collect::<String>()
                            .to_uppercase()
                    })
                    .filter(|v| !v.is_empty());
                let key = (r.kind.as_str().to_string(), r.external_ref.clone());
                let now = Utc::now();
                let mut existing = stored.get(&key).map(|(id, h)| (*id, h.clone()));
                if existing.is_none()
                    && let Some(vat) = &vat_id
                {
                    // A company the workspace already knows by its VAT id (from a processed
                    // invoice) becomes the imported one rather than a conflicting twin.
                    let found = query(
                        "SELECT id FROM companies WHERE workspace_id = $1 AND kind = $2 \
                         AND vat_id = $3",
                        vec![workspace.into(), r.kind.as_str().into(), vat.clone().into()],
                    )
                    .fetch_optional(&mut *tx)
                    .await?;
                    if let Some(row) = found {
                        existing = Some((col_id(&row, "id")?, None));
                    }
                }
                let id = match existing {
                    Some((id, hash)) if hash.as_deref() == Some(r.content_hash.as_str()) => {
                        counts.unchanged += 1;
                        id
                    }
                    Some((id, _)) => {
                        counts.updated += 1;
                        query(
                            "UPDATE companies SET name = $2, normalized_name = $3, vat_id = $4, \
                             country = $5, address = $6, external_ref = $7, import_hash = $8, \
                             updated_at = $9 WHERE id = $1",
                            vec![
                                id.into(),
                                r.name.clone().into(),
                                normalize_company_name(&r.name).into(),
                                vat_id.into(),
                                r.country.clone().into(),
                                r.address.clone().into(),
                                r.external_ref.clone().into(),
                                r.content_hash.clone().into(),
                                now.into(),
                            ],
                        )
                        .execute(&mut *tx)
                        .await?;
                        id
                    }
                    None => {
                        counts.created += 1;
                        let id = new_id();
                        query(
                            "INSERT INTO companies (id, workspace_id, kind, name, \
                             normalized_name, vat_id, country, address, external_ref, \
                             import_hash, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)",
                            vec![
                                id.into(),
                                workspace.into(),
                                r.kind.as_str().into(),
                                r.name.clone().into(),
                                normalize_company_name(&r.name).into(),
                                vat_id.into(),
                                r.country.clone().into(),
                                r.address.clone().into(),
                                r.external_ref.clone().into(),
                                r.content_hash.clone().into(),
                                now.into(),
                            ],
                        )
                        .execute(&mut *tx)
                        .await?;
                        id
                    }
                };
                ids.insert(r.external_ref.clone(), id);
            }
        }
        tx.commit().await?;
        Ok((counts, ids))
    }

    async fn upsert_imported_invoices(
        &self,
        workspace: Uuid,
        rows: Vec<ImportedInvoice>,
    ) -> Result<UpsertCounts> {
        let mut counts = UpsertCounts::default();
        if rows.is_empty() {
            return Ok(counts);
        }
        if rows.iter().any(|r| r.new.workspace_id != Some(workspace)) {
            return Err(StoreError::InvalidInput(
                "an imported invoice belongs to another workspace".into(),
            ));
        }
        let mut tx = self.pool.begin_with(BEGIN_WRITE).await?;
        for chunk in rows.chunks(500) {
            let mut args = Args::default();
            let w = args.push(workspace);
            let list = in_list(&mut args, chunk.iter().map(|r| r.key.clone()));
            let mut stored: HashMap<String, (Uuid, Option<String>)> = HashMap::new();
            for row in query(
                &format!(
                    "SELECT id, import_key, import_hash FROM invoices WHERE workspace_id = {w} \
                     AND deleted_at IS NULL AND import_key IN {list}"
                ),
                args.args,
            )
            .fetch_all(&mut *tx)
            .await?
            {
                stored.insert(
                    row.try_get("import_key")?,
                    (col_id(&row, "id")?, row.try_get("import_hash")?),
                );
            }
            for r in chunk {
                match stored.get(&r.key) {
                    Some((_, Some(h))) if *h == r.content_hash => counts.unchanged += 1,
                    Some((id, _)) => {
                        counts.updated += 1;
                        let c = InvoiceColumns::of(&r.new.invoice);
                        query(
                            &format!(
                                "UPDATE invoices SET status = $2, confidence = $3, \
                                 vendor_id = $4, customer_id = $5, {INVOICE_COLUMNS_SET}, \
                                 data = $18, findings = $19, updated_at = $20, \
                                 import_hash = $21, embedding = NULL, embedding_model = NULL \
                                 WHERE id = $1"
                            ),
                            [
                                (*id).into(),
                                r.new.status.as_str().into(),
                                r.new.confidence.into(),
                                r.new.vendor_id.into(),
                                r.new.customer_id.into(),
                            ]
                            .into_iter()
                            .chain(invoice_column_args(c))
                            .chain([
                                serde_json::to_value(&r.new.invoice)?.into(),
                                serde_json::to_value(&r.new.findings)?.into(),
                                Utc::now().into(),
                                r.content_hash.clone().into(),
                            ])
                            .collect(),
                        )
                        .execute(&mut *tx)
                        .await?;
                        Self::write_lines(&mut tx, *id, &r.new.invoice).await?;
                    }
                    None => {
                        counts.created += 1;
                        Self::insert_invoice_row(
                            &mut tx,
                            &r.new,
                            Some((r.key.as_str(), r.content_hash.as_str())),
                        )
                        .await?;
                    }
                }
            }
        }
        tx.commit().await?;
        Ok(counts)
    }

    async fn count_reference(&self, workspace: Uuid) -> Result<Vec<(ReferenceKind, u64)>> {
        let rows = query(
            "SELECT kind, COUNT(*) AS n FROM reference_data WHERE workspace_id = $1 \
             GROUP BY kind",
            vec![workspace.into()],
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in rows {
            let kind: String = row.try_get("kind")?;
            let kind = ReferenceKind::ALL
                .into_iter()
                .find(|k| k.as_str() == kind)
                .ok_or_else(|| StoreError::Corrupt(format!("reference kind {kind}")))?;
            out.push((kind, col_count(&row, "n")?));
        }
        out.sort();
        Ok(out)
    }

    async fn product_costs(&self, scope: Scope) -> Result<Vec<ProductCost>> {
        let mut args = Args::default();
        let mut conds = vec![
            "kind = 'product'".to_string(),
            "unit_cost IS NOT NULL".to_string(),
            "currency IS NOT NULL".to_string(),
        ];
        scope_cond(scope, "workspace_id", &mut conds, &mut args);
        let rows = query(
            &format!(
                "SELECT name, currency, unit_cost FROM reference_data{} \
                 ORDER BY name, currency",
                where_clause(&conds)
            ),
            args.args,
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(ProductCost {
                    product: row.try_get("name")?,
                    currency: row.try_get("currency")?,
                    unit_cost: col_opt_dec(row, "unit_cost")?
                        .ok_or_else(|| StoreError::Corrupt("product without cost".into()))?,
                })
            })
            .collect()
    }
}
