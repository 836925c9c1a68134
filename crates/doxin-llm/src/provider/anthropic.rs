//! Anthropic Messages API: `POST {base}/v1/messages` with `x-api-key` and `anthropic-version`,
//! images as base64 `image` blocks before the text, and the structured answer forced through
//! a single tool whose `input_schema` is the invoice schema.

use async_trait::async_trait;
use serde_json::{Value, json};

use super::{Finish, LlmAnswer, LlmRequest, Provider, Usage, b64, join_url, parse_body};
use crate::LlmError;
use crate::http::HttpClient;

pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// Vision-capable and good at tool use.
pub const DEFAULT_MODEL: &str = "claude-sonnet-4-5";
/// The API version this client speaks.
pub const API_VERSION: &str = "2023-06-01";

#[derive(Debug, Clone)]
pub struct AnthropicProvider {
    http: HttpClient,
    base_url: String,
    api_key: String,
    model: String,
}

impl AnthropicProvider {
    pub fn new(http: HttpClient, base_url: &str, api_key: &str, model: &str) -> Self {
        AnthropicProvider {
            http,
            base_url: base_url.to_string(),
            api_key: api_key.to_string(),
            model: model.to_string(),
        }
    }

    /// The request body (public so tests can see exactly what is sent).
    pub fn body(&self, req: &LlmRequest) -> Value {
        // Images first: Anthropic recommends images before the text that refers to them.
        let mut content: Vec<Value> = req
            .images
            .iter()
            .map(|img| {
                json!({
                    "type": "image",
                    "source": {"type": "base64", "media_type": img.media_type, "data": b64(&img.data)}
                })
            })
            .collect();
        content.push(json!({"type": "text", "text": req.text}));
        let mut messages = vec![json!({"role": "user", "content": content})];
        if let Some(r) = &req.repair {
            messages.push(r.previous.clone());
            let tool_use_id = r
                .previous
                .get("content")
                .and_then(Value::as_array)
                .and_then(|blocks| {
                    blocks
                        .iter()
                        .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
                })
                .and_then(|b| b.get("id"))
                .and_then(Value::as_str);
            let problem = format!(
                "This input could not be used: {}. Call {} again with input that follows the \
                 schema exactly.",
                r.problem, req.schema_name
            );
            // A tool call must be answered by its tool_result; a text answer by text.
            let reply = match tool_use_id {
                Some(id) => json!([{
                    "type": "tool_result", "tool_use_id": id, "is_error": true, "content": problem
                }]),
                None => json!([{"type": "text", "text": problem}]),
            };
            messages.push(json!({"role": "user", "content": reply}));
        }
        json!({
            "model": self.model,
            "max_tokens": req.max_tokens,
            "system": req.system,
            "messages": messages,
            "tools": [{
                "name": req.schema_name,
                "description": "Record the invoice data read from the document.",
                "input_schema": req.schema
            }],
            "tool_choice": {"type": "tool", "name": req.schema_name}
        })
    }
}

#[async_trait]
impl Provider for AnthropicProvider {
    fn name(&self) -> &'static str {
        "anthropic"
    }

    fn model(&self) -> &str {
        &self.model
    }

    async fn complete(&self, req: &LlmRequest) -> Result<LlmAnswer, LlmError> {
        let headers = [
            ("x-api-key", self.api_key.clone()),
            ("anthropic-version", API_VERSION.to_string()),
        ];
        let answer = self
            .http
            .post_json(
                &join_url(&self.base_url, "v1/messages"),
                &headers,
                &self.body(req),
            )
            .await?;
        let v = parse_body(&answer.body)?;
        let blocks = v
            .get("content")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let tool_input = blocks
            .iter()
            .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
            .and_then(|b| b.get("input"));
        let text: String = blocks
            .iter()
            .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
            .filter_map(|b| b.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n");
        let finish = match v.get("stop_reason").and_then(Value::as_str) {
            Some("tool_use") | Some("end_turn") | Some("stop_sequence") | None => Finish::Complete,
            Some("max_tokens") => Finish::Length,
            Some("refusal") => Finish::Refused,
            Some(other) => Finish::Other(other.to_string()),
        };
        // The tool input is already parsed JSON; as text it takes the same strict path as
        // OpenAI's content. A model that answered in prose instead gets that prose checked.
        let content = match tool_input {
            Some(input) => Some(input.to_string()),
            None if !text.trim().is_empty() => Some(text.clone()),
            None => None,
        };
        let refusal = (finish == Finish::Refused).then(|| {
            if text.is_empty() {
                "stop_reason=refusal".to_string()
            } else {
                text.clone()
            }
        });
        let usage = Usage {
            input_tokens: v
                .pointer("/usage/input_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0),
            output_tokens: v
                .pointer("/usage/output_tokens")
                .and_then(Value::as_u64)
                .unwrap_or(0),
        };
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
            turn: json!({"role": "assistant", "content": blocks}),
            attempts: answer.attempts,
        })
    }
}
