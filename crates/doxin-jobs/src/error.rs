//! What can go wrong in the pipeline, split by what the worker should do about it.

use doxin_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("store: {0}")]
    Store(#[from] StoreError),
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// Redis over TLS cannot be set up: an unreadable or invalid CA file, a certificate that
    /// does not verify. Not retried: the configuration must change.
    #[error("redis TLS: {0}")]
    Tls(String),
    /// The document cannot become an invoice (corrupt, encrypted, unsupported…). Not retried.
    #[error("{message}")]
    Document { code: &'static str, message: String },
    /// A failure that may pass (an OCR crash, a tool not installed yet): tried again.
    #[error("{message}")]
    Retryable { code: &'static str, message: String },
    /// The job was cancelled or taken over by another worker while it ran.
    #[error("the job is no longer ours: {0}")]
    LostLease(String),
    #[error("internal: {0}")]
    Internal(String),
}

impl JobError {
    /// Whether the job should be tried again later rather than failed now.
    pub fn is_transient(&self) -> bool {
        match self {
            // A database that restarts answers with I/O errors, pool timeouts or "shutting
            // down" server errors; all of them pass. What cannot pass is the data's own state.
            JobError::Store(e) => !matches!(
                e,
                StoreError::NotFound
                    | StoreError::Conflict { .. }
                    | StoreError::InvalidState(_)
                    | StoreError::Corrupt(_)
                    | StoreError::Config(_)
                    | StoreError::PgvectorMissing { .. }
            ),
            JobError::Redis(_) | JobError::Retryable { .. } => true,
            JobError::Document { .. }
            | JobError::LostLease(_)
            | JobError::Internal(_)
            | JobError::Tls(_) => false,
        }
    }

    /// The stable code stored on a failed job.
    pub fn code(&self) -> &'static str {
        match self {
            JobError::Store(_) => "store_error",
            JobError::Redis(_) => "broker_error",
            JobError::Tls(_) => "broker_tls_error",
            JobError::Document { code, .. } | JobError::Retryable { code, .. } => code,
            JobError::LostLease(_) => "lost_lease",
            JobError::Internal(_) => "internal_error",
        }
    }
}
