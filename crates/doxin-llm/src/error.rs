//! LLM errors: what went wrong, whether a retry may help, and a stable code for job records.

use std::time::Duration;

/// Why a language model could not give a usable answer.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("the provider did not answer within {0:?}")]
    Timeout(Duration),
    #[error("cannot reach the provider: {0}")]
    Connect(String),
    #[error("the provider refused the credentials (HTTP {status}): {message}")]
    Unauthorized { status: u16, message: String },
    #[error("the provider rejected the request (HTTP {status}): {message}")]
    Rejected { status: u16, message: String },
    #[error("rate limited after {attempts} attempt(s): {message}")]
    RateLimited { attempts: u32, message: String },
    #[error("provider error (HTTP {status}) after {attempts} attempt(s): {message}")]
    Server {
        status: u16,
        attempts: u32,
        message: String,
    },
    #[error("the answer was cut off before it was complete: {0}")]
    Truncated(String),
    #[error("the answer does not match the invoice schema: {0}")]
    Malformed(String),
    #[error("the model refused to answer: {0}")]
    Refusal(String),
    #[error("the model gave an empty answer")]
    Empty,
    #[error("invalid LLM configuration: {0}")]
    Config(String),
}

impl LlmError {
    /// Whether the same request may succeed later (rate limits, outages, timeouts). The client
    /// has already retried these; a job queue may try the whole job again later.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self,
            LlmError::Timeout(_)
                | LlmError::Connect(_)
                | LlmError::RateLimited { .. }
                | LlmError::Server { .. }
        )
    }

    /// A stable code for job records and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            LlmError::Timeout(_) => "llm_timeout",
            LlmError::Connect(_) => "llm_unreachable",
            LlmError::Unauthorized { .. } => "llm_unauthorized",
            LlmError::Rejected { .. } => "llm_rejected",
            LlmError::RateLimited { .. } => "llm_rate_limited",
            LlmError::Server { .. } => "llm_server_error",
            LlmError::Truncated(_) => "llm_truncated",
            LlmError::Malformed(_) => "llm_malformed",
            LlmError::Refusal(_) => "llm_refusal",
            LlmError::Empty => "llm_empty",
            LlmError::Config(_) => "llm_config",
        }
    }
}
