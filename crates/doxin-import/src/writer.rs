//! Writing imported invoices, shared by both imports: validation decides the status (an
//! invoice whose figures do not add up waits for review), the content hash is taken over
//! everything stored, and the invoices go to the store a thousand per transaction.

use doxin_model::{Invoice, Severity, Tolerance, validate_report};
use doxin_store::{ImportedInvoice, InvoiceStatus, NewInvoice, Store, UpsertCounts};
use serde_json::json;
use uuid::Uuid;

use crate::{ImportError, Progress, content_hash};

/// Invoices written per transaction.
const BATCH: usize = 1_000;

pub(crate) struct InvoiceWriter<'a> {
    store: &'a dyn Store,
    workspace: Uuid,
    owner: Uuid,
    progress: Progress<'a>,
    total: u64,
    tolerance: Tolerance,
    batch: Vec<ImportedInvoice>,
    written: u64,
    pub(crate) counts: UpsertCounts,
    /// Lines of the invoices handed over.
    pub(crate) lines: u64,
}

impl<'a> InvoiceWriter<'a> {
    pub(crate) fn new(
        store: &'a dyn Store,
        workspace: Uuid,
        owner: Uuid,
        progress: Progress<'a>,
        total: u64,
    ) -> Self {
        InvoiceWriter {
            store,
            workspace,
            owner,
            progress,
            total,
            tolerance: Tolerance::default(),
            batch: Vec::with_capacity(BATCH),
            written: 0,
            counts: UpsertCounts::default(),
            lines: 0,
        }
    }

    /// Adds an invoice under its natural `key`; writes a batch when one is full.
    pub(crate) async fn push(
        &mut self,
        key: String,
        invoice: Invoice,
        vendor_id: Option<Uuid>,
        customer_id: Option<Uuid>,
    ) -> Result<(), ImportError> {
        let findings = validate_report(&invoice, &self.tolerance).findings;
        let status = if findings.iter().any(|f| f.severity == Severity::Error) {
            InvoiceStatus::NeedsReview
        } else {
            InvoiceStatus::Approved
        };
        self.lines += invoice.lines.len() as u64;
        self.batch.push(ImportedInvoice {
            key,
            content_hash: content_hash(&json!([invoice, vendor_id, customer_id, self.owner])),
            new: NewInvoice {
                owner_id: Some(self.owner),
                workspace_id: Some(self.workspace),
                file_id: None,
                job_id: None,
                status,
                confidence: 1.0,
                invoice,
                findings,
                vendor_id,
                customer_id,
                duplicate_of: None,
                file_sha256: None,
            },
        });
        if self.batch.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), ImportError> {
        if self.batch.is_empty() {
            return Ok(());
        }
        self.written += self.batch.len() as u64;
        self.counts += self
            .store
            .upsert_imported_invoices(self.workspace, std::mem::take(&mut self.batch))
            .await?;
        (self.progress)("invoices", self.written, Some(self.total));
        Ok(())
    }

    /// Writes what is left; returns created/updated/unchanged and the lines handed over.
    pub(crate) async fn finish(mut self) -> Result<(UpsertCounts, u64), ImportError> {
        self.flush().await?;
        Ok((self.counts, self.lines))
    }
}
