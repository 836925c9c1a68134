//! What reports need from the database ([`ReportStore`]): the report records, their generated
//! files and saved templates, and the facts a report is computed from (one row per live
//! invoice, one per VAT breakdown row) in a caller's [`Scope`].
//!
//! The facts are plain rows, not aggregates: each report type aggregates them its own way in
//! `doxin-reports` (pure code, tested without a database), and the tests check the result
//! against aggregates they compute with SQL of their own.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use doxin_model::{Decimal, JobStatus};
use serde::Serialize;
use uuid::Uuid;

use crate::{DateRange, InvoiceStatus, Page, PageRequest, Result, Scope};

/// Whose reports a caller sees: a user their own, a system administrator everybody's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportOwner {
    All,
    User(Uuid),
}

/// A report as asked for and as it came out.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportRecord {
    pub id: Uuid,
    pub created_by: Uuid,
    /// The workspace the figures cover (`None`: every workspace).
    pub workspace_id: Option<Uuid>,
    pub title: String,
    pub report_type: String,
    pub parameters: serde_json::Value,
    /// The formats asked for (`xlsx`, `csv`).
    pub formats: Vec<String>,
    /// Follows the job's status: `queued`, `running`, `succeeded`, `failed`, `cancelled`.
    pub status: JobStatus,
    pub error: Option<String>,
    /// Headline figures once generated.
    pub summary: Option<serde_json::Value>,
    pub job_id: Option<Uuid>,
    /// The files generated (without their bytes).
    pub files: Vec<ReportFileInfo>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct NewReport {
    pub created_by: Uuid,
    pub workspace_id: Option<Uuid>,
    pub title: String,
    pub report_type: String,
    pub parameters: serde_json::Value,
    pub formats: Vec<String>,
}

/// A generated file's description.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportFileInfo {
    pub format: String,
    pub content_type: String,
    pub filename: String,
    pub size_bytes: u64,
    pub sha256: String,
}

/// A generated file with its bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportFile {
    pub info: ReportFileInfo,
    pub content: Vec<u8>,
}

/// A change of a report's state. `status` moves only forward (see [`JobStatus::transition`]
/// for the job it follows); a finished report keeps its status.
#[derive(Debug, Clone, Default)]
pub struct ReportUpdate {
    pub status: Option<JobStatus>,
    pub error: Option<String>,
    pub summary: Option<serde_json::Value>,
    pub job_id: Option<Uuid>,
}

/// A saved parameter set.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportTemplate {
    pub id: Uuid,
    pub created_by: Uuid,
    pub name: String,
    pub report_type: String,
    pub parameters: serde_json::Value,
    pub formats: Vec<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewReportTemplate {
    pub created_by: Uuid,
    pub name: String,
    pub report_type: String,
    pub parameters: serde_json::Value,
    pub formats: Vec<String>,
}

/// Which invoices a report covers, within the caller's scope.
#[derive(Debug, Clone, Default)]
pub struct ReportFilter {
    /// Issue dates (inclusive).
    pub range: DateRange,
    /// Only this currency.
    pub currency: Option<String>,
    /// Only invoices whose vendor or customer is one of these companies (empty: all).
    pub companies: Vec<Uuid>,
    /// Read the earlier system's fields (payment status, territory, salesperson) from each
    /// invoice's JSON document: the costly part of the query (the document is read for every
    /// row), so only reports that use them ask.
    pub legacy_fields: bool,
}

/// One live invoice as reports see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportInvoice {
    pub id: Uuid,
    pub status: InvoiceStatus,
    pub document_type: String,
    pub invoice_number: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
    pub currency: Option<String>,
    pub seller_name: Option<String>,
    pub buyer_name: Option<String>,
    pub net: Option<Decimal>,
    pub tax: Option<Decimal>,
    pub gross: Option<Decimal>,
    pub payable: Option<Decimal>,
    /// `legacy.payment_status` (`paid`, `open`, …) when the invoice says (and the filter
    /// asked for [`ReportFilter::legacy_fields`]).
    pub payment_status: Option<String>,
    /// `legacy.territory`.
    pub territory: Option<String>,
    /// `legacy.salesperson`.
    pub salesperson: Option<String>,
    pub confidence: f32,
}

/// One row of an invoice's VAT breakdown.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportVatRow {
    pub invoice_id: Uuid,
    pub status: InvoiceStatus,
    pub issue_date: Option<NaiveDate>,
    pub currency: Option<String>,
    pub category: Option<String>,
    pub rate: Option<Decimal>,
    pub taxable: Option<Decimal>,
    pub tax: Option<Decimal>,
}

/// The lines of one product (line description, trimmed and lower-cased) in one currency.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportProduct {
    pub currency: Option<String>,
    pub product: String,
    pub lines: u64,
    pub quantity: Decimal,
    /// Σ line net amounts.
    pub net: Decimal,
}

#[async_trait]
pub trait ReportStore: Send + Sync {
    async fn create_report(&self, new: NewReport) -> Result<ReportRecord>;
    /// `NotFound` when `owner` may not see it.
    async fn get_report(&self, id: Uuid, owner: ReportOwner) -> Result<ReportRecord>;
    /// The reports `owner` sees, newest first.
    async fn list_reports(
        &self,
        owner: ReportOwner,
        page: PageRequest,
    ) -> Result<Page<ReportRecord>>;
    /// Applies `update`; a status change stamps `started_at` (running) or `finished_at`
    /// (terminal). `InvalidState` when the report already finished.
    async fn update_report(&self, id: Uuid, update: ReportUpdate) -> Result<ReportRecord>;
    /// Replaces the report's files with `files`.
    async fn save_report_files(&self, id: Uuid, files: Vec<ReportFile>) -> Result<()>;
    /// One file of a report `owner` sees; `NotFound` when either is missing.
    async fn get_report_file(
        &self,
        id: Uuid,
        owner: ReportOwner,
        format: &str,
    ) -> Result<ReportFile>;
    /// Deletes a report and its files; `NotFound` when `owner` may not see it.
    async fn delete_report(&self, id: Uuid, owner: ReportOwner) -> Result<()>;
    /// Deletes the finished reports created before `before` (retention); returns how many.
    async fn delete_reports_before(&self, before: DateTime<Utc>) -> Result<u64>;

    async fn create_report_template(&self, new: NewReportTemplate) -> Result<ReportTemplate>;
    async fn list_report_templates(
        &self,
        owner: ReportOwner,
        page: PageRequest,
    ) -> Result<Page<ReportTemplate>>;
    /// `NotFound` when `owner` may not see it.
    async fn get_report_template(&self, id: Uuid, owner: ReportOwner) -> Result<ReportTemplate>;
    /// `NotFound` when `owner` may not see it.
    async fn delete_report_template(&self, id: Uuid, owner: ReportOwner) -> Result<()>;

    /// The live invoices in `scope` matching `filter`, by issue date.
    async fn report_invoices(
        &self,
        scope: Scope,
        filter: &ReportFilter,
    ) -> Result<Vec<ReportInvoice>>;
    /// The line totals per currency and product of the live invoices in `scope` matching
    /// `filter`, rejected invoices left out; lines without a description are not a product.
    async fn report_products(
        &self,
        scope: Scope,
        filter: &ReportFilter,
    ) -> Result<Vec<ReportProduct>>;
    /// The VAT breakdown rows of the live invoices in `scope` matching `filter`.
    async fn report_vat_rows(
        &self,
        scope: Scope,
        filter: &ReportFilter,
    ) -> Result<Vec<ReportVatRow>>;
}
