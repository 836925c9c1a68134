//! What a workspace knows that one invoice does not: its approval rules and each vendor's
//! earlier invoices. Shared by the pipeline (auto-approval, DX-AMT-01 on arrival) and the
//! invoice routes (DX-AMT-01 on every edit), so both judge an invoice the same way.

use doxin_model::Decimal;
use doxin_model::approval::ApprovalRules;
use doxin_model::validation::{Finding, vendor_range};
use doxin_store::{InvoiceFilter, InvoiceStatus, PageRequest, Scope, Store};
use uuid::Uuid;

use crate::Result;

/// How many of a vendor's most recent invoices make its usual range.
const HISTORY: u32 = 200;

/// The approval rules of `workspace` (none: the defaults). Stored rules were checked when they
/// were set; unreadable ones (fields of a newer version) fall back to the strictest reading, two
/// approvals for everything and no automatic approval, rather than to none.
pub async fn workspace_rules(store: &dyn Store, workspace: Option<Uuid>) -> Result<ApprovalRules> {
    let Some(id) = workspace else {
        return Ok(ApprovalRules::default());
    };
    let ws = store.get_workspace(id).await?;
    Ok(ApprovalRules::from_json(&ws.approval_rules).unwrap_or_else(|e| {
        tracing::warn!(workspace = %id, error = %e, "unreadable approval rules; asking two approvals");
        ApprovalRules {
            second_approval_above: Some(Decimal::ZERO),
            ..ApprovalRules::default()
        }
    }))
}

/// A vendor's earlier invoices in a workspace, as far as approval cares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct VendorHistory {
    /// Earlier invoices that were not rejected, in any currency.
    pub invoices: usize,
    /// Their totals with VAT in the currency asked for.
    pub totals: Vec<Decimal>,
}

impl VendorHistory {
    /// The workspace has had invoices from this vendor before.
    pub fn known(&self) -> bool {
        self.invoices > 0
    }
}

/// The earlier invoices of `vendor` in `workspace` other than `exclude` (the invoice being
/// judged), with totals in `currency`. Rejected invoices are not history: their amounts may be
/// exactly what was wrong.
pub async fn vendor_history(
    store: &dyn Store,
    workspace: Option<Uuid>,
    vendor: Option<Uuid>,
    currency: Option<&str>,
    exclude: Option<Uuid>,
) -> Result<VendorHistory> {
    let Some(vendor) = vendor else {
        return Ok(VendorHistory::default());
    };
    let scope = match workspace {
        Some(w) => Scope::admin_of(w),
        None => Scope::All,
    };
    let filter = InvoiceFilter {
        vendor_id: Some(vendor),
        ..Default::default()
    };
    let page = store
        .list_invoices(scope, &filter, PageRequest::new(1, HISTORY))
        .await?;
    let earlier: Vec<_> = page
        .items
        .into_iter()
        .filter(|i| Some(i.id) != exclude && i.status != InvoiceStatus::Rejected)
        .filter(|i| i.workspace_id == workspace)
        .collect();
    Ok(VendorHistory {
        invoices: earlier.len(),
        totals: earlier
            .iter()
            .filter(|i| currency.is_some() && i.currency.as_deref() == currency)
            .filter_map(|i| i.gross_amount)
            .collect(),
    })
}

/// DX-AMT-01 for `invoice` against its vendor's history in `workspace`.
pub async fn vendor_range_finding(
    store: &dyn Store,
    workspace: Option<Uuid>,
    vendor: Option<Uuid>,
    invoice: &doxin_model::Invoice,
    exclude: Option<Uuid>,
) -> Result<Option<Finding>> {
    let currency = invoice.currency.as_ref().map(|c| c.value.as_str());
    let history = vendor_history(store, workspace, vendor, currency, exclude).await?;
    Ok(vendor_range(invoice, &history.totals))
}
