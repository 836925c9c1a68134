//! `doxin extract FILE…`: extract invoices from files and print them.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use doxin_config::{ExtractionMode, LlmProvider, Settings};
use doxin_extract::pipeline::ExtractOptions;
use doxin_llm::http::RetryPolicy;
use doxin_llm::pricing::PriceTable;
use doxin_llm::{HybridExtraction, LlmExtractor, LlmOptions, Mode, ProviderConfig, ProviderKind};
use serde_json::{Value, json};

/// `--mode` of `doxin extract`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Offline rules only.
    Rules,
    /// Always ask the language model; arithmetic arbitrates, its reading wins otherwise.
    Llm,
    /// Rules first; the model is asked when they are unsure (or always, with LLM_ALWAYS).
    Hybrid,
}

/// Language-model options of `doxin extract`.
#[derive(Debug, clap::Args)]
pub struct LlmArgs {
    /// Extraction mode (default: EXTRACTION_MODE, which is hybrid when a model is configured
    /// and rules otherwise).
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
}

/// The model set-up of one `extract` run.
pub struct LlmSetup {
    mode: Mode,
    extractor: Option<LlmExtractor>,
    runtime: tokio::runtime::Handle,
    /// Every file is read in a sandbox process: a hostile file fails alone, the run goes on.
    sandbox: doxin_sandbox::Sandbox,
}

impl LlmArgs {
    /// The mode and, unless it is `rules`, the configured provider.
    pub fn setup(
        &self,
        settings: &Settings,
        sandbox: doxin_sandbox::Sandbox,
    ) -> anyhow::Result<LlmSetup> {
        let mode = match self.mode {
            Some(ModeArg::Rules) => Mode::Rules,
            Some(ModeArg::Llm) => Mode::Llm,
            Some(ModeArg::Hybrid) => Mode::Hybrid,
            None => match settings.llm.mode {
                ExtractionMode::Rules => Mode::Rules,
                ExtractionMode::Llm => Mode::Llm,
                ExtractionMode::Hybrid => Mode::Hybrid,
            },
        };
        if mode == Mode::Rules {
            return Ok(LlmSetup {
                mode,
                extractor: None,
                runtime: tokio::runtime::Handle::current(),
                sandbox,
            });
        }
        let extractor = configured_extractor(settings, mode)?;
        Ok(LlmSetup {
            mode,
            extractor: Some(extractor),
            runtime: tokio::runtime::Handle::current(),
            sandbox,
        })
    }
}

/// The configured language model for `mode` (not `rules`): provider, retries, prices and caps
/// from the settings. Shared by `doxin extract` and the workers.
pub fn configured_extractor(settings: &Settings, mode: Mode) -> anyhow::Result<LlmExtractor> {
    let l = &settings.llm;
    let Some(provider) = l.provider else {
        anyhow::bail!(
            "--mode {} needs a language model: set OPENAI_API_KEY, ANTHROPIC_API_KEY or \
                 OPENAI_BASE_URL (an OpenAI-compatible server)",
            mode.as_str()
        );
    };
    let key = |s: &Option<doxin_config::Secret>| s.as_ref().map(|k| k.expose().to_string());
    let (kind, base_url, api_key) = match provider {
        LlmProvider::OpenAi => (
            ProviderKind::OpenAi,
            &l.openai_base_url,
            key(&settings.openai_api_key),
        ),
        LlmProvider::Anthropic => (
            ProviderKind::Anthropic,
            &l.anthropic_base_url,
            key(&settings.anthropic_api_key),
        ),
        LlmProvider::OpenAiCompatible => (
            ProviderKind::OpenAiCompatible,
            &l.openai_base_url,
            key(&settings.openai_api_key),
        ),
    };
    let provider = doxin_llm::build_provider(&ProviderConfig {
        kind,
        base_url: base_url.clone(),
        api_key,
        model: l.model.clone(),
        timeout: std::time::Duration::from_secs(l.timeout_secs),
        retry: RetryPolicy {
            max_retries: l.max_retries,
            ..RetryPolicy::default()
        },
    })?;
    let prices = match &l.prices {
        Some(spec) => PriceTable::parse(spec)
            .map_err(anyhow::Error::msg)
            .context("LLM_PRICES")?,
        None => PriceTable::default(),
    };
    let opts = LlmOptions {
        always: l.always,
        send_images: l.send_images,
        max_pages: l.max_pages,
        max_image_bytes: usize::try_from(l.max_image_kb * 1024).unwrap_or(usize::MAX),
        max_tokens: l.max_tokens,
        prices,
        ..LlmOptions::default()
    };
    Ok(LlmExtractor::new(provider, opts))
}

impl LlmSetup {
    /// Extracts one document; runs on a blocking thread (the model call is driven by the
    /// runtime's handle).
    fn extract(&self, bytes: Vec<u8>, opts: &ExtractOptions) -> Result<HybridExtraction, String> {
        let shown = |code: &str, e: &dyn std::fmt::Display| format!("{e} [{code}]");
        self.runtime.block_on(async {
            let started = std::time::Instant::now();
            let bytes = std::sync::Arc::new(bytes);
            let rules = self
                .sandbox
                .extract(bytes.clone(), opts)
                .await
                .map_err(|e| shown(e.code(), &e))?;
            match &self.extractor {
                Some(x) => x
                    .extract_after_rules(rules, bytes, opts, self.mode, started)
                    .await
                    .map_err(|e| shown(e.code(), &e)),
                None => Ok(HybridExtraction {
                    extraction: rules,
                    llm: None,
                }),
            }
        })
    }
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The canonical invoice with provenance and validation findings.
    Json,
    /// Plain values in the shape of the evaluation corpus' truth files.
    Fields,
    /// One row per file with the header values.
    Csv,
}

const CSV_HEADER: &[&str] = &[
    "file",
    "status",
    "invoice_number",
    "issue_date",
    "due_date",
    "currency",
    "seller_name",
    "seller_vat_id",
    "buyer_name",
    "net",
    "tax",
    "gross",
    "payable",
    "lines",
    "confidence",
    "needs_review",
    "error",
];

fn csv_row(file: &str, result: &Result<HybridExtraction, String>) -> Vec<String> {
    let mut row = vec![file.to_string()];
    match result {
        Ok(h) => {
            let x = &h.extraction;
            let inv = &x.invoice;
            let s = |f: &doxin_model::Field<String>| {
                f.as_ref().map(|e| e.value.clone()).unwrap_or_default()
            };
            let d = |f: &doxin_model::Field<chrono::NaiveDate>| {
                f.as_ref().map(|e| e.value.to_string()).unwrap_or_default()
            };
            let a = |f: &doxin_model::Field<doxin_model::Decimal>| {
                f.as_ref().map(|e| e.value.to_string()).unwrap_or_default()
            };
            row.extend([
                "ok".to_string(),
                s(&inv.invoice_number),
                d(&inv.issue_date),
                d(&inv.due_date),
                s(&inv.currency),
                s(&inv.seller.name),
                s(&inv.seller.vat_id),
                s(&inv.buyer.name),
                a(&inv.totals.tax_exclusive_amount),
                a(&inv.totals.tax_amount),
                a(&inv.totals.tax_inclusive_amount),
                a(&inv.totals.payable_amount),
                inv.lines.len().to_string(),
                format!("{:.3}", x.confidence),
                x.needs_review.to_string(),
                String::new(),
            ]);
        }
        Err(e) => {
            row.push("failed".into());
            row.extend(std::iter::repeat_n(String::new(), CSV_HEADER.len() - 3));
            row.push(e.clone());
        }
    }
    row
}

fn json_of(file: &str, result: &Result<HybridExtraction, String>, format: Format) -> Value {
    match (result, format) {
        (Ok(x), Format::Fields) => {
            json!({ "file": file, "fields": doxin_extract::fields::to_fields(&x.extraction.invoice) })
        }
        (Ok(x), _) => {
            let mut v = serde_json::to_value(x).unwrap_or(Value::Null);
            if let Some(o) = v.as_object_mut() {
                o.insert("file".into(), file.into());
            }
            v
        }
        (Err(e), _) => json!({ "file": file, "error": e }),
    }
}

pub fn run(
    files: Vec<PathBuf>,
    format: Format,
    opts: ExtractOptions,
    llm: LlmSetup,
) -> anyhow::Result<ExitCode> {
    let progress = (files.len() > 1 && std::io::stderr().is_terminal()).then(|| {
        let bar = indicatif::ProgressBar::new(files.len() as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed_precise} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar
    });
    let mut out = std::io::stdout().lock();
    let mut csv = (format == Format::Csv).then(|| csv::Writer::from_writer(Vec::new()));
    if let Some(w) = csv.as_mut() {
        w.write_record(CSV_HEADER)?;
    }
    let mut failed = 0usize;
    let mut json_items = Vec::new();
    for file in &files {
        let name = file.display().to_string();
        if let Some(bar) = &progress {
            bar.set_message(name.clone());
        }
        let result = std::fs::read(file)
            .map_err(|e| format!("cannot read {name}: {e}"))
            .and_then(|bytes| llm.extract(bytes, &opts));
        if let Err(e) = &result {
            failed += 1;
            let line = format!("doxin: {name}: {e}");
            match &progress {
                Some(bar) => bar.println(line),
                None => eprintln!("{line}"),
            }
        }
        match csv.as_mut() {
            Some(w) => w.write_record(csv_row(&name, &result))?,
            None => json_items.push(json_of(&name, &result, format)),
        }
        if let Some(bar) = &progress {
            bar.inc(1);
        }
    }
    if let Some(bar) = progress {
        bar.finish_and_clear();
    }
    match csv {
        Some(w) => out.write_all(&w.into_inner()?)?,
        None => {
            // Always an array, one item per file, however many files were named: a script
            // reads one shape.
            serde_json::to_writer_pretty(&mut out, &Value::Array(json_items))?;
            writeln!(out)?;
        }
    }
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
