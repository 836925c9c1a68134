//! Extraction modes: `rules` (offline), `llm` (always ask, the model's reading preferred when
//! the checks cannot decide) and `hybrid` (rules first; ask only when they are unsure or miss
//! a required field, or always by configuration; the rules' reading preferred).
//!
//! The rules run first in every mode: they are free, they give positions for the review
//! screen, and their arithmetic is what a model's answer is checked against. E-invoice XML is
//! exact and never sent to a model.

use std::sync::Arc;
use std::time::Instant;

use doxin_extract::pipeline::{ExtractOptions, Extraction, ExtractionPath};
use doxin_extract::{DocumentKind, ExtractError};
use doxin_model::{Invoice, Tolerance, validate_report};
use serde::Serialize;

use crate::merge::{MergeReport, Prefer, merge};
use crate::pricing::PriceTable;
use crate::provider::{Finish, Image, LlmRequest, Provider, Repair, Usage};
use crate::schema::{ParseProblem, SCHEMA_NAME, invoice_schema, parse_answer};
use crate::{LlmError, prompt};

/// How extraction uses a language model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Rules,
    Llm,
    Hybrid,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Rules => "rules",
            Mode::Llm => "llm",
            Mode::Hybrid => "hybrid",
        }
    }
}

/// Limits and switches of LLM extraction.
#[derive(Debug, Clone)]
pub struct LlmOptions {
    /// Ask in hybrid mode even when the rules are sure.
    pub always: bool,
    /// `false` sends only the layout text (privacy switch `LLM_SEND_IMAGES`).
    pub send_images: bool,
    /// At most this many pages are sent.
    pub max_pages: u32,
    /// An image larger than this (bytes) is re-rendered smaller, or left out.
    pub max_image_bytes: usize,
    /// Layout text beyond this many characters is cut.
    pub max_text_chars: usize,
    pub max_tokens: u32,
    pub prices: PriceTable,
}

impl Default for LlmOptions {
    fn default() -> Self {
        LlmOptions {
            always: false,
            send_images: true,
            max_pages: 4,
            max_image_bytes: 4 * 1024 * 1024,
            max_text_chars: 60_000,
            max_tokens: 4096,
            prices: PriceTable::default(),
        }
    }
}

/// What the model was asked and what it cost.
#[derive(Debug, Clone, Serialize)]
pub struct LlmReport {
    pub mode: Mode,
    pub provider: &'static str,
    pub model: String,
    /// Why the model was asked (empty when it was not).
    pub asked_because: Vec<String>,
    pub asked: bool,
    pub pages_sent: Vec<u32>,
    pub text_chars: usize,
    pub http_attempts: u32,
    pub repaired: bool,
    pub usage: Usage,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cost_usd: Option<f64>,
    pub millis: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge: Option<MergeReport>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorReport>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ErrorReport {
    pub code: &'static str,
    pub message: String,
    pub retryable: bool,
}

/// An extraction and, when a model was involved, its report.
#[derive(Debug, Clone, Serialize)]
pub struct HybridExtraction {
    #[serde(flatten)]
    pub extraction: Extraction,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmReport>,
}

#[derive(Debug, thiserror::Error)]
pub enum HybridError {
    #[error(transparent)]
    Extract(#[from] ExtractError),
    #[error(transparent)]
    Llm(#[from] LlmError),
}

impl HybridError {
    pub fn code(&self) -> &'static str {
        match self {
            HybridError::Extract(e) => e.code(),
            HybridError::Llm(e) => e.code(),
        }
    }

    pub fn is_retryable(&self) -> bool {
        match self {
            HybridError::Extract(e) => e.is_retryable(),
            HybridError::Llm(e) => e.is_retryable(),
        }
    }
}

/// A model's structured answer with its accounting.
#[derive(Debug, Clone)]
pub struct Answer {
    pub invoice: Invoice,
    pub usage: Usage,
    pub http_attempts: u32,
    pub repaired: bool,
    pub model: String,
}

/// Extraction with a language model.
#[derive(Clone)]
pub struct LlmExtractor {
    provider: Arc<dyn Provider>,
    opts: LlmOptions,
}

impl LlmExtractor {
    pub fn new(provider: Arc<dyn Provider>, opts: LlmOptions) -> Self {
        LlmExtractor { provider, opts }
    }

    pub fn provider(&self) -> &dyn Provider {
        self.provider.as_ref()
    }

    /// Extracts `bytes` in `mode`. Rules and rendering run on a blocking thread.
    pub async fn extract(
        &self,
        bytes: Vec<u8>,
        opts: &ExtractOptions,
        mode: Mode,
    ) -> Result<HybridExtraction, HybridError> {
        let started = Instant::now();
        let bytes = Arc::new(bytes);
        let rules = {
            let (b, o) = (bytes.clone(), opts.clone());
            blocking(move || doxin_extract::pipeline::extract(&b, &o)).await??
        };
        self.extract_after_rules(rules, bytes, opts, mode, started)
            .await
    }

    /// The model's part of [`LlmExtractor::extract`], given the rules' extraction of `bytes`
    /// made elsewhere (the worker runs the rules in its sandbox).
    pub async fn extract_after_rules(
        &self,
        rules: Extraction,
        bytes: Arc<Vec<u8>>,
        opts: &ExtractOptions,
        mode: Mode,
        started: Instant,
    ) -> Result<HybridExtraction, HybridError> {
        let exact = matches!(
            rules.path,
            ExtractionPath::Xml | ExtractionPath::EmbeddedXml
        );
        let reasons = match mode {
            Mode::Rules => Vec::new(),
            _ if exact => Vec::new(),
            Mode::Llm => vec!["mode llm".to_string()],
            Mode::Hybrid => {
                let mut r = unsure(&rules, opts.review_threshold);
                if r.is_empty() && self.opts.always {
                    r.push("LLM_ALWAYS".into());
                }
                r
            }
        };
        let mut report = LlmReport {
            mode,
            provider: self.provider.name(),
            model: self.provider.model().to_string(),
            asked: !reasons.is_empty(),
            asked_because: reasons,
            pages_sent: Vec::new(),
            text_chars: 0,
            http_attempts: 0,
            repaired: false,
            usage: Usage::default(),
            cost_usd: None,
            millis: 0.0,
            merge: None,
            error: None,
        };
        if !report.asked {
            report.millis = started.elapsed().as_secs_f64() * 1000.0;
            return Ok(HybridExtraction {
                extraction: rules,
                llm: (mode != Mode::Rules).then_some(report),
            });
        }
        let input = {
            let (b, o, lo, kind, pages) = (
                bytes.clone(),
                opts.clone(),
                self.opts.clone(),
                rules.kind,
                rules.pages,
            );
            blocking(move || prompt::document_input(&b, kind, pages, &o, &lo)).await?
        };
        report.pages_sent = input.images.iter().map(|i| i.page).collect();
        report.text_chars = input.text.chars().count();
        let mut extraction = rules;
        extraction.warnings.extend(input.warnings.iter().cloned());
        match self.ask(&input.text, input.images).await {
            Ok(answer) => {
                report.usage = answer.usage;
                report.http_attempts = answer.http_attempts;
                report.repaired = answer.repaired;
                report.cost_usd = self.opts.prices.cost(&answer.model, answer.usage);
                report.model = answer.model;
                let prefer = if mode == Mode::Llm {
                    Prefer::Llm
                } else {
                    Prefer::Rules
                };
                let (invoice, merged) = merge(extraction.invoice, answer.invoice, prefer);
                extraction.invoice = invoice;
                rescore(
                    &mut extraction,
                    opts.review_threshold,
                    merged.needs_review(),
                );
                report.merge = Some(merged);
            }
            Err(e) if mode == Mode::Llm => return Err(e.into()),
            Err(e) => {
                // Hybrid: the rules' reading stands, but they were unsure, so a person looks.
                extraction
                    .warnings
                    .push(format!("the language model could not help: {e}"));
                extraction.needs_review = true;
                report.error = Some(ErrorReport {
                    code: e.code(),
                    message: e.to_string(),
                    retryable: e.is_retryable(),
                });
            }
        }
        report.millis = started.elapsed().as_secs_f64() * 1000.0;
        extraction.millis = report.millis;
        Ok(HybridExtraction {
            extraction,
            llm: Some(report),
        })
    }

    /// Asks the model for the invoice in `text` and `images`; parses the answer strictly and
    /// asks once more, saying what was wrong, if it does not parse.
    pub async fn ask(&self, text: &str, images: Vec<Image>) -> Result<Answer, LlmError> {
        let mut req = LlmRequest {
            system: prompt::SYSTEM.to_string(),
            text: prompt::user_text(text, images.len()),
            images,
            schema: invoice_schema(),
            schema_name: SCHEMA_NAME,
            max_tokens: self.opts.max_tokens,
            repair: None,
        };
        let mut usage = Usage::default();
        let mut attempts = 0;
        loop {
            let answer = self.provider.complete(&req).await?;
            usage += answer.usage;
            attempts += answer.attempts;
            if answer.finish == Finish::Refused || answer.refusal.is_some() {
                return Err(LlmError::Refusal(
                    answer.refusal.unwrap_or_else(|| "content filtered".into()),
                ));
            }
            if answer.finish == Finish::Length {
                // Asking again would be cut at the same limit.
                return Err(LlmError::Truncated(format!(
                    "the answer reached the token limit ({})",
                    self.opts.max_tokens
                )));
            }
            let problem = match answer.content.as_deref().map(parse_answer) {
                Some(Ok(invoice)) => {
                    return Ok(Answer {
                        invoice,
                        usage,
                        http_attempts: attempts,
                        repaired: req.repair.is_some(),
                        model: answer.model,
                    });
                }
                Some(Err(p)) => p,
                None => ParseProblem::Empty,
            };
            if req.repair.is_some() {
                return Err(match problem {
                    ParseProblem::Truncated(m) => LlmError::Truncated(m),
                    ParseProblem::Malformed(m) => LlmError::Malformed(m),
                    ParseProblem::Empty => LlmError::Empty,
                });
            }
            tracing::info!(problem = %problem, "llm answer rejected; asking once more");
            req.repair = Some(Repair {
                previous: answer.turn,
                problem: problem.to_string(),
            });
        }
    }
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ExtractError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ExtractError::Corrupt(format!("extraction task failed: {e}")))
}

/// Why the rules' result is not good enough on its own.
pub fn unsure(x: &Extraction, threshold: f32) -> Vec<String> {
    let mut r = Vec::new();
    if x.confidence < threshold {
        r.push(format!(
            "document confidence {:.2} < {threshold:.2}",
            x.confidence
        ));
    }
    let inv = &x.invoice;
    let missing: Vec<&str> = [
        ("invoice_number", inv.invoice_number.is_none()),
        ("issue_date", inv.issue_date.is_none()),
        ("seller.name", inv.seller.name.is_none()),
        ("currency", inv.currency.is_none()),
        (
            "totals.tax_inclusive_amount",
            inv.totals.tax_inclusive_amount.is_none(),
        ),
    ]
    .into_iter()
    .filter(|(_, m)| *m)
    .map(|(n, _)| n)
    .collect();
    if !missing.is_empty() {
        r.push(format!("missing {}", missing.join(", ")));
    }
    r
}

/// Validation and document confidence after a merge (the pipeline's rule: the weakest key
/// field, lowered by each failed rule).
fn rescore(x: &mut Extraction, threshold: f32, conflict: bool) {
    x.validation = validate_report(&x.invoice, &Tolerance::default());
    x.confidence = doxin_extract::pipeline::document_confidence(&x.invoice, &x.validation);
    x.needs_review = x.confidence < threshold || x.validation.has_errors() || conflict;
}

/// Whether a document kind can go to a vision model as it is.
pub fn image_media_type(kind: DocumentKind) -> Option<&'static str> {
    match kind {
        DocumentKind::Png => Some("image/png"),
        DocumentKind::Jpeg => Some("image/jpeg"),
        DocumentKind::Webp => Some("image/webp"),
        _ => None,
    }
}
