//! Text embeddings for similarity search and near-duplicate detection.
//!
//! One interface, [`Embedder`], three providers:
//! - [`local::LocalEmbedder`]: all-MiniLM-L6-v2 (384 dimensions) run on the CPU with candle
//!   from a model directory (`config.json`, `tokenizer.json`, `model.safetensors`); nothing is
//!   downloaded;
//! - [`openai::OpenAiEmbedder`]: `text-embedding-3-small` or any OpenAI-compatible
//!   `/embeddings` endpoint, dimensions configurable;
//! - [`hash::HashEmbedder`]: character n-gram feature hashing, no model at all, so similarity
//!   search always works.
//!
//! Every result says which provider, model and dimension produced it ([`Embeddings`]), because
//! vectors from different models cannot be compared: the store keeps them with the vectors and
//! re-embeds when they change. This crate owns embedding; it stores nothing.
#![forbid(unsafe_code)]

mod bert;
pub mod hash;
pub mod local;
pub mod openai;

use async_trait::async_trait;
use serde::Serialize;

/// Vectors with what produced them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Embeddings {
    /// `local`, `openai` or `hash`.
    pub provider: &'static str,
    /// The model name (for `hash`, its parameters).
    pub model: String,
    pub dimension: usize,
    /// One unit-length vector per input text, in input order.
    pub vectors: Vec<Vec<f32>>,
    /// Tokens billed by a remote provider, when it reports them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<u64>,
}

/// Why texts could not be embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("cannot load the embedding model from {path}: {reason}")]
    ModelLoad { path: String, reason: String },
    #[error("tokenizer failed: {0}")]
    Tokenizer(String),
    #[error("model inference failed: {0}")]
    Inference(String),
    #[error("embedding request failed: {0}")]
    Remote(#[from] doxin_llm::LlmError),
    #[error("the embedding endpoint answered {got} vectors for {expected} texts")]
    CountMismatch { expected: usize, got: usize },
    #[error("invalid embedding configuration: {0}")]
    Config(String),
}

impl EmbedError {
    /// Whether trying again later may succeed (a busy or unreachable endpoint).
    pub fn is_retryable(&self) -> bool {
        match self {
            EmbedError::Remote(e) => e.is_retryable(),
            _ => false,
        }
    }
}

/// Turns texts into vectors. Implementations are cheap to share (`Arc<dyn Embedder>`).
#[async_trait]
pub trait Embedder: Send + Sync {
    /// `local`, `openai` or `hash`.
    fn provider(&self) -> &'static str;
    fn model(&self) -> &str;
    fn dimension(&self) -> usize;
    /// Embeds `texts`; the vectors are L2-normalised, so cosine similarity is a dot product.
    /// The local model computes on the calling thread: call it from a blocking task when
    /// latency of other tasks matters.
    async fn embed(&self, texts: &[String]) -> Result<Embeddings, EmbedError>;
}

/// Cosine similarity of two vectors (0 when either is zero or their lengths differ).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0f32, 0f32, 0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    dot / (na.sqrt() * nb.sqrt())
}

/// Scales `v` to unit length in place (a zero vector stays zero).
pub(crate) fn l2_normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v {
            *x /= norm;
        }
    }
}

/// Indices of `candidates` ordered by decreasing cosine similarity to `query`.
pub fn rank(query: &[f32], candidates: &[Vec<f32>]) -> Vec<(usize, f32)> {
    let mut scored: Vec<(usize, f32)> = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| (i, cosine(query, c)))
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_of_parallel_and_orthogonal_vectors() {
        assert!((cosine(&[1.0, 0.0], &[2.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!(cosine(&[1.0, 0.0], &[0.0, 3.0]).abs() < 1e-6);
        assert_eq!(cosine(&[1.0], &[1.0, 2.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 2.0]), 0.0);
    }

    #[test]
    fn rank_orders_by_similarity() {
        let r = rank(
            &[1.0, 0.0],
            &[vec![0.0, 1.0], vec![1.0, 0.1], vec![0.5, 0.5]],
        );
        let order: Vec<usize> = r.iter().map(|(i, _)| *i).collect();
        assert_eq!(order, vec![1, 2, 0]);
    }
}
