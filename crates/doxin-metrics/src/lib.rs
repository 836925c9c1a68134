//! DoxIn's Prometheus metrics, counted where the work happens.
//!
//! One [`Metrics`] per process (cheap to clone: every family is shared behind an `Arc`): the
//! API counts the requests it answers, a worker counts the jobs, stages, extractions, model
//! requests and embeddings it does, and each serves its own figures on `/metrics`. A worker on
//! another host therefore loses nothing: Prometheus scrapes it directly. Figures that live in
//! the database (jobs by status, queue depth, live workers) are added by the serving process at
//! scrape time (see `doxin-server`'s `metrics` module); this crate only renders them next to its
//! own.
//!
//! Names, labels and buckets are the contract in `deploy/monitoring/METRICS.md`, which the
//! dashboards and alert rules are written against; `scripts/check-deploy.sh` holds the two
//! together.
#![forbid(unsafe_code)]

mod process;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

pub use process::ProcessStats;

/// The content type of [`Metrics::render`]: the OpenMetrics text format, which is what the
/// encoder writes (counters as `<name>_total`, a closing `# EOF`) and what Prometheus asks for.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
const JOB_BUCKETS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];
const LLM_BUCKETS: &[f64] = &[0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0];
const EMBED_BUCKETS: &[f64] = &[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0];
const CONFIDENCE_BUCKETS: &[f64] = &[
    0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.99, 1.0,
];

fn http_histogram() -> Histogram {
    Histogram::new(HTTP_BUCKETS.iter().copied())
}
fn job_histogram() -> Histogram {
    Histogram::new(JOB_BUCKETS.iter().copied())
}
fn llm_histogram() -> Histogram {
    Histogram::new(LLM_BUCKETS.iter().copied())
}
fn embed_histogram() -> Histogram {
    Histogram::new(EMBED_BUCKETS.iter().copied())
}
fn confidence_histogram() -> Histogram {
    Histogram::new(CONFIDENCE_BUCKETS.iter().copied())
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HttpLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StageLabels {
    stage: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FinishedLabels {
    status: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ExtractionLabels {
    path: String,
    llm: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PathLabels {
    path: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FindingLabels {
    rule: String,
    severity: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ModelLabels {
    provider: String,
    model: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LlmResultLabels {
    provider: String,
    model: String,
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TokenLabels {
    provider: String,
    model: String,
    direction: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolLabels {
    state: String,
}

/// How a request to a language model ended, for `doxin_llm_requests_total{result}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LlmResult {
    Ok,
    Error,
    Timeout,
    Refusal,
    Malformed,
}

impl LlmResult {
    pub fn as_str(self) -> &'static str {
        match self {
            LlmResult::Ok => "ok",
            LlmResult::Error => "error",
            LlmResult::Timeout => "timeout",
            LlmResult::Refusal => "refusal",
            LlmResult::Malformed => "malformed",
        }
    }

    /// The result for one of `doxin-llm`'s error codes (`llm_timeout`, `llm_refusal`, …).
    pub fn from_error_code(code: &str) -> LlmResult {
        match code {
            "llm_timeout" => LlmResult::Timeout,
            "llm_refusal" => LlmResult::Refusal,
            "llm_malformed" | "llm_truncated" | "llm_empty" => LlmResult::Malformed,
            _ => LlmResult::Error,
        }
    }
}

/// One finished request to a language model.
#[derive(Debug, Clone)]
pub struct LlmCall<'a> {
    pub provider: &'a str,
    pub model: &'a str,
    pub result: LlmResult,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// From `LLM_PRICES`; `None` when the model has no price.
    pub cost_usd: Option<f64>,
    pub duration: Duration,
}

/// One document extracted and saved.
#[derive(Debug, Clone)]
pub struct ExtractionDone<'a> {
    /// `xml`, `embedded_xml`, `text_layer` or `ocr`.
    pub path: &'a str,
    /// Whether a model was asked.
    pub llm: bool,
    /// `approved`, `needs_review` or `duplicate`.
    pub outcome: &'a str,
    pub confidence: f32,
    /// `(rule, severity)` of each validation finding.
    pub findings: Vec<(&'a str, &'a str)>,
}

/// The database pool of this process at scrape time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolStatus {
    pub in_use: u32,
    pub idle: u32,
    pub max: u32,
}

/// A counter of fractional amounts (USD, CPU seconds).
type FloatCounter = Counter<f64, AtomicU64>;

struct Families {
    registry: Registry,
    http_requests: Family<HttpLabels, Counter>,
    http_duration: HistogramFamily<HttpLabels>,
    jobs_finished: Family<FinishedLabels, Counter>,
    stage_duration: HistogramFamily<StageLabels>,
    job_duration: HistogramFamily<StatusLabels>,
    queue_wait: Histogram,
    worker_concurrency: Gauge,
    extractions: Family<ExtractionLabels, Counter>,
    confidence: HistogramFamily<PathLabels>,
    findings: Family<FindingLabels, Counter>,
    llm_requests: Family<LlmResultLabels, Counter>,
    llm_tokens: Family<TokenLabels, Counter>,
    llm_cost: Family<ModelLabels, FloatCounter>,
    llm_duration: HistogramFamily<ModelLabels>,
    embedding_duration: HistogramFamily<ModelLabels>,
    pool_connections: Family<PoolLabels, Gauge>,
    pool_max: Gauge,
    process_memory: Gauge,
    process_cpu: FloatCounter,
}

/// This process's metrics. Clones share the same figures.
#[derive(Clone)]
pub struct Metrics {
    inner: Arc<Families>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("doxin");
        let http_requests = Family::<HttpLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered by this process (scrapes of /metrics not counted).",
            http_requests.clone(),
        );
        let http_duration: HistogramFamily<HttpLabels> =
            Family::new_with_constructor(http_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request.",
            http_duration.clone(),
        );
        let jobs_finished = Family::<FinishedLabels, Counter>::default();
        registry.register(
            "jobs_finished",
            "Jobs that reached a terminal state, counted by the process that finished them.",
            jobs_finished.clone(),
        );
        let stage_duration: HistogramFamily<StageLabels> =
            Family::new_with_constructor(job_histogram);
        registry.register(
            "job_stage_duration_seconds",
            "Time a job spent in each stage.",
            stage_duration.clone(),
        );
        let job_duration: HistogramFamily<StatusLabels> =
            Family::new_with_constructor(job_histogram);
        registry.register(
            "job_duration_seconds",
            "From a worker's claim to the job's terminal state.",
            job_duration.clone(),
        );
        let queue_wait = job_histogram();
        registry.register(
            "job_queue_wait_seconds",
            "From enqueue (job created) to a worker's first claim.",
            queue_wait.clone(),
        );
        let worker_concurrency = Gauge::default();
        registry.register(
            "worker_concurrency",
            "Jobs this worker process runs at once (WORKER_CONCURRENCY).",
            worker_concurrency.clone(),
        );
        let extractions = Family::<ExtractionLabels, Counter>::default();
        registry.register(
            "extractions",
            "Documents extracted, by path, whether a model was asked, and outcome.",
            extractions.clone(),
        );
        let confidence: HistogramFamily<PathLabels> =
            Family::new_with_constructor(confidence_histogram);
        registry.register(
            "extraction_confidence",
            "Document confidence (0 to 1) of each extraction.",
            confidence.clone(),
        );
        let findings = Family::<FindingLabels, Counter>::default();
        registry.register(
            "validation_findings",
            "Validation findings on extracted invoices.",
            findings.clone(),
        );
        let llm_requests = Family::<LlmResultLabels, Counter>::default();
        registry.register(
            "llm_requests",
            "Requests to a language model, by their final result.",
            llm_requests.clone(),
        );
        let llm_tokens = Family::<TokenLabels, Counter>::default();
        registry.register(
            "llm_tokens",
            "Tokens reported by the model provider.",
            llm_tokens.clone(),
        );
        let llm_cost = Family::<ModelLabels, FloatCounter>::default();
        registry.register(
            "llm_cost_usd",
            "Cost of model requests in USD, from LLM_PRICES.",
            llm_cost.clone(),
        );
        let llm_duration: HistogramFamily<ModelLabels> =
            Family::new_with_constructor(llm_histogram);
        registry.register(
            "llm_request_duration_seconds",
            "Wall time of a model request, retries included.",
            llm_duration.clone(),
        );
        let embedding_duration: HistogramFamily<ModelLabels> =
            Family::new_with_constructor(embed_histogram);
        registry.register(
            "embedding_duration_seconds",
            "Time to embed one invoice.",
            embedding_duration.clone(),
        );
        let pool_connections = Family::<PoolLabels, Gauge>::default();
        registry.register(
            "db_pool_connections",
            "This process's database connections, in use or idle.",
            pool_connections.clone(),
        );
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_max_connections",
            "The most connections this process's pool opens (DATABASE_MAX_CONNECTIONS).",
            pool_max.clone(),
        );
        let process_memory = Gauge::default();
        registry.register(
            "process_resident_memory_bytes",
            "Resident memory of this process (sandbox children not included).",
            process_memory.clone(),
        );
        // Read from /proc at scrape time and brought up to that figure (it only grows).
        let process_cpu = FloatCounter::default();
        registry.register(
            "process_cpu_seconds",
            "User and system CPU seconds of this process.",
            process_cpu.clone(),
        );
        Metrics {
            inner: Arc::new(Families {
                registry,
                http_requests,
                http_duration,
                jobs_finished,
                stage_duration,
                job_duration,
                queue_wait,
                worker_concurrency,
                extractions,
                confidence,
                findings,
                llm_requests,
                llm_tokens,
                llm_cost,
                llm_duration,
                embedding_duration,
                pool_connections,
                pool_max,
                process_memory,
                process_cpu,
            }),
        }
    }

    /// One answered HTTP request; `route` is the route template, never the raw path.
    pub fn http_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let labels = HttpLabels {
            method: method.to_string(),
            route: route.to_string(),
            status,
        };
        self.inner.http_requests.get_or_create(&labels).inc();
        self.inner
            .http_duration
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
    }

    /// A worker claimed a job for the first time, `waited` after it was created.
    pub fn job_claimed(&self, waited: Duration) {
        self.inner.queue_wait.observe(waited.as_secs_f64());
    }

    /// A job spent `elapsed` in `stage`.
    pub fn stage_done(&self, stage: &str, elapsed: Duration) {
        self.inner
            .stage_duration
            .get_or_create(&StageLabels {
                stage: stage.to_string(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// A job reached `status` (`succeeded`, `failed`, `cancelled`) with `outcome` (`approved`,
    /// `needs_review`, `duplicate`, `none`); `ran` is the time since the claim, when there was
    /// one.
    pub fn job_finished(&self, status: &str, outcome: &str, ran: Option<Duration>) {
        self.inner
            .jobs_finished
            .get_or_create(&FinishedLabels {
                status: status.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
        if let Some(ran) = ran {
            self.inner
                .job_duration
                .get_or_create(&StatusLabels {
                    status: status.to_string(),
                })
                .observe(ran.as_secs_f64());
        }
    }

    pub fn set_worker_concurrency(&self, slots: usize) {
        self.inner
            .worker_concurrency
            .set(i64::try_from(slots).unwrap_or(i64::MAX));
    }

    /// A document extracted and saved: its path, confidence, outcome and findings.
    pub fn extraction(&self, done: &ExtractionDone<'_>) {
        self.inner
            .extractions
            .get_or_create(&ExtractionLabels {
                path: done.path.to_string(),
                llm: done.llm.to_string(),
                outcome: done.outcome.to_string(),
            })
            .inc();
        self.inner
            .confidence
            .get_or_create(&PathLabels {
                path: done.path.to_string(),
            })
            .observe(f64::from(done.confidence.clamp(0.0, 1.0)));
        for (rule, severity) in &done.findings {
            self.inner
                .findings
                .get_or_create(&FindingLabels {
                    rule: (*rule).to_string(),
                    severity: (*severity).to_string(),
                })
                .inc();
        }
    }

    /// A finished request to a language model.
    pub fn llm_request(&self, call: &LlmCall<'_>) {
        let model = ModelLabels {
            provider: call.provider.to_string(),
            model: call.model.to_string(),
        };
        self.inner
            .llm_requests
            .get_or_create(&LlmResultLabels {
                provider: model.provider.clone(),
                model: model.model.clone(),
                result: call.result.as_str().to_string(),
            })
            .inc();
        for (direction, n) in [("input", call.input_tokens), ("output", call.output_tokens)] {
            self.inner
                .llm_tokens
                .get_or_create(&TokenLabels {
                    provider: model.provider.clone(),
                    model: model.model.clone(),
                    direction: direction.to_string(),
                })
                .inc_by(n);
        }
        let cost = call.cost_usd.filter(|c| c.is_finite() && *c >= 0.0);
        self.inner
            .llm_cost
            .get_or_create(&model)
            .inc_by(cost.unwrap_or(0.0));
        self.inner
            .llm_duration
            .get_or_create(&model)
            .observe(call.duration.as_secs_f64());
    }

    /// One invoice embedded by `provider`/`model` in `elapsed`.
    pub fn embedding(&self, provider: &str, model: &str, elapsed: Duration) {
        self.inner
            .embedding_duration
            .get_or_create(&ModelLabels {
                provider: provider.to_string(),
                model: model.to_string(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// This process's figures in the OpenMetrics text format, followed by `extra` (families
    /// the caller read elsewhere, e.g. from the database, already in that format) and `# EOF`.
    pub fn render(&self, pool: Option<PoolStatus>, extra: &str) -> String {
        if let Some(pool) = pool {
            for (state, n) in [("in_use", pool.in_use), ("idle", pool.idle)] {
                self.inner
                    .pool_connections
                    .get_or_create(&PoolLabels {
                        state: state.to_string(),
                    })
                    .set(i64::from(n));
            }
            self.inner.pool_max.set(i64::from(pool.max));
        }
        if let Some(stats) = ProcessStats::read() {
            self.inner
                .process_memory
                .set(i64::try_from(stats.resident_bytes).unwrap_or(i64::MAX));
            let behind = stats.cpu_seconds - self.inner.process_cpu.get();
            if behind > 0.0 {
                self.inner.process_cpu.inc_by(behind);
            }
        }
        let mut out = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode_registry(&mut out, &self.inner.registry);
        out.push_str(extra);
        out.push_str("# EOF\n");
        out
    }
}

/// Appends a gauge family to `out` in the OpenMetrics text format: `samples` are
/// `(labels, value)`, labels already rendered as `key="value",…` (escape values with
/// [`label_value`]).
pub fn write_gauge(out: &mut String, name: &str, help: &str, samples: &[(String, f64)]) {
    use std::fmt::Write;
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
    for (labels, value) in samples {
        if labels.is_empty() {
            let _ = writeln!(out, "{name} {value}");
        } else {
            let _ = writeln!(out, "{name}{{{labels}}} {value}");
        }
    }
}

/// Escapes a label value (backslash, quote, newline).
pub fn label_value(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
    }

    #[test]
    fn http_requests_are_counted_with_a_latency_histogram() {
        let m = Metrics::new();
        m.http_request(
            "GET",
            "/api/v1/invoices/{id}",
            200,
            Duration::from_millis(30),
        );
        m.http_request(
            "GET",
            "/api/v1/invoices/{id}",
            200,
            Duration::from_millis(3),
        );
        let text = m.render(None, "");
        assert_eq!(
            sample(
                &text,
                "doxin_http_requests_total{method=\"GET\",route=\"/api/v1/invoices/{id}\",status=\"200\"}"
            ),
            Some("2")
        );
        let bucket = text
            .lines()
            .find(|l| {
                l.starts_with("doxin_http_request_duration_seconds_bucket{")
                    && l.contains("le=\"0.005\"")
            })
            .expect("bucket line");
        assert!(bucket.ends_with(" 1"), "{bucket}");
        assert!(text.ends_with("# EOF\n"));
    }

    #[test]
    fn llm_calls_count_requests_tokens_and_cost() {
        let m = Metrics::new();
        let call = LlmCall {
            provider: "openai",
            model: "gpt-4o-mini",
            result: LlmResult::Ok,
            input_tokens: 1200,
            output_tokens: 300,
            cost_usd: Some(0.25),
            duration: Duration::from_millis(800),
        };
        m.llm_request(&call);
        m.llm_request(&LlmCall {
            result: LlmResult::from_error_code("llm_timeout"),
            input_tokens: 0,
            output_tokens: 0,
            cost_usd: None,
            ..call.clone()
        });
        let text = m.render(None, "");
        let labels = "provider=\"openai\",model=\"gpt-4o-mini\"";
        assert_eq!(
            sample(
                &text,
                &format!("doxin_llm_requests_total{{{labels},result=\"ok\"}}")
            ),
            Some("1")
        );
        assert_eq!(
            sample(
                &text,
                &format!("doxin_llm_requests_total{{{labels},result=\"timeout\"}}")
            ),
            Some("1")
        );
        assert_eq!(
            sample(
                &text,
                &format!("doxin_llm_tokens_total{{{labels},direction=\"input\"}}")
            ),
            Some("1200")
        );
        assert_eq!(
            sample(&text, &format!("doxin_llm_cost_usd_total{{{labels}}}")),
            Some("0.25")
        );
        assert_eq!(
            sample(
                &text,
                &format!("doxin_llm_request_duration_seconds_count{{{labels}}}")
            ),
            Some("2")
        );
    }

    #[test]
    fn jobs_stages_and_extractions_are_counted() {
        let m = Metrics::new();
        m.set_worker_concurrency(4);
        m.job_claimed(Duration::from_millis(120));
        m.stage_done("extract", Duration::from_millis(400));
        m.extraction(&ExtractionDone {
            path: "text_layer",
            llm: false,
            outcome: "needs_review",
            confidence: 0.72,
            findings: vec![("BR-CO-15", "error")],
        });
        m.job_finished("succeeded", "needs_review", Some(Duration::from_secs(1)));
        m.job_finished("cancelled", "none", None);
        let text = m.render(None, "");
        assert_eq!(sample(&text, "doxin_worker_concurrency "), Some("4"));
        assert_eq!(
            sample(&text, "doxin_job_queue_wait_seconds_count "),
            Some("1")
        );
        assert_eq!(
            sample(
                &text,
                "doxin_job_stage_duration_seconds_count{stage=\"extract\"}"
            ),
            Some("1")
        );
        assert_eq!(
            sample(
                &text,
                "doxin_extractions_total{path=\"text_layer\",llm=\"false\",outcome=\"needs_review\"}"
            ),
            Some("1")
        );
        assert_eq!(
            sample(
                &text,
                "doxin_validation_findings_total{rule=\"BR-CO-15\",severity=\"error\"}"
            ),
            Some("1")
        );
        assert_eq!(
            sample(
                &text,
                "doxin_jobs_finished_total{status=\"cancelled\",outcome=\"none\"}"
            ),
            Some("1")
        );
        assert_eq!(
            sample(
                &text,
                "doxin_job_duration_seconds_count{status=\"succeeded\"}"
            ),
            Some("1")
        );
        assert!(
            !text.contains("doxin_job_duration_seconds_count{status=\"cancelled\"}"),
            "a job cancelled before any claim has no duration"
        );
    }

    #[test]
    fn pool_process_and_extra_families_are_rendered() {
        let m = Metrics::new();
        let mut extra = String::new();
        write_gauge(
            &mut extra,
            "doxin_queue_depth",
            "Jobs waiting for a worker.",
            &[(String::new(), 3.0)],
        );
        let text = m.render(
            Some(PoolStatus {
                in_use: 2,
                idle: 3,
                max: 10,
            }),
            &extra,
        );
        assert_eq!(
            sample(&text, "doxin_db_pool_connections{state=\"in_use\"}"),
            Some("2")
        );
        assert_eq!(sample(&text, "doxin_db_pool_max_connections "), Some("10"));
        assert_eq!(sample(&text, "doxin_queue_depth "), Some("3"));
        let rss: f64 = sample(&text, "doxin_process_resident_memory_bytes ")
            .expect("rss")
            .parse()
            .expect("number");
        assert!(rss > 1_000_000.0, "{rss}");
        assert!(sample(&text, "doxin_process_cpu_seconds_total ").is_some());
        assert_eq!(text.matches("# EOF").count(), 1);
        assert!(text.ends_with("doxin_queue_depth 3\n# EOF\n"));
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
