//! The candle embedder: same vectors as sentence-transformers, and a search that works.

use std::path::Path;

use doxin_embed::hash::HashEmbedder;
use doxin_embed::local::LocalEmbedder;
use doxin_embed::{EmbedError, Embedder, cosine, rank};
use serde_json::Value;

use crate::{model_dir, twenty_invoices};

const QUERY: &str = "Rechnung für Bürostühle";

#[test]
fn local_model_matches_the_independent_reference() {
    let Some(dir) = model_dir() else { return };
    let model = LocalEmbedder::load(&dir).expect("load the model");
    assert_eq!(model.dimension(), 384);
    let fixture: Value = serde_json::from_str(include_str!("../fixtures/minilm_reference.json"))
        .expect("fixture is JSON");
    let cases = fixture["sentences"].as_array().expect("sentences");
    let texts: Vec<&str> = cases
        .iter()
        .map(|c| c["text"].as_str().expect("text"))
        .collect();
    // Embedded together: batch padding must not change any vector.
    let together = model.embed_blocking(&texts).expect("embed");
    for (case, got) in cases.iter().zip(&together) {
        let want: Vec<f32> = case["vector"]
            .as_array()
            .expect("vector")
            .iter()
            .map(|x| x.as_f64().expect("number") as f32)
            .collect();
        let alone = model
            .embed_blocking(&[case["text"].as_str().expect("text")])
            .expect("embed");
        let c = cosine(got, &want);
        let c_alone = cosine(&alone[0], &want);
        assert!(c >= 0.999, "{}: cosine {c} in a batch", case["text"]);
        assert!(c_alone >= 0.999, "{}: cosine {c_alone} alone", case["text"]);
        let norm: f32 = got.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "unit length, got {norm}");
    }
}

#[tokio::test]
async fn german_query_finds_the_office_chair_invoice_first() {
    let Some(dir) = model_dir() else { return };
    let model = LocalEmbedder::load(&dir).expect("load the model");
    let (texts, chairs) = twenty_invoices();
    let docs = model.embed(&texts).await.expect("embed invoices");
    assert_eq!((docs.provider, docs.dimension), ("local", 384));
    assert_eq!(docs.vectors.len(), 20);
    let q = model
        .embed(&[QUERY.to_string()])
        .await
        .expect("embed query");
    let ranking = rank(&q.vectors[0], &docs.vectors);
    assert_eq!(
        ranking[0].0,
        chairs,
        "expected the office-chair invoice first:\n{}",
        ranking
            .iter()
            .take(5)
            .map(|(i, s)| format!("{s:.3} {}", texts[*i]))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[tokio::test]
async fn the_hash_fallback_also_finds_the_office_chairs() {
    let e = HashEmbedder::default();
    let (texts, chairs) = twenty_invoices();
    let docs = e.embed(&texts).await.expect("embed");
    assert_eq!((docs.provider, docs.dimension), ("hash", 384));
    let q = e.embed_one(QUERY);
    let ranking = rank(&q, &docs.vectors);
    assert_eq!(
        ranking[0].0,
        chairs,
        "{}",
        ranking
            .iter()
            .take(3)
            .map(|(i, s)| format!("{s:.3} {}", texts[*i]))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn a_missing_model_directory_is_a_clear_error() {
    let err = LocalEmbedder::load(Path::new("/nonexistent/minilm")).expect_err("no model");
    assert!(matches!(err, EmbedError::ModelLoad { .. }), "{err}");
    assert!(err.to_string().contains("config.json"), "{err}");
}
