//! Turning canonical invoices into documents for people and other systems.
//!
//! This crate owns the outbound formats. Today that is [`ubl`]: the canonical
//! [`Invoice`](doxin_model::Invoice) written as an OASIS UBL 2.1 `Invoice` or `CreditNote`
//! following the EN 16931 syntax binding, so anything DoxIn extracted (from a scan, a PDF or
//! another e-invoice syntax) can be handed to an ERP or a Peppol access point as a structured
//! e-invoice; and [`export`]: one invoice or a set as CSV, XLSX, JSON or UBL (a ZIP for a
//! set; and [`report`]: financial, sales, key-figure, aging, VAT and vendor reports computed
//! from invoice facts and rendered to XLSX (native charts) or CSV.
//!
//! It must not do I/O: functions take model values and return bytes or text; storing or
//! sending them is the caller's business.
#![forbid(unsafe_code)]

pub mod export;
pub mod report;
pub mod ubl;
mod xml;

pub use export::{ExportFormat, ExportItem, RenderError, Rendered, render};
pub use ubl::{ExportError, to_ubl, to_ubl_bytes};
