//! OpenAI embeddings (`text-embedding-3-small` by default) or any OpenAI-compatible
//! `POST {base}/embeddings` endpoint, through the same robust client as the LLM providers.

use async_trait::async_trait;
use doxin_llm::LlmError;
use doxin_llm::http::HttpClient;
use serde_json::{Value, json};

use crate::{EmbedError, Embedder, Embeddings, l2_normalise};

pub const DEFAULT_MODEL: &str = "text-embedding-3-small";
/// text-embedding-3-small's native size.
pub const DEFAULT_DIMENSION: usize = 1536;
/// Inputs per request: OpenAI accepts up to 2048; smaller batches retry cheaper.
const BATCH: usize = 256;

#[derive(Debug, Clone)]
pub struct OpenAiEmbedder {
    http: HttpClient,
    base_url: String,
    api_key: Option<String>,
    model: String,
    /// Requested size (`dimensions`), when not the model's native one.
    dimensions: Option<usize>,
}

impl OpenAiEmbedder {
    pub fn new(
        http: HttpClient,
        base_url: &str,
        api_key: Option<&str>,
        model: &str,
        dimensions: Option<usize>,
    ) -> Self {
        OpenAiEmbedder {
            http,
            base_url: base_url.trim_end_matches('/').to_string(),
            api_key: api_key.map(str::to_string),
            model: model.to_string(),
            dimensions,
        }
    }

    /// The request body (public so tests can see exactly what is sent).
    pub fn body(&self, texts: &[String]) -> Value {
        let mut body = json!({"model": self.model, "input": texts, "encoding_format": "float"});
        if let Some(d) = self.dimensions {
            body["dimensions"] = json!(d);
        }
        body
    }

    async fn embed_batch(&self, texts: &[String]) -> Result<(Vec<Vec<f32>>, u64), EmbedError> {
        let mut headers = Vec::new();
        if let Some(k) = &self.api_key {
            headers.push(("authorization", format!("Bearer {k}")));
        }
        let answer = self
            .http
            .post_json(
                &format!("{}/embeddings", self.base_url),
                &headers,
                &self.body(texts),
            )
            .await?;
        let v: Value = serde_json::from_str(&answer.body).map_err(|e| {
            EmbedError::Remote(if e.is_eof() {
                LlmError::Truncated(e.to_string())
            } else {
                LlmError::Malformed(format!("the embeddings response is not JSON: {e}"))
            })
        })?;
        let data = v
            .get("data")
            .and_then(Value::as_array)
            .ok_or_else(|| EmbedError::Remote(LlmError::Malformed("no data array".into())))?;
        let mut out: Vec<Option<Vec<f32>>> = vec![None; texts.len()];
        for (pos, item) in data.iter().enumerate() {
            // `index` says which input a vector belongs to; order is not promised.
            let i = item
                .get("index")
                .and_then(Value::as_u64)
                .map(|i| i as usize)
                .unwrap_or(pos);
            let vec: Vec<f32> = item
                .get("embedding")
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    EmbedError::Remote(LlmError::Malformed(format!("item {pos} has no embedding")))
                })?
                .iter()
                .map(|x| x.as_f64().map(|f| f as f32))
                .collect::<Option<_>>()
                .ok_or_else(|| {
                    EmbedError::Remote(LlmError::Malformed(format!(
                        "item {pos} has a non-numeric value"
                    )))
                })?;
            match out.get_mut(i) {
                Some(slot) => *slot = Some(vec),
                None => {
                    return Err(EmbedError::CountMismatch {
                        expected: texts.len(),
                        got: data.len(),
                    });
                }
            }
        }
        let vectors: Vec<Vec<f32>> =
            out.into_iter()
                .collect::<Option<_>>()
                .ok_or(EmbedError::CountMismatch {
                    expected: texts.len(),
                    got: data.len(),
                })?;
        let tokens = v
            .pointer("/usage/total_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        Ok((vectors, tokens))
    }
}

#[async_trait]
impl Embedder for OpenAiEmbedder {
    fn provider(&self) -> &'static str {
        "openai"
    }
    fn model(&self) -> &str {
        &self.model
    }
    fn dimension(&self) -> usize {
        self.dimensions.unwrap_or(DEFAULT_DIMENSION)
    }
    async fn embed(&self, texts: &[String]) -> Result<Embeddings, EmbedError> {
        let mut vectors = Vec::with_capacity(texts.len());
        let mut tokens = 0;
        for chunk in texts.chunks(BATCH) {
            let (v, t) = self.embed_batch(chunk).await?;
            vectors.extend(v);
            tokens += t;
        }
        for v in &mut vectors {
            // Compatible servers do not all normalise; cosine = dot product needs it.
            l2_normalise(v);
        }
        let dimension = vectors.first().map(Vec::len).unwrap_or(self.dimension());
        if let Some(bad) = vectors.iter().find(|v| v.len() != dimension) {
            return Err(EmbedError::Remote(LlmError::Malformed(format!(
                "vectors of different sizes ({} and {dimension})",
                bad.len()
            ))));
        }
        Ok(Embeddings {
            provider: "openai",
            model: self.model.clone(),
            dimension,
            vectors,
            tokens: Some(tokens),
        })
    }
}
