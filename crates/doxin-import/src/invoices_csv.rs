//! Invoices from a CSV file whose header row names canonical fields: one row per invoice, or
//! one row per line with the invoice's fields repeated (or left empty) on its other rows.
//! Rows of one invoice are those with the same seller (VAT id, else name) and invoice number,
//! wherever they stand in the file.
//!
//! The invoices are the workspace's, with the seller as its vendor and the buyer as its
//! customer (found or created as processing finds them), validated like every other invoice:
//! an invoice whose figures do not add up is imported for review, not rejected.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use chrono::NaiveDate;
use doxin_model::{DocumentType, Extracted, Invoice, InvoiceLine, Party, VatBreakdown};
use doxin_store::{CompanyKind, NewCompany, Store, normalize_company_name};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use crate::cells::{parse_date, parse_decimal};
use crate::{ImportError, ImportSummary, Progress};

/// The sheet name rejections carry.
const SHEET: &str = "csv";

/// The columns a file may have; `*` marks those every invoice needs on its first row.
pub const COLUMNS: &[(&str, bool)] = &[
    ("invoice_number", true),
    ("issue_date", true),
    ("due_date", false),
    ("currency", true),
    ("document_type", false),
    ("seller_name", true),
    ("seller_vat_id", false),
    ("seller_country", false),
    ("buyer_name", false),
    ("buyer_vat_id", false),
    ("buyer_country", false),
    ("purchase_order_ref", false),
    ("payment_terms", false),
    ("payment_reference", false),
    ("net_amount", false),
    ("tax_amount", false),
    ("gross_amount", true),
    ("payable_amount", false),
    ("line_description", false),
    ("line_quantity", false),
    ("line_unit_code", false),
    ("line_unit_price", false),
    ("line_amount", false),
    ("line_vat_rate", false),
];

/// The first invoice-level column that is not a line's.
const INVOICE_COLUMNS: usize = 18;

#[derive(Debug, Clone)]
pub struct CsvOptions {
    pub workspace: Uuid,
    pub owner: Uuid,
}

struct Draft {
    first_row: u64,
    /// Invoice-level values as first given (column index → text).
    fields: Vec<Option<String>>,
    lines: Vec<InvoiceLine>,
    broken: Option<String>,
}

/// Imports the CSV file at `path`.
pub async fn import(
    path: &Path,
    opts: &CsvOptions,
    store: &dyn Store,
    progress: Progress<'_>,
) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let read_err = |e: csv::Error| ImportError::Read {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .map_err(read_err)?;
    let headers = reader.headers().map_err(read_err)?.clone();
    let mut map = Vec::with_capacity(headers.len());
    let mut unknown = Vec::new();
    for h in &headers {
        let name = h.trim().trim_start_matches('\u{feff}').to_lowercase();
        match COLUMNS.iter().position(|(c, _)| *c == name) {
            Some(i) if map.contains(&Some(i)) => {
                return Err(ImportError::Invalid(format!(
                    "the column {name} appears twice"
                )));
            }
            Some(i) => map.push(Some(i)),
            None if name.is_empty() => map.push(None),
            None => unknown.push(h.to_string()),
        }
    }
    if !unknown.is_empty() {
        return Err(ImportError::UnknownColumns {
            unknown: unknown.join(", "),
            known: COLUMNS
                .iter()
                .map(|(c, _)| *c)
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let missing: Vec<&str> = COLUMNS
        .iter()
        .enumerate()
        .filter(|(i, (_, required))| *required && !map.contains(&Some(*i)))
        .map(|(_, (c, _))| *c)
        .collect();
    if !missing.is_empty() {
        return Err(ImportError::MissingColumns {
            sheet: path.display().to_string(),
            missing: missing.join(", "),
        });
    }

    let mut summary = ImportSummary::default();
    let mut drafts: Vec<Draft> = Vec::new();
    let mut by_key: HashMap<(String, String), usize> = HashMap::new();
    let mut rows = 0u64;
    for record in reader.records() {
        let record = record.map_err(read_err)?;
        // The header is row 1; a record's own line number counts quoted line breaks.
        let row = record.position().map_or(rows + 2, |p| p.line());
        rows += 1;
        if rows.is_multiple_of(10_000) {
            progress("rows", rows, None);
        }
        if record.iter().all(|v| v.is_empty()) {
            continue;
        }
        let mut values: Vec<Option<String>> = vec![None; COLUMNS.len()];
        for (i, v) in record.iter().enumerate() {
            if let Some(Some(c)) = map.get(i)
                && !v.is_empty()
            {
                values[*c] = Some(v.to_string());
            }
        }
        let Some(number) = values[0].clone() else {
            summary.reject(SHEET, row, "invoice_number is missing");
            continue;
        };
        let seller = values[6]
            .clone()
            .or_else(|| values[5].as_deref().map(normalize_company_name));
        let Some(seller) = seller else {
            summary.reject(SHEET, row, "seller_name is missing");
            continue;
        };
        let key = (seller, number.clone());
        let line = match parse_line(&values) {
            Ok(line) => line,
            Err(reason) => {
                if let Some(i) = by_key.get(&key) {
                    drafts[*i].broken.get_or_insert(format!(
                        "left out because its line in row {row} was rejected"
                    ));
                }
                summary.reject(SHEET, row, reason);
                continue;
            }
        };
        match by_key.get(&key) {
            Some(&i) => {
                let d = &mut drafts[i];
                // Invoice-level values on later rows must repeat the first row's, or be empty.
                let conflict = (0..INVOICE_COLUMNS)
                    .find(|c| matches!((&d.fields[*c], &values[*c]), (Some(a), Some(b)) if a != b));
                if let Some(c) = conflict {
                    let reason = format!(
                        "{} {:?} differs from {:?} on row {} of invoice {number}",
                        COLUMNS[c].0,
                        values[c].as_deref().unwrap_or_default(),
                        d.fields[c].as_deref().unwrap_or_default(),
                        d.first_row
                    );
                    d.broken
                        .get_or_insert(format!("left out because its row {row} was rejected"));
                    summary.reject(SHEET, row, reason);
                    continue;
                }
                d.lines.extend(line);
            }
            None => {
                if let Some(c) =
                    (0..INVOICE_COLUMNS).find(|c| COLUMNS[*c].1 && values[*c].is_none())
                {
                    summary.reject(SHEET, row, format!("{} is missing", COLUMNS[c].0));
                    continue;
                }
                by_key.insert(key, drafts.len());
                drafts.push(Draft {
                    first_row: row,
                    fields: values[..INVOICE_COLUMNS].to_vec(),
                    lines: line.into_iter().collect(),
                    broken: None,
                });
            }
        }
    }
    summary.rows_read.insert(SHEET.to_string(), rows);

    let mut companies: HashMap<(&'static str, String), Uuid> = HashMap::new();
    let mut writer = crate::writer::InvoiceWriter::new(
        store,
        opts.workspace,
        opts.owner,
        progress,
        drafts.len() as u64,
    );
    for d in drafts {
        if let Some(reason) = d.broken {
            summary.reject(SHEET, d.first_row, reason);
            continue;
        }
        let invoice = match draft_invoice(&d) {
            Ok(invoice) => invoice,
            Err(reason) => {
                summary.reject(SHEET, d.first_row, reason);
                continue;
            }
        };
        let mut company =
            async |kind: CompanyKind, party: &Party| -> Result<Option<Uuid>, ImportError> {
                let Some(name) = party.name.as_ref().map(|n| n.value.clone()) else {
                    return Ok(None);
                };
                let vat_id = party.vat_id.as_ref().map(|v| v.value.clone());
                let key = (
                    kind.as_str(),
                    vat_id
                        .clone()
                        .unwrap_or_else(|| normalize_company_name(&name)),
                );
                if let Some(id) = companies.get(&key) {
                    return Ok(Some(*id));
                }
                let c = store
                    .upsert_company(NewCompany {
                        workspace_id: Some(opts.workspace),
                        kind,
                        name,
                        vat_id,
                        tax_number: None,
                        country: party.address.country.as_ref().map(|c| c.value.clone()),
                        address: json!({}),
                    })
                    .await?;
                companies.insert(key, c.id);
                Ok(Some(c.id))
            };
        let vendor_id = company(CompanyKind::Vendor, &invoice.seller).await?;
        let customer_id = company(CompanyKind::Customer, &invoice.buyer).await?;
        let seller_key = d.fields[6]
            .clone()
            .or_else(|| d.fields[5].as_deref().map(normalize_company_name))
            .unwrap_or_default();
        let number = d.fields[0].clone().unwrap_or_default();
        writer
            .push(
                format!("csv:{seller_key}:{number}"),
                invoice,
                vendor_id,
                customer_id,
            )
            .await?;
    }
    let (counts, lines) = writer.finish().await?;
    summary.lines += lines;
    summary.add("invoice", counts);
    summary.rejections.sort_by_key(|r| r.row);
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn dec(values: &[Option<String>], i: usize) -> Result<Option<Decimal>, String> {
    match values[i].as_deref() {
        None => Ok(None),
        Some(v) => parse_decimal(v)
            .map(Some)
            .ok_or_else(|| format!("{} {v:?} is not a number", COLUMNS[i].0)),
    }
}

fn date(values: &[Option<String>], i: usize) -> Result<Option<NaiveDate>, String> {
    match values[i].as_deref() {
        None => Ok(None),
        Some(v) => parse_date(v)
            .map(Some)
            .ok_or_else(|| format!("{} {v:?} is not a date (use YYYY-MM-DD)", COLUMNS[i].0)),
    }
}

/// The row's line, when it has one (any `line_` column filled).
fn parse_line(values: &[Option<String>]) -> Result<Option<InvoiceLine>, String> {
    if values[INVOICE_COLUMNS..].iter().all(Option::is_none) {
        return Ok(None);
    }
    let d = |v: Option<Decimal>| v.map(Extracted::human);
    let quantity = dec(values, 19)?;
    if let Some(q) = quantity
        && q.is_zero()
    {
        return Err("line_quantity must not be zero".into());
    }
    let unit_price = dec(values, 21)?;
    if let Some(p) = unit_price
        && p.is_sign_negative()
    {
        return Err(format!("line_unit_price must not be negative, not {p}"));
    }
    let amount = match (dec(values, 22)?, quantity, unit_price) {
        (Some(a), _, _) => a,
        (None, Some(q), Some(p)) => (q * p).round_dp(2),
        _ => {
            return Err("a line needs line_amount, or line_quantity and line_unit_price".into());
        }
    };
    let rate = dec(values, 23)?;
    if let Some(r) = rate
        && (r.is_sign_negative() || r > Decimal::ONE_HUNDRED)
    {
        return Err(format!(
            "line_vat_rate is a percentage from 0 to 100, not {r}"
        ));
    }
    Ok(Some(InvoiceLine {
        description: values[18].clone().map(Extracted::human),
        quantity: d(quantity),
        unit_code: values[20].clone().map(Extracted::human),
        unit_price: d(unit_price),
        line_amount: Some(Extracted::human(amount)),
        vat_rate: d(rate),
        ..InvoiceLine::default()
    }))
}

fn draft_invoice(d: &Draft) -> Result<Invoice, String> {
    let f = &d.fields;
    let t = |i: usize| f[i].clone().map(Extracted::human);
    let currency = f[3].clone().unwrap_or_default().to_ascii_uppercase();
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(format!("currency {currency:?} is not an ISO 4217 code"));
    }
    let document_type = match f[4].as_deref().map(str::to_lowercase).as_deref() {
        None | Some("invoice") | Some("380") => DocumentType::Invoice,
        Some("credit_note") | Some("credit note") | Some("381") => DocumentType::CreditNote,
        Some(other) => {
            return Err(format!(
                "document_type {other:?} is neither invoice nor credit_note"
            ));
        }
    };
    let issue_date = date(f, 1)?.ok_or("issue_date is missing")?;
    let due_date = date(f, 2)?;
    let gross = dec(f, 16)?.ok_or("gross_amount is missing")?;
    let line_sum: Option<Decimal> = (!d.lines.is_empty()).then(|| {
        d.lines
            .iter()
            .filter_map(|l| l.line_amount.as_ref().map(|a| a.value))
            .sum()
    });
    let net = dec(f, 14)?.or(line_sum);
    let tax = dec(f, 15)?.or(net.map(|n| gross - n));
    let payable = dec(f, 17)?.unwrap_or(gross);
    let party = |name: usize, vat: usize, country: usize| {
        let mut p = Party {
            name: t(name),
            vat_id: t(vat),
            ..Party::default()
        };
        p.address.country = f[country]
            .clone()
            .map(|c| Extracted::human(c.to_ascii_uppercase()));
        p
    };
    let mut invoice = Invoice {
        document_type,
        invoice_number: t(0),
        issue_date: Some(Extracted::human(issue_date)),
        due_date: due_date.map(Extracted::human),
        currency: Some(Extracted::human(currency)),
        seller: party(5, 6, 7),
        buyer: party(8, 9, 10),
        purchase_order_ref: t(11),
        payment_terms: t(12),
        payment_reference: t(13),
        lines: d.lines.clone(),
        ..Invoice::default()
    };
    // VAT per rate when every line names one: the bases from the lines, the tax split in
    // proportion (the whole `tax_amount` when there is one rate).
    let rates: Option<Vec<Decimal>> = d
        .lines
        .iter()
        .map(|l| l.vat_rate.as_ref().map(|r| r.value))
        .collect();
    if let (Some(rates), Some(tax), false) = (rates, tax, d.lines.is_empty()) {
        let mut by_rate: Vec<(Decimal, Decimal)> = Vec::new();
        for (l, r) in d.lines.iter().zip(&rates) {
            let a = l.line_amount.as_ref().map(|a| a.value).unwrap_or_default();
            match by_rate.iter_mut().find(|(x, _)| x == r) {
                Some((_, base)) => *base += a,
                None => by_rate.push((*r, a)),
            }
        }
        let single = by_rate.len() == 1;
        for (rate, base) in by_rate {
            let row_tax = if single {
                tax
            } else {
                (base * rate / Decimal::ONE_HUNDRED).round_dp(2)
            };
            invoice.vat_breakdown.push(VatBreakdown {
                category: Some(Extracted::human(
                    if rate.is_zero() { "Z" } else { "S" }.to_string(),
                )),
                rate: Some(Extracted::human(rate)),
                taxable_amount: Some(Extracted::human(base)),
                tax_amount: Some(Extracted::human(row_tax)),
                ..VatBreakdown::default()
            });
        }
    }
    let tt = &mut invoice.totals;
    tt.line_extension_amount = line_sum.map(Extracted::human);
    tt.tax_exclusive_amount = net.map(Extracted::human);
    tt.tax_amount = tax.map(Extracted::human);
    tt.tax_inclusive_amount = Some(Extracted::human(gross));
    tt.payable_amount = Some(Extracted::human(payable));
    Ok(invoice)
}
