//! JSON: the canonical invoice with its bookkeeping.
//!
//! The invoice is serialised exactly as the model defines it (decimals as strings, each value
//! with its provenance), so an export reads back into [`doxin_model::Invoice`] unchanged; see
//! [`ExportedInvoice`]. A set is an object with a `count` and an `invoices` array, not a bare
//! array, so fields can be added later without breaking readers.

use chrono::{DateTime, Utc};
use doxin_model::Invoice;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{ExportItem, RenderError};

/// One exported invoice: the bookkeeping, then the canonical invoice. Owned so that readers
/// (tests, importers) can deserialise an export with the same type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedInvoice {
    pub id: Uuid,
    pub status: String,
    pub confidence: f32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub invoice: Invoice,
}

/// A set of exported invoices.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportedSet {
    pub count: usize,
    pub invoices: Vec<ExportedInvoice>,
}

/// The borrowed twin of [`ExportedInvoice`], so exporting does not clone every invoice.
#[derive(Serialize)]
struct ItemJson<'a> {
    id: Uuid,
    status: &'a str,
    confidence: f32,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    invoice: &'a Invoice,
}

impl<'a> From<&ExportItem<'a>> for ItemJson<'a> {
    fn from(i: &ExportItem<'a>) -> Self {
        ItemJson {
            id: i.id,
            status: i.status,
            confidence: i.confidence,
            created_at: i.created_at,
            updated_at: i.updated_at,
            invoice: i.invoice,
        }
    }
}

#[derive(Serialize)]
struct SetJson<'a> {
    count: usize,
    invoices: Vec<ItemJson<'a>>,
}

/// One invoice as a JSON object ([`ExportedInvoice`]).
pub fn to_json_one(item: &ExportItem<'_>) -> Result<Vec<u8>, RenderError> {
    Ok(serde_json::to_vec_pretty(&ItemJson::from(item))?)
}

/// A set as `{"count": n, "invoices": [...]}` ([`ExportedSet`]), compact: a set can hold
/// thousands of invoices, and indentation would roughly double its size.
pub fn to_json(items: &[ExportItem<'_>]) -> Result<Vec<u8>, RenderError> {
    let set = SetJson {
        count: items.len(),
        invoices: items.iter().map(ItemJson::from).collect(),
    };
    Ok(serde_json::to_vec(&set)?)
}
