//! What the pipeline tells [`doxin_metrics`]: stage timings per job, extractions, model
//! requests. Counted here, in the process that does the work, so a worker on another host
//! serves its own figures.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use doxin_extract::pipeline::Extraction;
use doxin_llm::LlmReport;
use doxin_metrics::{ExtractionDone, LlmCall, LlmResult, Metrics};
use doxin_model::JobStage;
use doxin_model::validation::{Finding, Severity};
use uuid::Uuid;

/// The stage each running job is in and since when. A job's time in a stage is the time until
/// its next stage (or its end), so stages marked after the fact (OCR and the model are known
/// once extraction returns) take the time between their marks.
#[derive(Debug, Default)]
pub struct StageTimes {
    /// Per job in hand: its stage, when it entered it, and when it entered its first one.
    current: Mutex<HashMap<Uuid, (JobStage, Instant, Instant)>>,
}

impl StageTimes {
    /// `job` entered `stage`: the stage it leaves is recorded. Returns how long the job has
    /// been in hand (since its first stage).
    pub fn mark(&self, metrics: &Metrics, job: Uuid, stage: JobStage) -> Duration {
        let now = Instant::now();
        let mut current = self.current.lock().unwrap_or_else(|p| p.into_inner());
        let first = current.get(&job).map_or(now, |&(_, _, first)| first);
        let left = current.insert(job, (stage, now, first));
        drop(current);
        if let Some((stage, since, _)) = left {
            metrics.stage_done(stage.as_str(), since.elapsed());
        }
        now.duration_since(first)
    }

    /// The stage `job` is in, if it is in hand.
    pub fn current(&self, job: Uuid) -> Option<JobStage> {
        self.current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&job)
            .map(|&(stage, _, _)| stage)
    }

    /// `job` ended (finished, failed, released): its last stage is recorded.
    pub fn end(&self, metrics: &Metrics, job: Uuid) {
        let left = self
            .current
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&job);
        if let Some((stage, since, _)) = left {
            metrics.stage_done(stage.as_str(), since.elapsed());
        }
    }
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Counts an extraction that was saved with `outcome`.
pub(crate) fn count_extraction(
    metrics: &Metrics,
    extraction: &Extraction,
    llm: Option<&LlmReport>,
    outcome: &str,
    findings: &[Finding],
) {
    let path = serde_json::to_value(extraction.path)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_else(|| "unknown".to_string());
    metrics.extraction(&ExtractionDone {
        path: &path,
        llm: llm.is_some_and(|r| r.asked),
        outcome,
        confidence: extraction.confidence,
        findings: findings
            .iter()
            .map(|f| (f.rule.code(), severity(f.severity)))
            .collect(),
    });
}

/// Counts the model request behind `report`, when one was made.
pub(crate) fn count_llm_report(metrics: &Metrics, report: &LlmReport) {
    if !report.asked {
        return;
    }
    metrics.llm_request(&LlmCall {
        provider: report.provider,
        model: &report.model,
        result: report
            .error
            .as_ref()
            .map_or(LlmResult::Ok, |e| LlmResult::from_error_code(e.code)),
        input_tokens: report.usage.input_tokens,
        output_tokens: report.usage.output_tokens,
        cost_usd: report.cost_usd,
        duration: Duration::from_secs_f64((report.millis / 1000.0).max(0.0)),
    });
}

/// Counts a model request that failed the job (no report comes back with the error).
pub(crate) fn count_llm_error(
    metrics: &Metrics,
    provider: &str,
    model: &str,
    code: &str,
    took: Duration,
) {
    metrics.llm_request(&LlmCall {
        provider,
        model,
        result: LlmResult::from_error_code(code),
        input_tokens: 0,
        output_tokens: 0,
        cost_usd: None,
        duration: took,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stage_lasts_until_the_next_one_or_the_end() {
        let metrics = Metrics::new();
        let times = StageTimes::default();
        let job = Uuid::new_v4();
        assert_eq!(times.mark(&metrics, job, JobStage::Store), Duration::ZERO);
        std::thread::sleep(Duration::from_millis(20));
        // The time in hand counts from the first stage (it decides whether a stage is
        // written to the job's row), and the current stage is what `finish` records.
        assert!(times.mark(&metrics, job, JobStage::Extract) >= Duration::from_millis(20));
        assert_eq!(times.current(job), Some(JobStage::Extract));
        times.end(&metrics, job);
        assert_eq!(times.current(job), None);
        times.end(&metrics, job);
        let text = metrics.render(None, "");
        for stage in ["store", "extract"] {
            let line = format!("doxin_job_stage_duration_seconds_count{{stage=\"{stage}\"}} 1");
            assert!(text.contains(&line), "{line} in\n{text}");
        }
        assert!(times.current.lock().expect("lock").is_empty());
    }
}
