//! What imports need from the database ([`ImportStore`]): reference data (categories,
//! subcategories, products, territories, salespersons, ship methods), companies and invoices
//! keyed by the identifiers their source gave them, so that importing a file again creates
//! nothing twice and rewrites only what changed.
//!
//! Every upsert compares a hash of the source row with the one stored at the last import:
//! equal is `unchanged` (no write at all), different is `updated`, absent is `created`. The
//! hash is the importer's business; the store only keeps it.

use std::collections::HashMap;

use async_trait::async_trait;
use doxin_model::Decimal;
use serde::Serialize;
use uuid::Uuid;

use crate::{CompanyKind, NewInvoice, Result, Scope};

/// The kinds of reference data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReferenceKind {
    Category,
    Subcategory,
    Product,
    Territory,
    Salesperson,
    ShipMethod,
}

impl ReferenceKind {
    pub const ALL: [ReferenceKind; 6] = [
        ReferenceKind::Category,
        ReferenceKind::Subcategory,
        ReferenceKind::Product,
        ReferenceKind::Territory,
        ReferenceKind::Salesperson,
        ReferenceKind::ShipMethod,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReferenceKind::Category => "category",
            ReferenceKind::Subcategory => "subcategory",
            ReferenceKind::Product => "product",
            ReferenceKind::Territory => "territory",
            ReferenceKind::Salesperson => "salesperson",
            ReferenceKind::ShipMethod => "ship_method",
        }
    }
}

/// One row of reference data as imported.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceRow {
    pub kind: ReferenceKind,
    /// The source's identifier (e.g. AdventureWorks' `ProductID`), unique per kind.
    pub external_id: String,
    pub name: String,
    /// subcategory → category, product → subcategory, salesperson → territory.
    pub parent_id: Option<String>,
    pub unit_cost: Option<Decimal>,
    pub list_price: Option<Decimal>,
    pub currency: Option<String>,
    /// Whatever else the source row held that is worth keeping.
    pub attributes: serde_json::Value,
    pub content_hash: String,
}

/// A company as imported, keyed by the source's identifier.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedCompany {
    pub external_ref: String,
    pub kind: CompanyKind,
    pub name: String,
    pub vat_id: Option<String>,
    pub country: Option<String>,
    pub address: serde_json::Value,
    pub content_hash: String,
}

/// An invoice as imported: its natural key (unique among a workspace's live invoices), the
/// hash of the rows it came from, and the invoice itself.
#[derive(Debug, Clone)]
pub struct ImportedInvoice {
    pub key: String,
    pub content_hash: String,
    pub new: NewInvoice,
}

/// What an upsert did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct UpsertCounts {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
}

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, o: UpsertCounts) {
        self.created += o.created;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// A product's known cost, for the profit margin report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProductCost {
    pub product: String,
    pub currency: String,
    pub unit_cost: Decimal,
}

#[async_trait]
pub trait ImportStore: Send + Sync {
    /// Creates or updates reference rows of a workspace, in one transaction.
    async fn upsert_reference(
        &self,
        workspace: Uuid,
        rows: &[ReferenceRow],
    ) -> Result<UpsertCounts>;

    /// Creates or updates companies of a workspace by their external reference, in one
    /// transaction; returns the company id of every row.
    async fn upsert_imported_companies(
        &self,
        workspace: Uuid,
        rows: &[ImportedCompany],
    ) -> Result<(UpsertCounts, HashMap<String, Uuid>)>;

    /// Creates or updates invoices by their import key, in one transaction (the caller
    /// batches: a thousand at a time is a good size). Every invoice must belong to
    /// `workspace`. An updated invoice gets the new document, columns, findings, status and
    /// lines.
    async fn upsert_imported_invoices(
        &self,
        workspace: Uuid,
        rows: Vec<ImportedInvoice>,
    ) -> Result<UpsertCounts>;

    /// Reference rows of a workspace per kind.
    async fn count_reference(&self, workspace: Uuid) -> Result<Vec<(ReferenceKind, u64)>>;

    /// Products with a known cost in the scope (an admin's `All`: every workspace's).
    async fn product_costs(&self, scope: Scope) -> Result<Vec<ProductCost>>;
}
