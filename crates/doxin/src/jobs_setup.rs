//! Assembles the job pipeline from the settings: the SQL queue and an in-process event bus on
//! the embedded default, Redis Streams and Redis pub/sub when `REDIS_URL` is set.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use doxin_config::Settings;
use doxin_jobs::{
    EventBus, JobQueue, Pipeline, ProcessConfig, RedisKeys, RedisQueue, RedisQueueConfig, SqlQueue,
    Worker, WorkerConfig,
};
use doxin_server::IntakeLimits;
use doxin_store::{FileStore, Store};

pub struct Jobs {
    pub queue: Arc<dyn JobQueue>,
    pub events: EventBus,
}

pub fn visibility_timeout(settings: &Settings) -> Duration {
    Duration::from_secs(settings.pipeline.visibility_timeout_secs)
}

pub fn jobs(settings: &Settings, store: Arc<dyn Store>) -> anyhow::Result<Jobs> {
    let lease = visibility_timeout(settings);
    Ok(match redis_client(settings)? {
        Some(client) => {
            let keys = RedisKeys::new(settings.pipeline.redis_key_prefix.clone());
            let queue = RedisQueue::new(
                client.clone(),
                store,
                RedisQueueConfig {
                    keys: keys.clone(),
                    visibility_timeout: lease,
                    resend_after: Duration::from_secs(
                        settings.pipeline.reconcile_interval_secs.max(5),
                    ),
                },
            );
            Jobs {
                queue: Arc::new(queue),
                events: EventBus::redis(client, &keys),
            }
        }
        None => Jobs {
            queue: Arc::new(SqlQueue::new(store, lease)),
            events: EventBus::local(),
        },
    })
}

/// The Redis client of the settings' Redis URL, over TLS for `rediss://` (checked against
/// `REDIS_CA_FILE` when set); `None` without Redis.
pub fn redis_client(settings: &Settings) -> anyhow::Result<Option<redis::Client>> {
    settings
        .redis_url
        .as_ref()
        .map(|url| {
            doxin_jobs::redis_client(url.expose(), settings.redis_ca_file.as_deref())
                .context("the Redis URL (REDIS_URL) or REDIS_CA_FILE is not usable")
        })
        .transpose()
}

/// Connects to Redis once at start-up: a TLS connection that cannot be established (a
/// certificate that does not verify) stops the process with the reason; Redis merely being
/// unreachable is logged, and the queue keeps retrying.
pub async fn check_redis(settings: &Settings) -> anyhow::Result<()> {
    let Some(client) = redis_client(settings)? else {
        return Ok(());
    };
    match doxin_jobs::check_redis(&client, Duration::from_secs(10)).await {
        Ok(()) => Ok(()),
        Err(e @ doxin_jobs::JobError::Tls(_)) => Err(e).context("cannot connect to Redis"),
        Err(e) => {
            tracing::warn!(error = %e, "Redis is not reachable yet; retrying as jobs arrive");
            Ok(())
        }
    }
}

pub fn limits(settings: &Settings) -> IntakeLimits {
    IntakeLimits {
        max_upload_bytes: settings.max_upload_mb * 1024 * 1024,
        max_pages: settings.pipeline.max_pages,
        queue_max: settings.pipeline.queue_max,
        max_attempts: settings.pipeline.max_attempts,
        document: document_limits(settings),
        confidence_threshold: settings.pipeline.confidence_threshold,
        ..IntakeLimits::default()
    }
}

/// The structural limits of one document (`PDF_MAX_*`, `MAX_OCR_PAGES`, `MAX_IMAGE_MEGAPIXELS`).
pub fn document_limits(settings: &Settings) -> doxin_extract::DocumentLimits {
    let s = &settings.sandbox;
    doxin_extract::DocumentLimits {
        max_nesting: s.pdf_max_nesting,
        max_page_tree_depth: s.pdf_max_page_tree_depth,
        max_objects: s.pdf_max_objects,
        max_decompressed_bytes: s.pdf_max_decompressed_mb * 1024 * 1024,
        max_operators: s.pdf_max_operators,
        max_pixels: s.max_image_megapixels * 1_000_000,
        max_ocr_pages: s.max_ocr_pages,
    }
}

/// Where documents are read: children of this executable (`doxin sandbox-child`) with the
/// configured budget, or this process when `SANDBOX=false`.
pub fn sandbox(settings: &Settings) -> anyhow::Result<doxin_sandbox::Sandbox> {
    let s = &settings.sandbox;
    let mut config = if s.enabled {
        doxin_sandbox::SandboxConfig::current_exe()
            .context("cannot find this executable to start sandbox processes")?
    } else {
        doxin_sandbox::SandboxConfig::default()
    };
    config.memory_bytes = s.memory_mb * 1024 * 1024;
    config.cpu_seconds = s.cpu_seconds;
    config.timeout = Duration::from_secs(s.timeout_secs);
    Ok(doxin_sandbox::Sandbox::new(config))
}

pub fn fetcher(settings: &Settings) -> anyhow::Result<doxin_fetch::Fetcher> {
    let allow = doxin_fetch::FetchPolicy::parse_allow_list(&settings.pipeline.url_fetch_allowlist)
        .context("URL_FETCH_ALLOWLIST")?;
    Ok(doxin_fetch::Fetcher::new(doxin_fetch::FetchPolicy {
        allow,
        max_bytes: settings.max_upload_mb * 1024 * 1024,
        timeout: Duration::from_secs(settings.pipeline.url_fetch_timeout_secs),
        max_redirects: 5,
    }))
}

/// The language model workers use, from `EXTRACTION_MODE` and the provider settings.
fn llm(settings: &Settings) -> anyhow::Result<Option<(doxin_llm::LlmExtractor, doxin_llm::Mode)>> {
    let mode = match settings.llm.mode {
        doxin_config::ExtractionMode::Rules => return Ok(None),
        doxin_config::ExtractionMode::Llm => doxin_llm::Mode::Llm,
        doxin_config::ExtractionMode::Hybrid => doxin_llm::Mode::Hybrid,
    };
    Ok(Some((
        crate::extract_cmd::configured_extractor(settings, mode).context("EXTRACTION_MODE")?,
        mode,
    )))
}

/// The embedder of `EMBEDDINGS_PROVIDER`, sized for the store's vectors: the hash embedder and
/// MiniLM give 384 dimensions; a remote model is asked for 384 unless `EMBEDDINGS_DIMENSIONS`
/// says otherwise (then its vectors cannot be stored, which the worker logs).
pub fn embedder(settings: &Settings) -> anyhow::Result<Arc<dyn doxin_embed::Embedder>> {
    use doxin_config::EmbeddingsProvider;
    let e = &settings.embeddings;
    Ok(match e.provider {
        EmbeddingsProvider::Hash => Arc::new(doxin_embed::hash::HashEmbedder::new(
            e.dimensions.unwrap_or(doxin_store::EMBEDDING_DIMENSION),
        )),
        EmbeddingsProvider::Local => {
            let dir = e
                .model_dir
                .as_deref()
                .context("EMBEDDINGS_PROVIDER=local needs EMBEDDINGS_MODEL_DIR")?;
            Arc::new(doxin_embed::local::LocalEmbedder::load(dir).context("EMBEDDINGS_MODEL_DIR")?)
        }
        EmbeddingsProvider::OpenAi => {
            let http = doxin_llm::http::HttpClient::new(
                Duration::from_secs(settings.llm.timeout_secs),
                doxin_llm::http::RetryPolicy {
                    max_retries: settings.llm.max_retries,
                    ..Default::default()
                },
            )
            .context("the embeddings HTTP client")?;
            Arc::new(doxin_embed::openai::OpenAiEmbedder::new(
                http,
                &e.base_url,
                settings.openai_api_key.as_ref().map(|k| k.expose()),
                &e.model,
                Some(e.dimensions.unwrap_or(doxin_store::EMBEDDING_DIMENSION)),
            ))
        }
    })
}

/// How workers, `extract` and `eval` run OCR (`OCR_LANGUAGES`, `OCR_UPSCALE_BELOW`,
/// `OCR_LANGUAGE_CHOICE`, `OCR_ENGINE`).
pub fn ocr_options(settings: &Settings) -> doxin_extract::ocr::OcrOptions {
    use doxin_extract::ocr::LanguageChoice;
    doxin_extract::ocr::OcrOptions {
        languages: settings.pipeline.ocr_languages.clone(),
        upscale_below: settings.pipeline.ocr_upscale_below,
        language_choice: match settings.pipeline.ocr_language_choice {
            doxin_config::OcrLanguageChoice::Auto => LanguageChoice::Auto,
            doxin_config::OcrLanguageChoice::All => LanguageChoice::All,
        },
        engine: match settings.pipeline.ocr_engine {
            doxin_config::OcrEngine::Library => doxin_extract::ocr::OcrEngine::Library,
            doxin_config::OcrEngine::Program => doxin_extract::ocr::OcrEngine::Program,
        },
        ..Default::default()
    }
}

pub fn worker(
    settings: &Settings,
    store: Arc<dyn Store>,
    files: FileStore,
    jobs: &Jobs,
    embedder: Arc<dyn doxin_embed::Embedder>,
    sandbox: doxin_sandbox::Sandbox,
    metrics: doxin_metrics::Metrics,
) -> anyhow::Result<Worker> {
    let extract = doxin_extract::pipeline::ExtractOptions {
        max_bytes: settings.max_upload_mb * 1024 * 1024,
        limits: document_limits(settings),
        ocr: ocr_options(settings),
        ..Default::default()
    };
    let pipeline = Pipeline {
        store,
        files,
        events: jobs.events.clone(),
        config: ProcessConfig {
            extract,
            confidence_threshold: settings.pipeline.confidence_threshold,
        },
        llm: llm(settings)?,
        embedder: Some(embedder),
        sandbox,
        metrics,
        stage_times: Default::default(),
    };
    let mut config = WorkerConfig::new(settings.worker_concurrency, visibility_timeout(settings));
    config.reconcile_every = Duration::from_secs(settings.pipeline.reconcile_interval_secs);
    config.report_retention_days = settings.pipeline.report_retention_days;
    Ok(Worker::new(config, pipeline, jobs.queue.clone()))
}
