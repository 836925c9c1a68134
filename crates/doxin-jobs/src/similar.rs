//! Near-duplicates: the same invoice under a different number (a re-typed or misread number,
//! a re-issued copy, a scan of a PDF already processed). The seller-and-number check cannot see
//! those, so candidates with the same currency and gross amount are compared by a text
//! fingerprint of everything but the number, embedded with the model-free character n-gram
//! embedder (stable across machines, no model to configure). A match is flagged for review with
//! a link to the earlier invoice, never dropped.

use std::sync::Arc;

use doxin_embed::hash::HashEmbedder;
use doxin_embed::{EmbedError, Embedder};
use doxin_model::Invoice;
use doxin_store::InvoiceEmbedding;

/// Cosine similarity from which two fingerprints count as the same document. Chosen so that a
/// copy with another number (similarity 1) or an OCR reading of the same page matches, while
/// the next month's invoice of a subscription (same lines and amount, other dates) does not;
/// see the tests.
pub const NEAR_DUPLICATE_SIMILARITY: f32 = 0.97;

/// The text compared: parties, dates (repeated, so a different date weighs like a different
/// line) and lines with their amounts. The invoice number is left out on purpose.
pub fn fingerprint(inv: &Invoice) -> String {
    let v = |f: &Option<doxin_model::Extracted<String>>| {
        f.as_ref().map(|e| e.value.clone()).unwrap_or_default()
    };
    let mut parts = vec![
        v(&inv.seller.name),
        v(&inv.seller.vat_id),
        v(&inv.buyer.name),
    ];
    for date in [&inv.issue_date, &inv.due_date].into_iter().flatten() {
        let d = date.value.format("%Y-%m-%d %d.%m.%Y %B").to_string();
        for _ in 0..3 {
            parts.push(d.clone());
        }
    }
    for line in &inv.lines {
        parts.push(v(&line.description));
        if let Some(a) = &line.line_amount {
            parts.push(a.value.to_string());
        }
    }
    parts.join(" \n")
}

/// The text an invoice's semantic-search embedding is made from: what a person would describe
/// it by (parties, number, lines, notes, the earlier system's salesperson), without amounts
/// and dates, which embeddings do not compare meaningfully.
pub fn embedding_text(inv: &Invoice) -> String {
    let v = |f: &Option<doxin_model::Extracted<String>>| f.as_ref().map(|e| e.value.clone());
    let mut parts: Vec<String> = [
        v(&inv.seller.name),
        v(&inv.seller.trading_name),
        v(&inv.buyer.name),
        v(&inv.invoice_number),
        v(&inv.legacy.salesperson),
    ]
    .into_iter()
    .flatten()
    .collect();
    for line in &inv.lines {
        parts.extend(v(&line.description));
        parts.extend(v(&line.item_description));
    }
    parts.extend(inv.notes.iter().cloned());
    let mut text = parts.join("\n");
    // MiniLM reads 256 tokens at most; remote models bill every one.
    if let Some((cut, _)) = text.char_indices().nth(4000) {
        text.truncate(cut);
    }
    text
}

/// The name an embedder's vectors are stored under: vectors of different models (or sizes)
/// must never be compared.
pub fn embedding_model_id(embedder: &dyn Embedder) -> String {
    format!("{}:{}", embedder.provider(), embedder.model())
}

/// Embeds `inv` for semantic search. The local model runs on a blocking thread (it computes
/// on the calling thread and would stall the runtime).
pub async fn embed_invoice(
    embedder: Arc<dyn Embedder>,
    inv: &Invoice,
) -> Result<InvoiceEmbedding, EmbedError> {
    embed_text(embedder, embedding_text(inv)).await
}

/// Embeds one text (a search query or an invoice's [`embedding_text`]).
pub async fn embed_text(
    embedder: Arc<dyn Embedder>,
    text: String,
) -> Result<InvoiceEmbedding, EmbedError> {
    let model = embedding_model_id(embedder.as_ref());
    let texts = vec![text];
    let embeddings = if embedder.provider() == "local" {
        let handle = tokio::runtime::Handle::current();
        tokio::task::spawn_blocking(move || handle.block_on(embedder.embed(&texts)))
            .await
            .map_err(|e| EmbedError::Inference(format!("embedding task failed: {e}")))??
    } else {
        embedder.embed(&texts).await?
    };
    let vector = embeddings
        .vectors
        .into_iter()
        .next()
        .ok_or(EmbedError::CountMismatch {
            expected: 1,
            got: 0,
        })?;
    Ok(InvoiceEmbedding { model, vector })
}

pub fn similarity(a: &Invoice, b: &Invoice) -> f32 {
    let embedder = HashEmbedder::default();
    doxin_embed::cosine(
        &embedder.embed_one(&fingerprint(a)),
        &embedder.embed_one(&fingerprint(b)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use doxin_model::Extracted;

    fn invoice(seed: u64) -> Invoice {
        doxin_synth::generate(seed, &doxin_synth::Spec::default()).truth
    }

    #[test]
    fn a_copy_with_another_number_is_a_near_duplicate() {
        let a = invoice(3);
        let mut b = a.clone();
        b.invoice_number = Some(Extracted::human("X-99999".to_string()));
        assert!(similarity(&a, &b) >= NEAR_DUPLICATE_SIMILARITY);
    }

    #[test]
    fn next_months_invoice_with_the_same_lines_is_not() {
        let a = invoice(5);
        let mut b = a.clone();
        let shift = |d: &mut Option<Extracted<chrono::NaiveDate>>| {
            if let Some(e) = d {
                e.value = e.value + chrono::Months::new(1);
            }
        };
        shift(&mut b.issue_date);
        shift(&mut b.due_date);
        let s = similarity(&a, &b);
        assert!(s < NEAR_DUPLICATE_SIMILARITY, "similarity {s}");
    }

    #[test]
    fn embedding_text_names_parties_and_lines() {
        let inv = invoice(7);
        let text = embedding_text(&inv);
        let seller = inv
            .seller
            .name
            .as_ref()
            .map(|n| n.value.clone())
            .unwrap_or_default();
        assert!(text.contains(&seller), "{text}");
        if let Some(d) = inv.lines.first().and_then(|l| l.description.as_ref()) {
            assert!(text.contains(&d.value), "{text}");
        }
    }

    #[tokio::test]
    async fn embeds_with_the_hash_model_at_the_stored_dimension() {
        let e = embed_invoice(Arc::new(HashEmbedder::default()), &invoice(7))
            .await
            .expect("embed");
        assert_eq!(e.vector.len(), doxin_store::EMBEDDING_DIMENSION);
        assert!(e.model.starts_with("hash:"), "{}", e.model);
    }

    #[test]
    fn different_invoices_are_far_apart() {
        for seed in 10..20 {
            let s = similarity(&invoice(seed), &invoice(seed + 100));
            assert!(s < 0.8, "seeds {seed}: {s}");
        }
    }
}
