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
    /// Over a structural limit or the sandbox's memory, CPU or time budget: permanent.
    #[error("the document is too complex to process: {0}")]
    TooComplex(String),
    /// The process reading the document died (a parser bug on this file): permanent, so a job
    /// is not retried into the same crash.
    #[error("reading the document crashed: {0}")]
    Crashed(String),
    /// An error reported by a sandboxed child process, with the child's code and message.
    #[error("{message}")]
    Reported {
        code: &'static str,
        message: String,
        retryable: bool,
    },
}

/// Every code [`ExtractError::code`] can return.
pub const ERROR_CODES: &[&str] = &[
    "empty_file",
    "file_too_large",
    "unsupported_type",
    "type_mismatch",
    "encrypted_pdf",
    "corrupt_file",
    "invalid_xml",
    "ocr_unavailable",
    "ocr_failed",
    "document_too_complex",
    "extraction_crashed",
];

impl ExtractError {
    /// Whether the same document may succeed later (a missing tool installed, a crash).
    pub fn is_retryable(&self) -> bool {
        match self {
            ExtractError::OcrUnavailable(_) | ExtractError::OcrFailed(_) => true,
            ExtractError::Reported { retryable, .. } => *retryable,
            _ => false,
        }
    }

    /// Rebuilds an error a child process reported as `(code, message, retryable)`; an unknown
    /// code (a newer child) keeps its message under `corrupt_file`.
    pub fn reported(code: &str, message: String, retryable: bool) -> Self {
        let code = ERROR_CODES
            .iter()
            .copied()
            .find(|c| *c == code)
            .unwrap_or("corrupt_file");
        ExtractError::Reported {
            code,
            message,
            retryable,
        }
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
            ExtractError::TooComplex(_) => "document_too_complex",
            ExtractError::Crashed(_) => "extraction_crashed",
            ExtractError::Reported { code, .. } => code,
        }
    }
}
