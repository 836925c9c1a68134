//! doxin-embed integration tests: the local model against an independent reference, search
//! among generated invoices, the hashing fallback, and the OpenAI-compatible endpoint against
//! a local server speaking its wire format.

mod local;
mod remote;

use std::path::PathBuf;

/// The all-MiniLM-L6-v2 directory from `DOXIN_TEST_MINILM_DIR`. Unset: the test is skipped
/// with a message, except under `CI=true`, where a missing model is a failure.
pub fn model_dir() -> Option<PathBuf> {
    match std::env::var_os("DOXIN_TEST_MINILM_DIR").filter(|v| !v.is_empty()) {
        Some(dir) => Some(PathBuf::from(dir)),
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("DOXIN_TEST_MINILM_DIR is not set under CI=true (scripts/test.sh sets it)")
        }
        None => {
            eprintln!("skipped: DOXIN_TEST_MINILM_DIR is not set (scripts/test.sh sets it)");
            None
        }
    }
}

/// 20 generated invoices, one of them (index 7) German office chairs, the others other
/// products in every language; each as the text an index would embed: seller, buyer and
/// line descriptions.
pub fn twenty_invoices() -> (Vec<String>, usize) {
    use doxin_synth::{Language, ProductFamily, Spec, generate};
    let chairs = 7;
    let others = [
        ProductFamily::Furniture,
        ProductFamily::Supplies,
        ProductFamily::It,
        ProductFamily::Services,
        ProductFamily::Books,
    ];
    let texts = (0..20)
        .map(|i| {
            let spec = if i == chairs {
                Spec::default()
                    .with_family(ProductFamily::OfficeChairs)
                    .with_language(Language::De)
                    .with_lines(3..=5)
            } else {
                Spec::default()
                    .with_family(others[i % others.len()])
                    .with_language(Language::ALL[i % Language::ALL.len()])
                    .with_lines(3..=5)
            };
            let s = generate(1000 + i as u64, &spec);
            let buyer = s
                .truth
                .buyer
                .name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_default();
            format!(
                "{} {} — {} — {}",
                s.facts.seller_name,
                s.facts.invoice_number,
                buyer,
                s.facts.line_descriptions.join("; ")
            )
        })
        .collect();
    (texts, chairs)
}
