//! Extraction errors: permanent ones (the document is bad) apart from retryable ones (a
//! resource was missing or busy), so the job queue knows whether to try again.

/// Why a document could not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("the file is empty")]
    Empty,
    #[error("the file is {size} bytes; the limit is {limit}")]
    TooLarge { size: u64, limit: u64 },
    #[error("unsupported file type: {0}")]
    Unsupported(String),
    #[error("the file claims to be {claimed} but its content is {actual}")]
    TypeMismatch { claimed: String, actual: String },
    #[error("the PDF is encrypted; remove the password and upload it again")]
    EncryptedPdf,
    #[error("the file is damaged: {0}")]
    Corrupt(String),
    #[error("invalid e-invoice XML: {0}")]
    Xml(#[from] crate::einvoice::XmlError),
    #[error("OCR is not available: {0}")]
    OcrUnavailable(String),
    #[error("OCR failed: {0}")]
    OcrFailed(String),
}

impl ExtractError {
    /// Whether the same document may succeed later (a missing tool installed, a crash).
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            ExtractError::OcrUnavailable(_) | ExtractError::OcrFailed(_)
        )
    }

    /// A stable code for job records and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            ExtractError::Empty => "empty_file",
            ExtractError::TooLarge { .. } => "file_too_large",
            ExtractError::Unsupported(_) => "unsupported_type",
            ExtractError::TypeMismatch { .. } => "type_mismatch",
            ExtractError::EncryptedPdf => "encrypted_pdf",
            ExtractError::Corrupt(_) => "corrupt_file",
            ExtractError::Xml(_) => "invalid_xml",
            ExtractError::OcrUnavailable(_) => "ocr_unavailable",
            ExtractError::OcrFailed(_) => "ocr_failed",
        }
    }
}
