//! One document to one invoice: the stages a job goes through, each reported as progress.
//!
//! Safe to run twice for the same job (a re-delivery after a crash): the invoice is found by
//! its job id before anything is saved, and the database refuses a second invoice per job or
//! per file hash, so a race between two workers still yields one invoice.

use std::sync::Arc;

use chrono::Utc;
use doxin_embed::Embedder;
use doxin_extract::ExtractError;
use doxin_extract::pipeline::ExtractOptions;
use doxin_llm::{HybridError, LlmExtractor, Mode};
use doxin_model::approval::Arrival;
use doxin_model::{JobStage, JobStatus};
use doxin_sandbox::Sandbox;
use doxin_store::{
    CompanyKind, FileStore, InvoiceFilter, InvoiceRecord, InvoiceStatus, JobRecord, JobUpdate,
    NewCompany, NewInvoice, PageRequest, Scope, Store, StoreError,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Event, EventBus, JobError, Outcome, Result};

/// What the uploader asked for; stored as the job's payload.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobOptions {
    pub filename: String,
    /// Approve automatically when confident and valid (otherwise everything goes to review).
    #[serde(default = "default_true")]
    pub auto_save: bool,
    /// Document confidence needed for automatic approval; the deployment default if absent.
    #[serde(default)]
    pub confidence_threshold: Option<f32>,
    /// Where the document came from: `upload`, `url`, `batch`, `reprocess`.
    #[serde(default)]
    pub source: Option<String>,
    /// Read an existing invoice's document again instead of making a new invoice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reprocess: Option<Reprocess>,
}

/// A new reading of an invoice's document (after its file was replaced, or the extraction
/// improved): the invoice is updated in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reprocess {
    pub invoice_id: Uuid,
    /// Values a person entered stay (the default); `false`: the new reading replaces them.
    #[serde(default = "default_true")]
    pub keep_corrections: bool,
}

fn default_true() -> bool {
    true
}

/// Deployment-wide processing settings.
#[derive(Debug, Clone)]
pub struct ProcessConfig {
    pub extract: ExtractOptions,
    /// Confidence needed for automatic approval when the job does not say.
    pub confidence_threshold: f32,
}

impl Default for ProcessConfig {
    fn default() -> Self {
        ProcessConfig {
            extract: ExtractOptions::default(),
            confidence_threshold: 0.8,
        }
    }
}

/// How a job ended, as stored in its `result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobResult {
    pub outcome: Outcome,
    pub invoice_id: Option<Uuid>,
    pub duplicate_of: Option<Uuid>,
    /// What made it a duplicate: `file` (same bytes) or `number` (same seller and number).
    pub duplicate_reason: Option<String>,
    pub confidence: f32,
    pub path: Option<String>,
    pub pages: Option<u32>,
    pub warnings: Vec<String>,
    pub findings: usize,
    pub extract_millis: Option<f64>,
    /// When a language model was involved: whether it was asked, its tokens, cost and the
    /// field-by-field merge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub llm: Option<serde_json::Value>,
}

/// How long a job is in hand before its stages are written to its row, not only published
/// (see `Pipeline::stage`).
const STAGE_WRITE_AFTER: std::time::Duration = std::time::Duration::from_millis(250);

/// The processing of documents, shared by a worker's slots.
pub struct Pipeline {
    pub store: Arc<dyn Store>,
    pub files: FileStore,
    pub events: EventBus,
    pub config: ProcessConfig,
    /// A language model and the mode it is used in (`llm` or `hybrid`); `None` is rules only.
    pub llm: Option<(LlmExtractor, Mode)>,
    /// Embeds saved invoices for semantic search; `None` leaves them without a vector (the API
    /// embeds on demand).
    pub embedder: Option<Arc<dyn Embedder>>,
    /// Where documents are read: a child process with limits, so a hostile file fails its own
    /// job (`document_too_complex`, `extraction_crashed`, both permanent) and nothing else.
    pub sandbox: Sandbox,
    /// Where this process counts stages, extractions, model requests and embeddings.
    pub metrics: doxin_metrics::Metrics,
    /// The stage each job in hand is in, for `doxin_job_stage_duration_seconds`.
    pub stage_times: crate::metrics::StageTimes,
}

impl Pipeline {
    /// Runs a leased job of any kind; the label says how it ended (for logs and metrics).
    pub async fn run_any(&self, job: &JobRecord) -> Result<&'static str> {
        if job.kind == crate::report::REPORT_JOB_KIND {
            crate::ReportRunner::new(self.store.clone(), self.events.clone())
                .run(job, Utc::now().date_naive())
                .await?;
            return Ok("report");
        }
        Ok(self.run(job).await?.outcome.as_str())
    }

    /// Runs `job` (already leased to us) to its end and records it. Errors leave the job
    /// running for the caller to retry or fail.
    pub async fn run(&self, job: &JobRecord) -> Result<JobResult> {
        let options: JobOptions =
            serde_json::from_value(job.payload.clone()).map_err(|e| JobError::Document {
                code: "invalid_job",
                message: format!("the job's options cannot be read: {e}"),
            })?;
        // A re-delivered job whose invoice was saved before the crash: finish the record only.
        if let Some(invoice) = self.store.find_invoice_by_job(job.id).await? {
            let result = JobResult {
                outcome: outcome_of(&invoice),
                invoice_id: Some(invoice.id),
                duplicate_of: invoice.duplicate_of,
                duplicate_reason: invoice.duplicate_of.map(|_| "number".to_string()),
                confidence: invoice.confidence,
                path: None,
                pages: None,
                warnings: vec![],
                findings: invoice.findings.len(),
                extract_millis: None,
                llm: None,
            };
            return self.finish(job, result).await;
        }

        self.stage(job, JobStage::Store, 10).await?;
        let file_id = job.file_id.ok_or_else(|| JobError::Document {
            code: "no_file",
            message: "the job has no file".into(),
        })?;
        let file = self.store.get_file(file_id, Scope::All).await?;
        let bytes = self.files.get(&file.sha256).await?;

        self.stage(job, JobStage::Sniff, 20).await?;
        doxin_extract::sniff(&bytes).map_err(document_error)?;

        // The same bytes were already an invoice of this workspace: link, don't extract again
        // (unless this job is that invoice's new reading).
        if options.reprocess.is_none()
            && let Some(original) = self
                .store
                .find_invoice_by_file_hash(job.workspace_id, &file.sha256)
                .await?
        {
            self.stage(job, JobStage::Dedupe, 90).await?;
            return self.finish(job, duplicate_result(original, 1.0)).await;
        }

        self.stage(job, JobStage::Extract, 35).await?;
        let opts = &self.config.extract;
        let started = std::time::Instant::now();
        let bytes = Arc::new(bytes);
        let rules = self
            .sandbox
            .extract(bytes.clone(), opts)
            .await
            .map_err(document_error)?;
        let (extraction, llm_report) = match &self.llm {
            Some((extractor, mode)) => {
                let asked_at = std::time::Instant::now();
                let hybrid = extractor
                    .extract_after_rules(rules, bytes, opts, *mode, started)
                    .await
                    .map_err(|e| {
                        if let HybridError::Llm(llm) = &e {
                            let provider = extractor.provider();
                            crate::metrics::count_llm_error(
                                &self.metrics,
                                provider.name(),
                                provider.model(),
                                llm.code(),
                                asked_at.elapsed(),
                            );
                        }
                        hybrid_error(e)
                    })?;
                if let Some(report) = &hybrid.llm {
                    crate::metrics::count_llm_report(&self.metrics, report);
                }
                (hybrid.extraction, hybrid.llm)
            }
            None => (rules, None),
        };
        if extraction.path == doxin_extract::pipeline::ExtractionPath::Ocr {
            self.stage(job, JobStage::Ocr, 60).await?;
        }
        if llm_report.as_ref().is_some_and(|r| r.asked) {
            self.stage(job, JobStage::Llm, 70).await?;
        }

        self.stage(job, JobStage::Validate, 75).await?;
        if let Some(again) = &options.reprocess {
            self.stage(job, JobStage::Save, 95).await?;
            return self.reread(job, again, extraction, llm_report).await;
        }

        self.stage(job, JobStage::Dedupe, 85).await?;
        let inv = &extraction.invoice;
        let same_number = match inv.invoice_number.as_ref() {
            Some(number) => {
                self.store
                    .find_invoice_duplicate(
                        scope_of(job.workspace_id),
                        inv.seller.vat_id.as_ref().map(|v| v.value.as_str()),
                        inv.seller.name.as_ref().map(|v| v.value.as_str()),
                        &number.value,
                    )
                    .await?
            }
            None => None,
        };
        let (duplicate_of, duplicate_reason) = match same_number {
            Some(id) => (Some(id), Some("number")),
            None => match self.near_duplicate(job.workspace_id, inv).await? {
                Some(id) => (Some(id), Some("similar")),
                None => (None, None),
            },
        };

        self.stage(job, JobStage::Save, 95).await?;
        // Re-read before saving: a job cancelled while it ran saves nothing.
        if self.store.get_job(job.id, Scope::All).await?.status != JobStatus::Running {
            return Err(JobError::LostLease("cancelled while running".into()));
        }
        let (vendor_id, customer_id) =
            match_companies(self.store.as_ref(), job.workspace_id, &extraction.invoice).await?;
        // What the workspace knows about the vendor: whether it is known (auto-approval) and
        // its usual amounts (DX-AMT-01, a finding like the others).
        let currency = inv.currency.as_ref().map(|c| c.value.as_str());
        let history = crate::approval::vendor_history(
            self.store.as_ref(),
            job.workspace_id,
            vendor_id,
            currency,
            None,
        )
        .await?;
        let mut findings = extraction.validation.findings.clone();
        findings.extend(doxin_model::validation::vendor_range(inv, &history.totals));
        let approved = options.auto_save
            && self
                .auto_approves(
                    job.workspace_id,
                    &options,
                    inv,
                    Arrival {
                        confidence: extraction.confidence,
                        has_findings: !findings.is_empty(),
                        known_vendor: history.known(),
                        duplicate: duplicate_of.is_some(),
                    },
                    &findings,
                )
                .await?;
        let saved = self
            .store
            .insert_invoice(NewInvoice {
                owner_id: job.owner_id,
                workspace_id: job.workspace_id,
                file_id: Some(file.id),
                job_id: Some(job.id),
                status: if approved {
                    InvoiceStatus::Approved
                } else {
                    InvoiceStatus::NeedsReview
                },
                confidence: extraction.confidence,
                invoice: extraction.invoice.clone(),
                findings: findings.clone(),
                vendor_id,
                customer_id,
                duplicate_of,
                file_sha256: Some(file.sha256.clone()),
            })
            .await;
        let invoice = match saved {
            Ok(invoice) => invoice,
            Err(StoreError::Conflict { .. }) => {
                // Another delivery of this job, or another job with the same bytes, saved first.
                if let Some(invoice) = self.store.find_invoice_by_job(job.id).await? {
                    invoice
                } else if let Some(original) = self
                    .store
                    .find_invoice_by_file_hash(job.workspace_id, &file.sha256)
                    .await?
                {
                    return self
                        .finish(job, duplicate_result(original, extraction.confidence))
                        .await;
                } else {
                    return Err(JobError::Internal("invoice refused by the database".into()));
                }
            }
            Err(e) => return Err(e.into()),
        };
        self.record_extracted(job, &invoice, approved).await;
        crate::metrics::count_extraction(
            &self.metrics,
            &extraction,
            llm_report.as_ref(),
            if duplicate_of.is_some() {
                Outcome::Duplicate.as_str()
            } else {
                outcome_of(&invoice).as_str()
            },
            &invoice.findings,
        );
        self.embed(&invoice).await;
        let result = JobResult {
            outcome: outcome_of(&invoice),
            invoice_id: Some(invoice.id),
            duplicate_of,
            duplicate_reason: duplicate_reason.map(str::to_string),
            confidence: extraction.confidence,
            path: serde_json::to_value(extraction.path)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string)),
            pages: Some(extraction.pages),
            warnings: extraction.warnings.clone(),
            findings: findings.len(),
            extract_millis: Some(extraction.millis),
            llm: llm_report.and_then(|r| serde_json::to_value(r).ok()),
        };
        self.finish(job, result).await
    }

    /// Whether an arriving extraction is approved without a person. A workspace with
    /// auto-approval rules decides by them (confidence, no findings at all, known vendor, not a
    /// duplicate, amount, vendor rules). Without such rules the deployment's rule applies: the
    /// job's (or deployment's) confidence threshold, no error findings, not a duplicate. Either
    /// way an invoice that needs two approvals waits for two people.
    async fn auto_approves(
        &self,
        workspace: Option<Uuid>,
        options: &JobOptions,
        inv: &doxin_model::Invoice,
        arrival: Arrival,
        findings: &[doxin_model::validation::Finding],
    ) -> Result<bool> {
        let rules = crate::approval::workspace_rules(self.store.as_ref(), workspace).await?;
        if rules.auto_approve.is_some() {
            return Ok(rules.auto_approves(inv, arrival));
        }
        let threshold = options
            .confidence_threshold
            .unwrap_or(self.config.confidence_threshold);
        let errors = findings
            .iter()
            .any(|f| f.severity == doxin_model::validation::Severity::Error);
        Ok(arrival.confidence >= threshold
            && !errors
            && !arrival.duplicate
            && rules.required_approvals(inv) == 1)
    }

    /// Saves a new reading of an existing invoice: the person's corrections kept unless asked
    /// otherwise, validation and confidence of the result, companies matched again, and the
    /// decision reopened only when what it rested on changed.
    async fn reread(
        &self,
        job: &JobRecord,
        again: &Reprocess,
        extraction: doxin_extract::pipeline::Extraction,
        llm_report: Option<doxin_llm::LlmReport>,
    ) -> Result<JobResult> {
        let current = match self.store.get_invoice(again.invoice_id, Scope::All).await {
            Ok(invoice) => invoice,
            Err(StoreError::NotFound) => {
                return Err(JobError::Document {
                    code: "invoice_gone",
                    message: "the invoice to read again was deleted".into(),
                });
            }
            Err(e) => return Err(e.into()),
        };
        let invoice = if again.keep_corrections {
            doxin_model::correction::keep_human(&current.invoice, &extraction.invoice)
        } else {
            extraction.invoice.clone()
        };
        let report = doxin_model::validate_report(&invoice, &doxin_model::Tolerance::default());
        let confidence = doxin_extract::pipeline::document_confidence(&invoice, &report);
        let changed = doxin_model::review::decision_changes(&current.invoice, &invoice);
        let status = if current.status != InvoiceStatus::NeedsReview && !changed.is_empty() {
            InvoiceStatus::NeedsReview
        } else {
            current.status
        };
        let (vendor_id, customer_id) =
            match_companies(self.store.as_ref(), current.workspace_id, &invoice).await?;
        let mut findings = report.findings.clone();
        findings.extend(
            crate::approval::vendor_range_finding(
                self.store.as_ref(),
                current.workspace_id,
                vendor_id,
                &invoice,
                Some(current.id),
            )
            .await?,
        );
        // Re-read before saving: a job cancelled while it ran saves nothing.
        if self.store.get_job(job.id, Scope::All).await?.status != JobStatus::Running {
            return Err(JobError::LostLease("cancelled while running".into()));
        }
        let saved = self
            .store
            .update_invoice(
                current.id,
                Scope::All,
                doxin_store::InvoiceUpdate {
                    invoice: Some(invoice),
                    findings: Some(findings),
                    status: Some(status),
                    confidence: Some(confidence),
                    vendor_id,
                    customer_id,
                },
            )
            .await?;
        let entry = doxin_store::NewAuditEntry {
            actor_id: None,
            action: "invoice.reprocess".into(),
            entity_type: "invoice".into(),
            entity_id: Some(saved.id.to_string()),
            before: Some(serde_json::json!({ "status": current.status })),
            after: Some(serde_json::json!({
                "status": saved.status,
                "job_id": job.id,
                "keep_corrections": again.keep_corrections,
                "changed_fields": changed,
                "confidence": saved.confidence,
                "findings": saved.findings.len(),
            })),
            ..Default::default()
        };
        if let Err(e) = self.store.append_audit(entry).await {
            tracing::warn!(invoice_id = %saved.id, error = %e, "cannot record the new reading in the audit log");
        }
        crate::metrics::count_extraction(
            &self.metrics,
            &extraction,
            llm_report.as_ref(),
            outcome_of(&saved).as_str(),
            &saved.findings,
        );
        self.embed(&saved).await;
        let result = JobResult {
            outcome: outcome_of(&saved),
            invoice_id: Some(saved.id),
            duplicate_of: saved.duplicate_of,
            duplicate_reason: None,
            confidence: saved.confidence,
            path: serde_json::to_value(extraction.path)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string)),
            pages: Some(extraction.pages),
            warnings: extraction.warnings.clone(),
            findings: saved.findings.len(),
            extract_millis: Some(extraction.millis),
            llm: llm_report.and_then(|r| serde_json::to_value(r).ok()),
        };
        self.finish(job, result).await
    }

    /// The first step of the invoice's history: read by the pipeline, for review or approved
    /// by the auto-approval rule. Best effort: the invoice is saved and the job must finish.
    async fn record_extracted(&self, job: &JobRecord, invoice: &InvoiceRecord, auto: bool) {
        let entry = doxin_store::NewAuditEntry {
            actor_id: None,
            action: "invoice.extracted".into(),
            entity_type: "invoice".into(),
            entity_id: Some(invoice.id.to_string()),
            before: None,
            after: Some(serde_json::json!({
                "status": invoice.status,
                "confidence": invoice.confidence,
                "job_id": job.id,
                "owner_id": job.owner_id,
                "findings": invoice.findings.len(),
                "auto_approved": auto,
            })),
            ..Default::default()
        };
        if let Err(e) = self.store.append_audit(entry).await {
            tracing::warn!(invoice_id = %invoice.id, error = %e, "cannot record the extraction in the audit log");
        }
    }

    /// Stores the invoice's embedding for semantic search. Best effort: an embedding provider
    /// that is down must not fail the job (the API embeds missing vectors on demand).
    async fn embed(&self, invoice: &InvoiceRecord) {
        let Some(embedder) = &self.embedder else {
            return;
        };
        let started = std::time::Instant::now();
        let stored = match crate::similar::embed_invoice(embedder.clone(), &invoice.invoice).await {
            Ok(embedding) => {
                self.metrics
                    .embedding(embedder.provider(), embedder.model(), started.elapsed());
                self.store
                    .set_invoice_embedding(invoice.id, Scope::All, &embedding)
                    .await
            }
            Err(e) => {
                tracing::warn!(invoice_id = %invoice.id, error = %e, "cannot embed the invoice");
                return;
            }
        };
        if let Err(e) = stored {
            tracing::warn!(invoice_id = %invoice.id, error = %e, "cannot store the embedding");
        }
    }

    /// Records a stage on the row and tells subscribers.
    async fn stage(&self, job: &JobRecord, stage: JobStage, progress: i16) -> Result<()> {
        let in_hand = self.stage_times.mark(&self.metrics, job.id, stage);
        // Subscribers hear of every stage. The job's row is written only once the job has
        // taken a while, or for a stage that takes a while by nature: an e-invoice is done in
        // a few milliseconds, and six stage writes were half its database round trips (and
        // their commits) for a state nobody could have read in time. A slow job's row shows
        // its stage as before; `finish` records the last one.
        if in_hand >= STAGE_WRITE_AFTER || matches!(stage, JobStage::Ocr | JobStage::Llm) {
            self.write_stage(job, stage, progress).await?;
        }
        self.events
            .publish(Event::JobProgress {
                job_id: job.id,
                owner_id: job.owner_id,
                stage,
                progress,
                at: Utc::now(),
            })
            .await;
        Ok(())
    }

    async fn write_stage(&self, job: &JobRecord, stage: JobStage, progress: i16) -> Result<()> {
        let updated = self
            .store
            .update_job(
                job.id,
                JobUpdate {
                    stage: Some(stage),
                    progress: Some(progress),
                    ..Default::default()
                },
            )
            .await;
        // A job that is no longer running (its lease expired while the database was away and
        // it went back to the queue), or whose status changed under this update (another
        // worker claimed it), is another delivery's now: this one stops without failing it.
        match updated {
            Ok(row) if row.status == JobStatus::Running => {}
            Ok(row) => {
                return Err(JobError::LostLease(format!(
                    "job {} is {} now",
                    job.id, row.status
                )));
            }
            Err(StoreError::InvalidState(e)) => return Err(JobError::LostLease(e)),
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    async fn finish(&self, job: &JobRecord, result: JobResult) -> Result<JobResult> {
        let updated =
            self.store
                .update_job(
                    job.id,
                    JobUpdate {
                        status: Some(JobStatus::Succeeded),
                        stage: self.stage_times.current(job.id),
                        progress: Some(100),
                        result: Some(serde_json::to_value(&result).map_err(|e| {
                            JobError::Internal(format!("job result encoding: {e}"))
                        })?),
                        invoice_id: result.invoice_id,
                        ..Default::default()
                    },
                )
                .await;
        match updated {
            Ok(_) => {}
            Err(StoreError::InvalidState(e)) => return Err(JobError::LostLease(e)),
            Err(e) => return Err(e.into()),
        }
        self.events
            .publish(Event::JobCompleted {
                job_id: job.id,
                owner_id: job.owner_id,
                invoice_id: result.invoice_id,
                outcome: result.outcome,
                duplicate_of: result.duplicate_of,
                confidence: result.confidence,
                at: Utc::now(),
            })
            .await;
        Ok(result)
    }

    /// Marks the job failed for good and tells subscribers.
    pub async fn fail(&self, job: &JobRecord, code: &str, message: &str) -> Result<()> {
        let updated = self
            .store
            .update_job(
                job.id,
                JobUpdate {
                    status: Some(JobStatus::Failed),
                    error_code: Some(code.to_string()),
                    error: Some(message.to_string()),
                    ..Default::default()
                },
            )
            .await;
        match updated {
            Ok(_) => {}
            // Cancelled or finished meanwhile: nothing to fail.
            Err(StoreError::InvalidState(_)) => return Ok(()),
            Err(e) => return Err(e.into()),
        }
        if job.kind == crate::report::REPORT_JOB_KIND {
            crate::ReportRunner::new(self.store.clone(), self.events.clone())
                .settle(job, JobStatus::Failed, Some(message))
                .await;
        }
        self.events
            .publish(Event::JobFailed {
                job_id: job.id,
                owner_id: job.owner_id,
                error_code: code.to_string(),
                error: message.to_string(),
                at: Utc::now(),
            })
            .await;
        Ok(())
    }

    /// An earlier invoice of the same owner, same currency and gross amount, whose fingerprint
    /// is nearly identical (see [`crate::similar`]).
    async fn near_duplicate(
        &self,
        workspace: Option<Uuid>,
        inv: &doxin_model::Invoice,
    ) -> Result<Option<Uuid>> {
        let (Some(gross), Some(currency)) = (
            inv.totals.tax_inclusive_amount.as_ref(),
            inv.currency.as_ref(),
        ) else {
            return Ok(None);
        };
        let filter = InvoiceFilter {
            currency: Some(currency.value.clone()),
            min_gross: Some(gross.value),
            max_gross: Some(gross.value),
            ..Default::default()
        };
        let candidates = self
            .store
            .list_invoices(scope_of(workspace), &filter, PageRequest::new(1, 50))
            .await?;
        for candidate in candidates
            .items
            .iter()
            .filter(|c| c.workspace_id == workspace)
        {
            let earlier = self.store.get_invoice(candidate.id, Scope::All).await?;
            if crate::similar::similarity(inv, &earlier.invoice)
                >= crate::similar::NEAR_DUPLICATE_SIMILARITY
            {
                return Ok(Some(candidate.id));
            }
        }
        Ok(None)
    }
}

/// Links an invoice's seller and buyer to company records of the invoice's `workspace` (found
/// by VAT id, else by normalised name, else created): `(vendor_id, customer_id)`. Used for
/// extracted and edited invoices. Only the workspace's own companies are candidates, so a
/// guessed name never returns another team's record and a typed VAT id never lands on one.
pub async fn match_companies(
    store: &dyn Store,
    workspace: Option<Uuid>,
    inv: &doxin_model::Invoice,
) -> Result<(Option<Uuid>, Option<Uuid>)> {
    let mut ids = [None, None];
    for (slot, (party, kind)) in [
        (&inv.seller, CompanyKind::Vendor),
        (&inv.buyer, CompanyKind::Customer),
    ]
    .into_iter()
    .enumerate()
    {
        let Some(name) = party
            .name
            .as_ref()
            .or(party.trading_name.as_ref())
            .map(|n| n.value.trim().to_string())
        else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        let company = store
            .upsert_company(NewCompany {
                workspace_id: workspace,
                kind,
                name,
                vat_id: party.vat_id.as_ref().map(|v| v.value.to_string()),
                tax_number: party
                    .tax_registration_id
                    .as_ref()
                    .map(|v| v.value.to_string()),
                country: party.address.country.as_ref().map(|v| v.value.to_string()),
                address: serde_json::Value::Null,
            })
            .await?;
        ids[slot] = Some(company.id);
    }
    Ok((ids[0], ids[1]))
}

/// What the pipeline may see while working for a job of `workspace`: that workspace, or
/// everything for a job of no workspace.
fn scope_of(workspace: Option<Uuid>) -> Scope {
    match workspace {
        Some(w) => Scope::admin_of(w),
        None => Scope::All,
    }
}

fn outcome_of(invoice: &InvoiceRecord) -> Outcome {
    match invoice.status {
        InvoiceStatus::Approved => Outcome::Approved,
        _ => Outcome::NeedsReview,
    }
}

fn duplicate_result(original: Uuid, confidence: f32) -> JobResult {
    JobResult {
        outcome: Outcome::Duplicate,
        invoice_id: Some(original),
        duplicate_of: Some(original),
        duplicate_reason: Some("file".to_string()),
        confidence,
        path: None,
        pages: None,
        warnings: vec![],
        findings: 0,
        extract_millis: None,
        llm: None,
    }
}

fn hybrid_error(e: HybridError) -> JobError {
    match e {
        HybridError::Extract(e) => document_error(e),
        // A model that is down or rate-limited may answer later; a malformed or refused answer
        // after the repair attempt will not.
        HybridError::Llm(e) if e.is_retryable() => JobError::Retryable {
            code: e.code(),
            message: e.to_string(),
        },
        HybridError::Llm(e) => JobError::Document {
            code: e.code(),
            message: e.to_string(),
        },
    }
}

fn document_error(e: ExtractError) -> JobError {
    if e.is_retryable() {
        JobError::Retryable {
            code: e.code(),
            message: e.to_string(),
        }
    } else {
        JobError::Document {
            code: e.code(),
            message: e.to_string(),
        }
    }
}
