//! OpenAI Chat Completions, and any server that speaks it (Ollama, vLLM, LM Studio,
//! llama.cpp's server): `POST {base}/chat/completions` with `Authorization: Bearer`, images as
//! `image_url` data URLs, and `response_format: {type: json_schema, strict: true}`.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Finish, LlmAnswer, LlmRequest, Provider, Usage, b64, join_url, parse_body};
use crate::LlmError;
use crate::http::HttpClient;

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";
/// Vision-capable, structured outputs, inexpensive.
pub const DEFAULT_MODEL: &str = "gpt-4o-mini";

#[derive(Debug, Clone)]
pub struct OpenAiProvider {
    http: HttpClient,
    base_url: String,
    api_key: Option<String>,
    model: String,
    /// A compatible server: `max_tokens` instead of `max_completion_tokens`, no key required.
    compatible: bool,
}

impl OpenAiProvider {
    /// OpenAI itself.
    pub fn openai(http: HttpClient, base_url: &str, api_key: &str, model: &str) -> Self {
        OpenAiProvider {
            http,
            base_url: base_url.to_string(),
            api_key: Some(api_key.to_string()),
            model: model.to_string(),
            compatible: false,
        }
    }

    /// An OpenAI-compatible server; local servers often need no key.
    pub fn compatible(
        http: HttpClient,
        base_url: &str,
        api_key: Option<&str>,
        model: &str,
    ) -> Self {
        OpenAiProvider {
            http,
            base_url: base_url.to_string(),
            api_key: api_key.map(str::to_string),
            model: model.to_string(),
            compatible: true,
        }
    }

    /// The request body (public so tests and benches can see exactly what is sent).
    pub fn body(&self, req: &LlmRequest) -> Value {
        let mut content = vec![json!({"type": "text", "text": req.text})];
        for img in &req.images {
            content.push(json!({
                "type": "image_url",
                "image_url": {
                    "url": format!("data:{};base64,{}", img.media_type, b64(&img.data)),
                    "detail": "high"
                }
            }));
        }
        let mut messages = vec![
            json!({"role": "system", "content": req.system}),
            json!({"role": "user", "content": content}),
        ];
        if let Some(r) = &req.repair {
            messages.push(r.previous.clone());
            messages.push(json!({
                "role": "user",
                "content": format!(
                    "Your answer could not be used: {}. Answer again with one JSON object that \
                     follows the schema exactly.",
                    r.problem
                )
            }));
        }
        let limit_key = if self.compatible {
            "max_tokens"
        } else {
            "max_completion_tokens"
        };
        json!({
            "model": self.model,
            "messages": messages,
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": req.schema_name, "strict": true, "schema": req.schema}
            },
            limit_key: req.max_tokens,
        })
    }
}

#[async_trait]
impl Provider for OpenAiProvider {
    fn name(&self) -> &'static str {
        if self.compatible {
            "openai-compatible"
        } else {
            "openai"
        }
    }

    fn model(&self) -> &str {
        &self.model
    }

    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        let mut headers = Vec::new();
        if let Some(k) = &self.api_key {
            headers.push(("authorization", format!("Bearer {k}")));
        }
        let answer = self
            .http
            .post_json(
                &join_url(&self.base_url, "chat/completions"),
                &headers,
                &self.body(req),
            )
            .await?;
        let v = parse_body(&answer.body)?;
        let choice = v.pointer("/choices/0").ok_or(LlmError::Empty)?;
        let message = choice.get("message").cloned().unwrap_or(Value::Null);
        let content = message
            .get("content")
            .and_then(Value::as_str)
            .map(str::to_string);
        let refusal = message
            .get("refusal")
            .and_then(Value::as_str)
            .map(str::to_string);
        let finish = match choice.get("finish_reason").and_then(Value::as_str) {
            Some("stop") | None => Finish::Complete,
            Some("length") => Finish::Length,
            Some("content_filter") => Finish::Refused,
            Some(other) => Finish::Other(other.to_string()),
        };
        let finish = if refusal.is_some() {
            Finish::Refused
        } else {
            finish
        };
        let usage = Usage {
            input_tokens: v
                .pointer("/usage/prompt_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            output_tokens: v
                .pointer("/usage/completion_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        };
        let turn = json!({"role": "assistant", "content": content.clone().unwrap_or_default()});
        Ok(LlmAnswer {
            content,
            refusal,
            finish,
            usage,
            model: v
                .get("model")
                .and_then(Value::as_str)
                .unwrap_or(&self.model)
                .to_string(),
            turn,
            attempts: answer.attempts,
        })
    }
}
