//! Structured e-invoices (UBL 2.x, CII D16B, ZUGFeRD 1.0), parsed exactly. (In progress.)

/// Why an XML document is not a readable e-invoice.
#[derive(Debug, thiserror::Error)]
pub enum XmlError {
    #[error("{0}")]
    Malformed(String),
}
