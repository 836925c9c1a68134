//! The model-free fallback: character n-gram feature hashing.
//!
//! Each word (lower-cased, between boundary marks) contributes its 3-, 4- and 5-character
//! grams; each gram is hashed (FNV-1a, fixed, so vectors are stable across machines and
//! releases) to a bucket and a sign; counts are log-scaled so one repeated word does not
//! dominate; the vector is L2-normalised. It finds texts that share words and word parts
//! (`Bürostuhl` / `Bürostühle` share `bür`, `üro`, `rost`), which is what invoice search and
//! near-duplicate detection need when no model is configured. It knows no synonyms.

use async_trait::async_trait;

use crate::{EmbedError, Embedder, Embeddings, l2_normalise};

/// The default dimension: the same as MiniLM's, so a column sized for one fits the other.
pub const DEFAULT_DIMENSION: usize = 384;

#[derive(Debug, Clone)]
pub struct HashEmbedder {
    dimension: usize,
    model: String,
}

impl Default for HashEmbedder {
    fn default() -> Self {
        HashEmbedder::new(DEFAULT_DIMENSION)
    }
}

impl HashEmbedder {
    /// A hashing embedder with `dimension` buckets (at least 16).
    pub fn new(dimension: usize) -> Self {
        let dimension = dimension.max(16);
        HashEmbedder {
            dimension,
            model: format!("char-ngram-3-5-fnv1a-{dimension}"),
        }
    }

    /// One text's vector.
    pub fn embed_one(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dimension];
        let lower = text.to_lowercase();
        for word in lower
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
        {
            // Boundary marks make "rost" at a word start differ from "rost" inside a word.
            let chars: Vec<char> = std::iter::once('<')
                .chain(word.chars())
                .chain(std::iter::once('>'))
                .collect();
            for n in 3..=5 {
                if chars.len() < n {
                    continue;
                }
                for gram in chars.windows(n) {
                    let h = fnv1a(gram);
                    let bucket = (h % self.dimension as u64) as usize;
                    // The sign bit halves the bias that collisions add to cosine similarity.
                    let sign = if (h >> 63) == 1 { -1.0 } else { 1.0 };
                    v[bucket] += sign;
                }
            }
        }
        for x in v.iter_mut() {
            *x = x.signum() * (1.0 + x.abs()).ln();
        }
        l2_normalise(&mut v);
        v
    }
}

fn fnv1a(chars: &[char]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for c in chars {
        let mut buf = [0u8; 4];
        for b in c.encode_utf8(&mut buf).bytes() {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

#[async_trait]
impl Embedder for HashEmbedder {
    fn provider(&self) -> &'static str {
        "hash"
    }
    fn model(&self) -> &str {
        &self.model
    }
    fn dimension(&self) -> usize {
        self.dimension
    }
    async fn embed(&self, texts: &[String]) -> Result<Embeddings, EmbedError> {
        Ok(Embeddings {
            provider: "hash",
            model: self.model.clone(),
            dimension: self.dimension,
            vectors: texts.iter().map(|t| self.embed_one(t)).collect(),
            tokens: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cosine;

    #[test]
    fn deterministic_unit_vectors() {
        let e = HashEmbedder::default();
        let a = e.embed_one("Rechnung für Bürostühle");
        assert_eq!(a, e.embed_one("Rechnung für Bürostühle"));
        assert_eq!(a.len(), 384);
        let norm: f32 = a.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(e.embed_one("").iter().all(|x| *x == 0.0));
    }

    #[test]
    fn shared_word_parts_are_closer_than_unrelated_text() {
        let e = HashEmbedder::default();
        let q = e.embed_one("Bürostühle");
        let near = e.embed_one("Bürostuhl ergonomisch, schwarz");
        let far = e.embed_one("Druckerpapier A4 weiß");
        assert!(cosine(&q, &near) > cosine(&q, &far) + 0.1);
    }
}
