//! Language models as one more evidence source for extraction.
//!
//! [`provider`]: OpenAI Chat Completions (strict JSON schema), Anthropic Messages (a forced
//! tool) and any OpenAI-compatible server, behind one [`Provider`] trait. [`http`]: timeouts,
//! retries with backoff and jitter on 429/5xx honouring `Retry-After`, none on other 4xx.
//! [`schema`]: the answer's JSON schema and its strict parse (one repair request, then a typed
//! [`LlmError`]). [`merge`]: the model's invoice merged field by field into the rules' one,
//! provenance `source = llm`, conflicts decided by validation or sent to review.
//! [`hybrid`]: the `rules` / `llm` / `hybrid` modes over `doxin_extract`'s pipeline, with token
//! usage and cost ([`pricing`]). This crate talks HTTP to model providers; it knows nothing of
//! the database or of DoxIn's own HTTP API.
#![forbid(unsafe_code)]

mod error;
pub mod http;
pub mod hybrid;
pub mod merge;
pub mod pricing;
pub mod prompt;
pub mod provider;
pub mod schema;

use std::sync::Arc;
use std::time::Duration;

pub use error::LlmError;
pub use hybrid::{HybridError, HybridExtraction, LlmExtractor, LlmOptions, LlmReport, Mode};
pub use provider::{Provider, Usage};

/// Which API a provider speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    OpenAi,
    Anthropic,
    OpenAiCompatible,
}

/// Everything needed to build a provider.
#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub kind: ProviderKind,
    pub base_url: String,
    pub api_key: Option<String>,
    pub model: String,
    pub timeout: Duration,
    pub retry: http::RetryPolicy,
}

/// Builds the configured provider.
pub fn build_provider(cfg: &ProviderConfig) -> Result<Arc<dyn Provider>, LlmError> {
    let http = http::HttpClient::new(cfg.timeout, cfg.retry.clone())?;
    let key = cfg.api_key.as_deref().filter(|k| !k.is_empty());
    Ok(match cfg.kind {
        ProviderKind::OpenAi => {
            let key = key.ok_or_else(|| LlmError::Config("OPENAI_API_KEY is not set".into()))?;
            Arc::new(provider::openai::OpenAiProvider::openai(
                http,
                &cfg.base_url,
                key,
                &cfg.model,
            ))
        }
        ProviderKind::OpenAiCompatible => Arc::new(provider::openai::OpenAiProvider::compatible(
            http,
            &cfg.base_url,
            key,
            &cfg.model,
        )),
        ProviderKind::Anthropic => {
            let key = key.ok_or_else(|| LlmError::Config("ANTHROPIC_API_KEY is not set".into()))?;
            Arc::new(provider::anthropic::AnthropicProvider::new(
                http,
                &cfg.base_url,
                key,
                &cfg.model,
            ))
        }
    })
}

#[cfg(feature = "fake-server")]
pub mod fake;
