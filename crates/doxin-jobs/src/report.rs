//! Report generation as a job: the `report` kind of `processing_jobs`, run by the same
//! workers, leases and retries as document jobs, with progress events over the bus.
//!
//! The job's payload names the report record; the record holds what was asked (type,
//! parameters, formats) and the scope (the workspace the figures cover). The runner reads the
//! facts in that scope, computes the report (`doxin_reports::report`), renders each format,
//! stores the files beside the record and finishes both the record and the job. Running it
//! twice (a re-delivery) is harmless: a finished report is left alone, and files are replaced,
//! not added.

use std::sync::Arc;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use doxin_model::JobStatus;
use doxin_reports::report::{
    self, Facts, InvoiceFact, Params, ProductFact, ReportFormat, ReportKind, VatFact, facts::Status,
};
use doxin_store::{
    DateRange, InvoiceStatus, JobRecord, JobUpdate, ReportFile, ReportFileInfo, ReportFilter,
    ReportOwner, ReportRecord, ReportUpdate, Scope, Store, StoreError,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Event, EventBus, JobError, Result};

/// The job kind of report generation.
pub const REPORT_JOB_KIND: &str = "report";

/// A report job's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportJob {
    pub report_id: Uuid,
    /// What the jobs list shows for the job (it shows a document job's file name under this
    /// key): the report's title.
    #[serde(default, rename = "filename")]
    pub name: String,
}

/// What a finished report job stores as its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportJobResult {
    pub report_id: Uuid,
    pub formats: Vec<String>,
    pub invoices: usize,
    pub millis: u64,
}

/// Runs report jobs; needs only the store and the bus, so tests run it without a worker.
#[derive(Clone)]
pub struct ReportRunner {
    pub store: Arc<dyn Store>,
    pub events: EventBus,
}

fn report_of(job: &JobRecord) -> Result<Uuid> {
    serde_json::from_value::<ReportJob>(job.payload.clone())
        .map(|p| p.report_id)
        .map_err(|e| JobError::Document {
            code: "invalid_job",
            message: format!("the report job's payload cannot be read: {e}"),
        })
}

fn bad_report(message: String) -> JobError {
    JobError::Document {
        code: "invalid_report",
        message,
    }
}

/// The store's invoice status as reports see it.
fn status(s: InvoiceStatus) -> Status {
    match s {
        InvoiceStatus::Approved => Status::Approved,
        InvoiceStatus::NeedsReview => Status::NeedsReview,
        InvoiceStatus::Rejected => Status::Rejected,
    }
}

/// The invoices a report reads: the business-intelligence report compares with the period
/// before `from`, so it reads everything up to `to` and splits the periods itself.
pub fn filter_for(kind: ReportKind, params: &Params) -> ReportFilter {
    let range = DateRange {
        from: if kind == ReportKind::BusinessIntelligence {
            None
        } else {
            params.from
        },
        to: params.to,
    };
    ReportFilter {
        range,
        currency: params.currency.clone(),
        companies: params.companies.clone(),
        legacy_fields: kind.needs_legacy_fields(),
    }
}

/// The product costs the reference data knows (`doxin import reference`), added to those the
/// report's parameters give: a cost in the parameters wins over the catalogue's for the same
/// product and currency, and of products with the same name in several workspaces (an
/// administrator's report over all of them) the first by name is taken.
pub async fn add_catalogue_costs(
    store: &dyn Store,
    scope: Scope,
    params: &mut Params,
) -> Result<()> {
    let key = |product: &str, currency: &str| {
        (
            product.trim().to_lowercase(),
            currency.trim().to_uppercase(),
        )
    };
    let mut known: std::collections::HashSet<(String, String)> = params
        .unit_costs
        .iter()
        .map(|c| key(&c.product, &c.currency))
        .collect();
    for c in store.product_costs(scope).await? {
        if known.insert(key(&c.product, &c.currency)) {
            params.unit_costs.push(doxin_reports::report::UnitCost {
                product: c.product,
                currency: c.currency,
                unit_cost: c.unit_cost,
            });
        }
    }
    Ok(())
}

/// The facts of a report in `scope`, read from the store.
pub async fn load_facts(
    store: &dyn Store,
    scope: Scope,
    kind: ReportKind,
    params: &Params,
) -> Result<Facts> {
    let filter = filter_for(kind, params);
    let invoices = store
        .report_invoices(scope, &filter)
        .await?
        .into_iter()
        .map(|i| InvoiceFact {
            id: i.id,
            status: status(i.status),
            document_type: i.document_type,
            issue_date: i.issue_date,
            due_date: i.due_date,
            currency: i.currency,
            vendor: i.seller_name,
            customer: i.buyer_name,
            net: i.net,
            tax: i.tax,
            gross: i.gross,
            payable: i.payable,
            payment_status: i.payment_status,
            territory: i.territory,
            salesperson: i.salesperson,
        })
        .collect();
    let vat = if kind.needs_vat_rows() {
        store
            .report_vat_rows(scope, &filter)
            .await?
            .into_iter()
            .map(|v| VatFact {
                invoice_id: v.invoice_id,
                status: status(v.status),
                issue_date: v.issue_date,
                currency: v.currency,
                category: v.category,
                rate: v.rate,
                taxable: v.taxable,
                tax: v.tax,
            })
            .collect()
    } else {
        Vec::new()
    };
    let products = if kind.needs_products() {
        store
            .report_products(scope, &filter)
            .await?
            .into_iter()
            .map(|p| ProductFact {
                currency: p.currency,
                product: p.product,
                lines: p.lines,
                quantity: p.quantity,
                net: p.net,
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(Facts {
        invoices,
        vat,
        products,
    })
}

/// A report's file name: its title made safe, the date, the extension.
pub fn file_name(record: &ReportRecord, format: ReportFormat) -> String {
    let stem: String = record
        .title
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    let stem = if stem.is_empty() {
        "report".to_string()
    } else {
        stem
    };
    let stem: String = stem.chars().take(60).collect();
    format!(
        "{stem}-{}.{}",
        record.created_at.format("%Y-%m-%d"),
        format.as_str()
    )
}

impl ReportRunner {
    pub fn new(store: Arc<dyn Store>, events: EventBus) -> ReportRunner {
        ReportRunner { store, events }
    }

    async fn progress(&self, job: &JobRecord, report_id: Uuid, step: &str, progress: i16) {
        if let Err(e) = self
            .store
            .update_job(
                job.id,
                JobUpdate {
                    progress: Some(progress),
                    ..Default::default()
                },
            )
            .await
        {
            tracing::debug!(job_id = %job.id, error = %e, "report progress not recorded");
        }
        self.events
            .publish(Event::ReportProgress {
                job_id: job.id,
                report_id,
                owner_id: job.owner_id,
                step: step.to_string(),
                progress,
                at: Utc::now(),
            })
            .await;
    }

    /// Generates the report of `job` (leased to the caller) and records the outcome. Errors
    /// leave the job running for the caller to retry or fail (see [`ReportRunner::fail`]).
    pub async fn run(&self, job: &JobRecord, today: NaiveDate) -> Result<ReportJobResult> {
        let started = Instant::now();
        let report_id = report_of(job)?;
        let record = match self.store.get_report(report_id, ReportOwner::All).await {
            Ok(r) => r,
            Err(StoreError::NotFound) => {
                return Err(bad_report(format!("report {report_id} no longer exists")));
            }
            Err(e) => return Err(e.into()),
        };
        if record.status.is_terminal() {
            // A re-delivery after the report was finished: the job follows the record (the
            // record is finished first, see the end of this function).
            if record.status == JobStatus::Succeeded {
                let result = ReportJobResult {
                    report_id,
                    formats: record.files.iter().map(|f| f.format.clone()).collect(),
                    invoices: 0,
                    millis: 0,
                };
                self.finish_job(job, &result).await?;
                return Ok(result);
            }
            return Err(bad_report(format!(
                "report {report_id} is already {}",
                record.status
            )));
        }
        self.store
            .update_report(
                report_id,
                ReportUpdate {
                    status: Some(JobStatus::Running),
                    job_id: Some(job.id),
                    ..Default::default()
                },
            )
            .await?;
        self.progress(job, report_id, "query", 10).await;

        let kind = ReportKind::parse(&record.report_type)
            .ok_or_else(|| bad_report(format!("unknown report type {:?}", record.report_type)))?;
        let mut params: Params = serde_json::from_value(record.parameters.clone())
            .map_err(|e| bad_report(format!("the report's parameters cannot be read: {e}")))?;
        let formats = record
            .formats
            .iter()
            .map(|f| {
                ReportFormat::parse(f).ok_or_else(|| bad_report(format!("unknown format {f:?}")))
            })
            .collect::<Result<Vec<_>>>()?;
        let scope = match record.workspace_id {
            Some(w) => Scope::admin_of(w),
            None => Scope::All,
        };
        if kind == ReportKind::ProfitMargin {
            add_catalogue_costs(self.store.as_ref(), scope, &mut params).await?;
        }
        let facts = load_facts(self.store.as_ref(), scope, kind, &params).await?;
        let invoices = facts.invoices.len();
        self.progress(job, report_id, "compute", 40).await;

        // Aggregating and rendering are CPU work (tens of milliseconds at 100,000 invoices):
        // off the async threads.
        let title = record.title.clone();
        let rendered = tokio::task::spawn_blocking(move || {
            let mut built = report::build(kind, &params, &facts, today);
            built.title = title;
            formats
                .iter()
                .map(|f| report::render(&built, *f).map(|bytes| (*f, bytes)))
                .collect::<std::result::Result<Vec<_>, _>>()
                .map(|files| (built.summary, files))
        })
        .await
        .map_err(|e| JobError::Internal(format!("report task: {e}")))?
        .map_err(|e| JobError::Internal(format!("rendering the report: {e}")))?;
        let (summary, files) = rendered;
        self.progress(job, report_id, "save", 80).await;

        let stored: Vec<ReportFile> = files
            .into_iter()
            .map(|(format, content)| ReportFile {
                info: ReportFileInfo {
                    format: format.as_str().to_string(),
                    content_type: format.content_type().to_string(),
                    filename: file_name(&record, format),
                    size_bytes: content.len() as u64,
                    sha256: doxin_store::files::sha256_hex(&content),
                },
                content,
            })
            .collect();
        let formats: Vec<String> = stored.iter().map(|f| f.info.format.clone()).collect();
        // Re-read before saving: a job cancelled meanwhile saves nothing.
        if self.store.get_job(job.id, Scope::All).await?.status != JobStatus::Running {
            return Err(JobError::LostLease("cancelled while running".into()));
        }
        self.store.save_report_files(report_id, stored).await?;
        let result = ReportJobResult {
            report_id,
            formats: formats.clone(),
            invoices,
            millis: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        };
        // The record first: once it has succeeded, a crash before the job is marked leaves a
        // re-delivery that only finishes the job (above), never a report without its state.
        self.store
            .update_report(
                report_id,
                ReportUpdate {
                    status: Some(JobStatus::Succeeded),
                    summary: Some(summary),
                    ..Default::default()
                },
            )
            .await?;
        self.finish_job(job, &result).await?;
        self.events
            .publish(Event::ReportCompleted {
                job_id: job.id,
                report_id,
                owner_id: job.owner_id,
                formats,
                at: Utc::now(),
            })
            .await;
        Ok(result)
    }

    /// Marks the job succeeded with `result`; a job no longer ours (cancelled, taken over) is
    /// `LostLease`.
    async fn finish_job(&self, job: &JobRecord, result: &ReportJobResult) -> Result<()> {
        let updated =
            self.store
                .update_job(
                    job.id,
                    JobUpdate {
                        status: Some(JobStatus::Succeeded),
                        progress: Some(100),
                        result: Some(serde_json::to_value(result).map_err(|e| {
                            JobError::Internal(format!("job result encoding: {e}"))
                        })?),
                        ..Default::default()
                    },
                )
                .await;
        match updated {
            Ok(_) => Ok(()),
            Err(StoreError::InvalidState(e)) => Err(JobError::LostLease(e)),
            Err(e) => Err(e.into()),
        }
    }

    /// Marks the report of a job that failed for good (or was cancelled) with `status`.
    pub async fn settle(&self, job: &JobRecord, status: JobStatus, message: Option<&str>) {
        let Ok(report_id) = report_of(job) else {
            return;
        };
        let update = ReportUpdate {
            status: Some(status),
            error: message.map(str::to_string),
            ..Default::default()
        };
        match self.store.update_report(report_id, update).await {
            Ok(_) | Err(StoreError::NotFound | StoreError::InvalidState(_)) => {}
            Err(e) => tracing::warn!(job_id = %job.id, error = %e, "report status not recorded"),
        }
    }

    /// Deletes finished reports created more than `days` days ago; returns how many.
    pub async fn clean_up(&self, days: u32) -> Result<u64> {
        let before = Utc::now() - chrono::Duration::days(i64::from(days));
        Ok(self.store.delete_reports_before(before).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe() {
        let record = ReportRecord {
            id: Uuid::nil(),
            created_by: Uuid::nil(),
            workspace_id: None,
            title: "AP aging / Q1 ../../etc".into(),
            report_type: "ap_aging".into(),
            parameters: serde_json::json!({}),
            formats: vec![],
            status: JobStatus::Queued,
            error: None,
            summary: None,
            job_id: None,
            files: vec![],
            created_at: chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default(),
            started_at: None,
            finished_at: None,
        };
        assert_eq!(
            file_name(&record, ReportFormat::Xlsx),
            "ap-aging-q1-etc-2026-01-01.xlsx"
        );
    }
}
