//! The provider interface: one structured-output request, one answer, whatever the API.

pub mod anthropic;
pub mod openai;

use async_trait::async_trait;
use serde::Serialize;
use serde_json::Value;

use crate::LlmError;

/// A page image sent to a vision model.
#[derive(Debug, Clone)]
pub struct Image {
    /// `image/png`, `image/jpeg`, `image/webp` or `image/gif`.
    pub media_type: &'static str,
    pub data: Vec<u8>,
    /// 1-based page the image shows.
    pub page: u32,
}

/// One request for a structured answer.
#[derive(Debug, Clone)]
pub struct LlmRequest {
    pub system: String,
    /// The user turn's text (instructions plus the document's layout text).
    pub text: String,
    pub images: Vec<Image>,
    /// The JSON schema the answer must follow.
    pub schema: Value,
    /// The schema's (or tool's) name.
    pub schema_name: &'static str,
    pub max_tokens: u32,
    /// Set on the second try: the previous answer and what was wrong with it.
    pub repair: Option<Repair>,
}

/// What the model said last time and why it was not accepted.
#[derive(Debug, Clone)]
pub struct Repair {
    /// The provider's own representation of the previous assistant turn.
    pub previous: Value,
    pub problem: String,
}

/// Why the model stopped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Finish {
    /// A complete answer.
    Complete,
    /// The token limit cut the answer.
    Length,
    /// The model (or its safety filter) declined.
    Refused,
    Other(String),
}

/// Tokens billed for a request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, o: Usage) {
        self.input_tokens += o.input_tokens;
        self.output_tokens += o.output_tokens;
    }
}

/// The answer, before schema validation.
#[derive(Debug, Clone)]
pub struct LlmAnswer {
    /// The structured answer as JSON text (OpenAI's message content, Anthropic's tool input).
    pub content: Option<String>,
    /// A refusal message when the model declined.
    pub refusal: Option<String>,
    pub finish: Finish,
    pub usage: Usage,
    /// The model that answered, as the provider names it.
    pub model: String,
    /// The assistant turn as the provider represents it, for a repair request.
    pub turn: Value,
    /// HTTP attempts made.
    pub attempts: u32,
}

/// A language model service.
#[async_trait]
pub trait Provider: Send + Sync {
    /// `openai`, `anthropic` or `openai-compatible`.
    fn name(&self) -> &'static str;
    fn model(&self) -> &str;
    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError>;
}

/// Joins a base URL and a path without doubling or losing the slash.
pub(crate) fn join_url(base: &str, path: &str) -> String {
    format!(
        "{}/{}",
        base.trim_end_matches('/'),
        path.trim_start_matches('/')
    )
}

pub(crate) fn b64(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Parses a provider's 2xx body, which must be JSON.
pub(crate) fn parse_body(body: &str) -> Result<Value, LlmError> {
    serde_json::from_str(body).map_err(|e| {
        if e.is_eof() {
            LlmError::Truncated(format!("the response body ended early: {e}"))
        } else {
            LlmError::Malformed(format!("the response body is not JSON: {e}"))
        }
    })
}
