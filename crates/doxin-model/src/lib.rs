//! The canonical invoice of DoxIn and everything that can be said about it without I/O.
//!
//! The model follows EN 16931 (it maps 1:1 to UBL and CII and carries the arithmetic business
//! rules), plus the extras commercial extractors expose and the fields of the earlier system.
//! Every extracted value is an [`Extracted`] carrying its provenance (raw text, confidence,
//! page, box and [`Source`]). Amounts are [`rust_decimal::Decimal`], never floats.
//!
//! This crate owns: the invoice types ([`invoice`]), provenance ([`provenance`]), value types
//! that cannot hold invalid values ([`vat_id`], [`iban`], [`currency`], [`country`]), validation
//! rules returning structured findings ([`validation`]) and the job vocabulary ([`job`]).
//! It must not do I/O.
#![forbid(unsafe_code)]

pub mod approval;
pub mod correction;
pub mod country;
pub mod currency;
pub mod iban;
pub mod invoice;
pub mod job;
pub mod provenance;
pub mod review;
pub mod validation;
pub mod vat_id;
pub mod vat_rates;

pub use invoice::{
    Address, AllowanceCharge, BankAccount, Contact, DocumentType, Invoice, InvoiceLine,
    LegacyFields, Party, Totals, VatBreakdown,
};
pub use job::{JobStage, JobStatus, TransitionError};
pub use provenance::{BBox, Extracted, Field, Source};
pub use rust_decimal::Decimal;
pub use validation::{
    Finding, FindingValue, RuleId, Severity, Tolerance, ValidationReport, validate, validate_report,
};
pub use {country::CountryCode, currency::CurrencyCode, iban::Iban, vat_id::VatId};
