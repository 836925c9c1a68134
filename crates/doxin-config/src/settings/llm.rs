//! Language-model and embedding settings: `EXTRACTION_MODE`, `LLM_*`, `OPENAI_BASE_URL`,
//! `ANTHROPIC_BASE_URL`, `EMBEDDINGS_*`. Kept apart from the other settings because they
//! only matter to extraction; parsed with the same reader, so errors name the variable.

use std::path::PathBuf;
use std::str::FromStr;

use super::{ConfigError, Reader};
use crate::reader::Origin;
use crate::secret::Secret;

/// How extraction uses a language model (`EXTRACTION_MODE`, alias `LLM_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtractionMode {
    /// Offline rules only.
    Rules,
    /// Always ask the model; its reading is preferred when the checks cannot decide.
    Llm,
    /// Rules first; ask the model when they are unsure or miss a required field.
    Hybrid,
}

impl ExtractionMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ExtractionMode::Rules => "rules",
            ExtractionMode::Llm => "llm",
            ExtractionMode::Hybrid => "hybrid",
        }
    }
}

impl FromStr for ExtractionMode {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.to_ascii_lowercase().as_str() {
            "rules" | "offline" => Ok(ExtractionMode::Rules),
            "llm" => Ok(ExtractionMode::Llm),
            "hybrid" => Ok(ExtractionMode::Hybrid),
            _ => Err(()),
        }
    }
}

/// Which API the model is reached through (`LLM_PROVIDER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmProvider {
    OpenAi,
    Anthropic,
    /// Any server speaking OpenAI's Chat Completions (Ollama, vLLM, LM Studio, llama.cpp).
    OpenAiCompatible,
}

impl LlmProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            LlmProvider::OpenAi => "openai",
            LlmProvider::Anthropic => "anthropic",
            LlmProvider::OpenAiCompatible => "openai-compatible",
        }
    }
}

impl FromStr for LlmProvider {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.to_ascii_lowercase().as_str() {
            "openai" => Ok(LlmProvider::OpenAi),
            "anthropic" | "claude" => Ok(LlmProvider::Anthropic),
            "openai-compatible" | "compatible" | "ollama" | "vllm" => {
                Ok(LlmProvider::OpenAiCompatible)
            }
            _ => Err(()),
        }
    }
}

/// Where embeddings come from (`EMBEDDINGS_PROVIDER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmbeddingsProvider {
    /// all-MiniLM-L6-v2 from `EMBEDDINGS_MODEL_DIR`, run locally.
    Local,
    /// An OpenAI(-compatible) embeddings endpoint.
    OpenAi,
    /// Character n-gram hashing: no model.
    Hash,
}

impl EmbeddingsProvider {
    pub fn as_str(self) -> &'static str {
        match self {
            EmbeddingsProvider::Local => "local",
            EmbeddingsProvider::OpenAi => "openai",
            EmbeddingsProvider::Hash => "hash",
        }
    }
}

impl FromStr for EmbeddingsProvider {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s.to_ascii_lowercase().as_str() {
            "local" | "minilm" => Ok(EmbeddingsProvider::Local),
            "openai" => Ok(EmbeddingsProvider::OpenAi),
            "hash" | "none" => Ok(EmbeddingsProvider::Hash),
            _ => Err(()),
        }
    }
}

/// Language-model settings.
#[derive(Debug, Clone)]
pub struct LlmSettings {
    pub mode: ExtractionMode,
    /// `None` when no provider is configured (then the mode is `rules`).
    pub provider: Option<LlmProvider>,
    pub model: String,
    pub openai_base_url: String,
    pub anthropic_base_url: String,
    pub timeout_secs: u64,
    pub max_retries: u32,
    /// `false`: only the layout text leaves the machine.
    pub send_images: bool,
    /// Ask in hybrid mode even when the rules are sure.
    pub always: bool,
    pub max_pages: u32,
    pub max_image_kb: u64,
    pub max_tokens: u32,
    /// `model=input:output` USD per million tokens, over the built-in table.
    pub prices: Option<String>,
}

/// Embedding settings.
#[derive(Debug, Clone)]
pub struct EmbeddingsSettings {
    pub provider: EmbeddingsProvider,
    pub model_dir: Option<PathBuf>,
    /// Remote model name.
    pub model: String,
    pub dimensions: Option<usize>,
    pub base_url: String,
}

const OPENAI_DEFAULT_URL: &str = "https://api.openai.com/v1";
const ANTHROPIC_DEFAULT_URL: &str = "https://api.anthropic.com";

fn http_url(r: &mut Reader<'_>, name: &'static str, default: &str) -> Result<String, ConfigError> {
    match r.raw(&[name]) {
        Some((n, v, o)) => {
            let ok = url::Url::parse(v)
                .ok()
                .filter(|u| matches!(u.scheme(), "http" | "https") && u.host_str().is_some());
            if ok.is_none() {
                return Err(ConfigError::Invalid {
                    variable: n,
                    value: crate::mask_url_password(v),
                    allowed: "an http(s) URL such as https://api.example.com/v1".into(),
                });
            }
            r.record(n, crate::mask_url_password(v), o);
            Ok(v.trim_end_matches('/').to_string())
        }
        None => {
            r.record(name, crate::mask_url_password(default), Origin::Default);
            Ok(default.to_string())
        }
    }
}

/// Validates the grammar of `LLM_PRICES` (the LLM crate parses the same grammar).
fn prices_ok(spec: &str) -> bool {
    spec.split([',', ';'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .all(|item| {
            item.split_once('=')
                .and_then(|(m, p)| (!m.trim().is_empty()).then_some(p))
                .and_then(|p| p.split_once(':'))
                .is_some_and(|(i, o)| {
                    [i, o].iter().all(|x| {
                        x.trim()
                            .parse::<f64>()
                            .is_ok_and(|v| v.is_finite() && v >= 0.0)
                    })
                })
        })
}

pub(super) fn llm_settings(
    r: &mut Reader<'_>,
    openai_key: Option<&Secret>,
    anthropic_key: Option<&Secret>,
) -> Result<LlmSettings, ConfigError> {
    let openai_base_url = http_url(r, "OPENAI_BASE_URL", OPENAI_DEFAULT_URL)?;
    let anthropic_base_url = http_url(r, "ANTHROPIC_BASE_URL", ANTHROPIC_DEFAULT_URL)?;
    let base_url_set = r.raw(&["OPENAI_BASE_URL"]).is_some();
    let provider = match r.raw(&["LLM_PROVIDER"]) {
        Some((n, v, o)) => {
            let p = v.parse::<LlmProvider>().map_err(|_| ConfigError::Invalid {
                variable: n,
                value: v.to_string(),
                allowed: "openai, anthropic or openai-compatible".into(),
            })?;
            let missing = match p {
                LlmProvider::OpenAi if openai_key.is_none() => Some("OPENAI_API_KEY"),
                LlmProvider::Anthropic if anthropic_key.is_none() => Some("ANTHROPIC_API_KEY"),
                _ => None,
            };
            if let Some(key) = missing {
                return Err(ConfigError::Invalid {
                    variable: n,
                    value: v.to_string(),
                    allowed: format!("{} needs {key} to be set", p.as_str()),
                });
            }
            r.record(n, p.as_str().into(), o);
            Some(p)
        }
        None => {
            let p = if openai_key.is_some() {
                Some(LlmProvider::OpenAi)
            } else if anthropic_key.is_some() {
                Some(LlmProvider::Anthropic)
            } else if base_url_set {
                Some(LlmProvider::OpenAiCompatible)
            } else {
                None
            };
            let shown = p.map_or("(none: no API key or OPENAI_BASE_URL)", |p| p.as_str());
            r.record("LLM_PROVIDER", shown.into(), Origin::Default);
            p
        }
    };
    let mode = match r.raw(&["EXTRACTION_MODE", "LLM_MODE"]) {
        Some((n, v, o)) => {
            let m = v
                .parse::<ExtractionMode>()
                .map_err(|_| ConfigError::Invalid {
                    variable: n,
                    value: v.to_string(),
                    allowed: "rules, llm or hybrid".into(),
                })?;
            if m != ExtractionMode::Rules && provider.is_none() {
                return Err(ConfigError::Invalid {
                    variable: n,
                    value: v.to_string(),
                    allowed: "rules, unless OPENAI_API_KEY, ANTHROPIC_API_KEY or OPENAI_BASE_URL \
                              configures a language model"
                        .into(),
                });
            }
            r.record(n, m.as_str().into(), o);
            m
        }
        None => {
            let m = if provider.is_some() {
                ExtractionMode::Hybrid
            } else {
                ExtractionMode::Rules
            };
            r.record("EXTRACTION_MODE", m.as_str().into(), Origin::Default);
            m
        }
    };
    let default_model = match provider {
        Some(LlmProvider::Anthropic) => "claude-sonnet-4-5",
        _ => "gpt-4o-mini",
    };
    let model = r.string("LLM_MODEL", default_model);
    let timeout_secs = r.number("LLM_TIMEOUT_SECS", 60u64, 1, 3600)?;
    let max_retries = r.number("LLM_MAX_RETRIES", 3u32, 0, 10)?;
    let send_images = r.bool("LLM_SEND_IMAGES", true)?;
    let always = r.bool("LLM_ALWAYS", false)?;
    let max_pages = r.number("LLM_MAX_PAGES", 4u32, 1, 100)?;
    let max_image_kb = r.number("LLM_MAX_IMAGE_KB", 4096u64, 16, 65_536)?;
    let max_tokens = r.number("LLM_MAX_TOKENS", 4096u32, 256, 200_000)?;
    let prices = match r.raw(&["LLM_PRICES"]) {
        Some((n, v, o)) => {
            if !prices_ok(v) {
                return Err(ConfigError::Invalid {
                    variable: n,
                    value: v.to_string(),
                    allowed: "model=input:output pairs in USD per million tokens, separated by \
                              commas, e.g. gpt-4o-mini=0.15:0.60"
                        .into(),
                });
            }
            r.record(n, v.to_string(), o);
            Some(v.to_string())
        }
        None => {
            r.record("LLM_PRICES", "(built-in table)".into(), Origin::Default);
            None
        }
    };
    Ok(LlmSettings {
        mode,
        provider,
        model,
        openai_base_url,
        anthropic_base_url,
        timeout_secs,
        max_retries,
        send_images,
        always,
        max_pages,
        max_image_kb,
        max_tokens,
        prices,
    })
}

pub(super) fn embeddings_settings(
    r: &mut Reader<'_>,
    openai_key: Option<&Secret>,
    openai_base_url: &str,
) -> Result<EmbeddingsSettings, ConfigError> {
    let model_dir = match r.raw(&["EMBEDDINGS_MODEL_DIR"]) {
        Some((n, v, o)) => {
            let p = PathBuf::from(v);
            if !p.join("config.json").is_file() || !p.join("tokenizer.json").is_file() {
                return Err(ConfigError::Invalid {
                    variable: n,
                    value: v.to_string(),
                    allowed: "a directory holding config.json, tokenizer.json and \
                              model.safetensors (all-MiniLM-L6-v2)"
                        .into(),
                });
            }
            r.record(n, v.to_string(), o);
            Some(p)
        }
        None => {
            r.record("EMBEDDINGS_MODEL_DIR", "(unset)".into(), Origin::Default);
            None
        }
    };
    let base_url = http_url(r, "EMBEDDINGS_BASE_URL", openai_base_url)?;
    let base_set = r.raw(&["EMBEDDINGS_BASE_URL"]).is_some();
    let provider = match r.raw(&["EMBEDDINGS_PROVIDER"]) {
        Some((n, v, o)) => {
            let p = v
                .parse::<EmbeddingsProvider>()
                .map_err(|_| ConfigError::Invalid {
                    variable: n,
                    value: v.to_string(),
                    allowed: "local, openai or hash".into(),
                })?;
            let problem = match p {
                EmbeddingsProvider::Local if model_dir.is_none() => {
                    Some("local needs EMBEDDINGS_MODEL_DIR")
                }
                EmbeddingsProvider::OpenAi if openai_key.is_none() && !base_set => Some(
                    "openai needs OPENAI_API_KEY (or EMBEDDINGS_BASE_URL for a compatible server)",
                ),
                _ => None,
            };
            if let Some(why) = problem {
                return Err(ConfigError::Invalid {
                    variable: n,
                    value: v.to_string(),
                    allowed: why.into(),
                });
            }
            r.record(n, p.as_str().into(), o);
            p
        }
        None => {
            let p = if model_dir.is_some() {
                EmbeddingsProvider::Local
            } else {
                EmbeddingsProvider::Hash
            };
            r.record("EMBEDDINGS_PROVIDER", p.as_str().into(), Origin::Default);
            p
        }
    };
    let model = r.string("EMBEDDINGS_MODEL", "text-embedding-3-small");
    let dimensions = match r.raw(&["EMBEDDINGS_DIMENSIONS"]) {
        Some(_) => Some(r.number("EMBEDDINGS_DIMENSIONS", 0usize, 1, 8192)?),
        None => {
            r.record(
                "EMBEDDINGS_DIMENSIONS",
                "(the model's)".into(),
                Origin::Default,
            );
            None
        }
    };
    Ok(EmbeddingsSettings {
        provider,
        model_dir,
        model,
        dimensions,
        base_url,
    })
}

#[cfg(test)]
mod tests {
    use crate::{ConfigError, Settings, Vars};

    use super::*;

    fn load(pairs: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        Settings::from_vars(&Vars::from_pairs(pairs.iter().copied()))
    }

    fn bad(pairs: &[(&str, &str)]) -> &'static str {
        match load(pairs) {
            Err(ConfigError::Invalid { variable, .. }) => variable,
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn without_a_key_extraction_is_offline() {
        let s = load(&[]).expect("defaults");
        assert_eq!(s.llm.mode, ExtractionMode::Rules);
        assert_eq!(s.llm.provider, None);
        assert!(s.llm.send_images);
        assert_eq!(s.embeddings.provider, EmbeddingsProvider::Hash);
    }

    #[test]
    fn a_key_selects_the_provider_and_hybrid_mode() {
        let s = load(&[("ANTHROPIC_API_KEY", "sk-ant")]).expect("valid");
        assert_eq!(s.llm.provider, Some(LlmProvider::Anthropic));
        assert_eq!(s.llm.mode, ExtractionMode::Hybrid);
        assert_eq!(s.llm.model, "claude-sonnet-4-5");
        let s = load(&[
            ("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1/"),
            ("LLM_MODEL", "llama3.2-vision"),
            ("LLM_MODE", "llm"),
            ("LLM_SEND_IMAGES", "false"),
        ])
        .expect("valid");
        assert_eq!(s.llm.provider, Some(LlmProvider::OpenAiCompatible));
        assert_eq!(s.llm.openai_base_url, "http://127.0.0.1:11434/v1");
        assert_eq!(s.llm.mode, ExtractionMode::Llm);
        assert!(!s.llm.send_images);
    }

    #[test]
    fn bad_values_name_the_variable() {
        assert_eq!(bad(&[("EXTRACTION_MODE", "magic")]), "EXTRACTION_MODE");
        assert_eq!(bad(&[("EXTRACTION_MODE", "hybrid")]), "EXTRACTION_MODE");
        assert_eq!(bad(&[("LLM_PROVIDER", "openai")]), "LLM_PROVIDER");
        assert_eq!(bad(&[("LLM_PROVIDER", "gemini")]), "LLM_PROVIDER");
        assert_eq!(
            bad(&[("OPENAI_BASE_URL", "localhost:11434")]),
            "OPENAI_BASE_URL"
        );
        assert_eq!(bad(&[("LLM_SEND_IMAGES", "sometimes")]), "LLM_SEND_IMAGES");
        assert_eq!(bad(&[("LLM_TIMEOUT_SECS", "0")]), "LLM_TIMEOUT_SECS");
        assert_eq!(bad(&[("LLM_PRICES", "gpt=cheap")]), "LLM_PRICES");
        assert_eq!(
            bad(&[("EMBEDDINGS_PROVIDER", "local")]),
            "EMBEDDINGS_PROVIDER"
        );
        assert_eq!(
            bad(&[("EMBEDDINGS_PROVIDER", "openai")]),
            "EMBEDDINGS_PROVIDER"
        );
        assert_eq!(
            bad(&[("EMBEDDINGS_MODEL_DIR", "/nonexistent")]),
            "EMBEDDINGS_MODEL_DIR"
        );
        assert_eq!(
            bad(&[("EMBEDDINGS_DIMENSIONS", "0")]),
            "EMBEDDINGS_DIMENSIONS"
        );
        assert!(load(&[("LLM_PRICES", "gpt-4o-mini=0.15:0.6, llama=0:0")]).is_ok());
    }

    #[test]
    fn keys_in_base_urls_and_keys_themselves_are_masked() {
        let s = load(&[
            ("OPENAI_API_KEY", "sk-very-secret"),
            ("OPENAI_BASE_URL", "https://user:hunter2@proxy.example/v1"),
        ])
        .expect("valid");
        let text: String = s
            .entries()
            .iter()
            .map(|e| format!("{}={}\n", e.variable, e.shown))
            .collect();
        assert!(
            !text.contains("sk-very-secret") && !text.contains("hunter2"),
            "{text}"
        );
        assert!(text.contains("LLM_PROVIDER=openai"), "{text}");
    }
}
