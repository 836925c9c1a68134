//! Aggregating document scores into the evaluation report: per source and per field accuracy,
//! line-item F1, confidence calibration and throughput.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::compare::{DocumentScore, FieldOutcome};

/// Right and total counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Tally {
    pub correct: u64,
    pub total: u64,
}

impl Tally {
    pub fn add(&mut self, correct: bool) {
        self.total += 1;
        self.correct += u64::from(correct);
    }

    pub fn accuracy(&self) -> Option<f64> {
        (self.total > 0).then(|| self.correct as f64 / self.total as f64)
    }
}

/// Line-item totals; F1 over lines.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LineTally {
    pub truth: u64,
    pub extracted: u64,
    pub correct: u64,
}

impl LineTally {
    pub fn f1(&self) -> Option<f64> {
        if self.truth == 0 {
            return None;
        }
        let p = if self.extracted == 0 {
            0.0
        } else {
            self.correct as f64 / self.extracted as f64
        };
        let r = self.correct as f64 / self.truth as f64;
        Some(if p + r == 0.0 {
            0.0
        } else {
            2.0 * p * r / (p + r)
        })
    }
}

/// Scores for one source folder.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SourceReport {
    pub documents: u64,
    pub with_truth: u64,
    pub failed: u64,
    pub pages: u64,
    pub seconds: f64,
    pub fields: Tally,
    pub lines: LineTally,
    pub by_field: BTreeMap<String, Tally>,
}

/// One calibration bin: of the values scored in `[lower, upper)`, how many were right.
#[derive(Debug, Clone, Serialize)]
pub struct CalibrationBin {
    pub lower: f32,
    pub upper: f32,
    pub tally: Tally,
}

/// A document that failed to extract.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub path: String,
    pub error: String,
}

/// A wrong or missing value, for the detailed listing.
#[derive(Debug, Clone, Serialize)]
pub struct Miss {
    pub path: String,
    pub field: String,
    #[serde(flatten)]
    pub outcome: FieldOutcome,
    pub confidence: Option<f32>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    pub sources: BTreeMap<String, SourceReport>,
    pub calibration: Vec<CalibrationBin>,
    pub failures: Vec<Failure>,
    pub misses: Vec<Miss>,
    pub total_seconds: f64,
}

const BIN_EDGES: &[f32] = &[0.0, 0.5, 0.7, 0.8, 0.9, 0.95, 1.0001];

impl Report {
    pub fn new() -> Report {
        Report {
            calibration: BIN_EDGES
                .windows(2)
                .map(|w| CalibrationBin {
                    lower: w[0],
                    upper: w[1],
                    tally: Tally::default(),
                })
                .collect(),
            ..Report::default()
        }
    }

    /// Records one extracted document (score `None` when it has no truth).
    pub fn record(
        &mut self,
        source: &str,
        path: &str,
        pages: u64,
        seconds: f64,
        score: Option<&DocumentScore>,
    ) {
        let s = self.sources.entry(source.to_string()).or_default();
        s.documents += 1;
        s.pages += pages;
        s.seconds += seconds;
        let Some(score) = score else { return };
        s.with_truth += 1;
        for f in &score.fields {
            let ok = f.is_correct();
            s.fields.add(ok);
            s.by_field.entry(f.field.clone()).or_default().add(ok);
            if let Some(c) = f.confidence
                && let Some(bin) = self
                    .calibration
                    .iter_mut()
                    .find(|b| c >= b.lower && c < b.upper)
            {
                bin.tally.add(ok);
            }
            if !ok {
                self.misses.push(Miss {
                    path: path.to_string(),
                    field: f.path.clone(),
                    outcome: f.outcome.clone(),
                    confidence: f.confidence,
                });
            }
        }
        if let Some(l) = &score.lines {
            s.lines.truth += l.truth as u64;
            s.lines.extracted += l.extracted as u64;
            s.lines.correct += l.correct as u64;
        }
    }

    pub fn record_failure(
        &mut self,
        source: &str,
        path: &str,
        seconds: f64,
        error: String,
        has_truth: bool,
    ) {
        let s = self.sources.entry(source.to_string()).or_default();
        s.documents += 1;
        s.failed += 1;
        s.seconds += seconds;
        if has_truth {
            s.with_truth += 1;
        }
        self.failures.push(Failure {
            path: path.to_string(),
            error,
        });
    }

    /// Everything across sources.
    pub fn overall(&self) -> SourceReport {
        let mut all = SourceReport::default();
        for s in self.sources.values() {
            all.documents += s.documents;
            all.with_truth += s.with_truth;
            all.failed += s.failed;
            all.pages += s.pages;
            all.seconds += s.seconds;
            all.fields.correct += s.fields.correct;
            all.fields.total += s.fields.total;
            all.lines.truth += s.lines.truth;
            all.lines.extracted += s.lines.extracted;
            all.lines.correct += s.lines.correct;
            for (k, t) in &s.by_field {
                let e = all.by_field.entry(k.clone()).or_default();
                e.correct += t.correct;
                e.total += t.total;
            }
        }
        all
    }

    /// The human-readable report.
    pub fn render(&self, show_misses: usize) -> String {
        let pct = |t: Option<f64>| t.map_or("-".to_string(), |a| format!("{:.1}%", a * 100.0));
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{:<32} {:>5} {:>5} {:>4} {:>14} {:>8} {:>8} {:>8} {:>8}",
            "source", "docs", "truth", "fail", "fields", "acc", "line F1", "docs/s", "pages/s"
        );
        let mut rows: Vec<(String, SourceReport)> = self
            .sources
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        rows.push(("ALL".to_string(), self.overall()));
        for (name, s) in &rows {
            let rate = |n: u64| {
                if s.seconds > 0.0 {
                    format!("{:.1}", n as f64 / s.seconds)
                } else {
                    "-".into()
                }
            };
            let _ = writeln!(
                out,
                "{:<32} {:>5} {:>5} {:>4} {:>14} {:>8} {:>8} {:>8} {:>8}",
                name,
                s.documents,
                s.with_truth,
                s.failed,
                format!("{}/{}", s.fields.correct, s.fields.total),
                pct(s.fields.accuracy()),
                pct(s.lines.f1()),
                rate(s.documents),
                rate(s.pages),
            );
        }
        for (name, s) in &self.sources {
            let _ = writeln!(out, "\n{name}: per field");
            for (field, t) in &s.by_field {
                let _ = writeln!(
                    out,
                    "  {:<44} {:>9} {:>8}",
                    field,
                    format!("{}/{}", t.correct, t.total),
                    pct(t.accuracy())
                );
            }
        }
        let _ = writeln!(out, "\ncalibration (fields with a confidence)");
        let _ = writeln!(out, "  {:<14} {:>9} {:>8}", "confidence", "right", "acc");
        for b in &self.calibration {
            let _ = writeln!(
                out,
                "  [{:.2}, {:.2}) {:>9} {:>8}",
                b.lower,
                b.upper.min(1.0),
                format!("{}/{}", b.tally.correct, b.tally.total),
                pct(b.tally.accuracy())
            );
        }
        if !self.failures.is_empty() {
            let _ = writeln!(out, "\nfailures");
            for f in &self.failures {
                let _ = writeln!(out, "  {}: {}", f.path, f.error);
            }
        }
        if show_misses > 0 && !self.misses.is_empty() {
            let _ = writeln!(out, "\nmisses (first {show_misses})");
            for m in self.misses.iter().take(show_misses) {
                let detail = match &m.outcome {
                    FieldOutcome::Wrong { expected, got } => {
                        format!("expected {expected:?}, got {got:?}")
                    }
                    FieldOutcome::Missing { expected } => {
                        format!("expected {expected:?}, got nothing")
                    }
                    FieldOutcome::Correct => String::new(),
                };
                let _ = writeln!(out, "  {} {}: {}", m.path, m.field, detail);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::compare_document;
    use serde_json::json;
    use std::collections::HashMap;

    #[test]
    fn aggregates_fields_lines_and_calibration() {
        let truth = json!({"invoice_id": "1", "currency": "EUR",
            "lines": [{"description": "A", "line_amount": "1"}, {"description": "B", "line_amount": "2"}]});
        let got = json!({"invoice_id": "1", "currency": "USD",
            "lines": [{"description": "A", "line_amount": "1"}]});
        let conf = HashMap::from([
            ("invoice_id".into(), 0.97_f32),
            ("currency".into(), 0.92_f32),
        ]);
        let score = compare_document(&truth, &got, &conf);
        let mut r = Report::new();
        r.record("src", "doc.xml", 1, 0.5, Some(&score));
        let s = &r.sources["src"];
        assert_eq!(
            s.fields,
            Tally {
                correct: 3,
                total: 6
            }
        );
        assert_eq!(
            s.lines,
            LineTally {
                truth: 2,
                extracted: 1,
                correct: 1
            }
        );
        let f1 = s.lines.f1().expect("f1");
        assert!((f1 - 2.0 / 3.0).abs() < 1e-9);
        let high = r.calibration.iter().find(|b| b.lower == 0.95).expect("bin");
        assert_eq!(
            high.tally,
            Tally {
                correct: 1,
                total: 1
            }
        );
        let text = r.render(10);
        assert!(text.contains("ALL"), "{text}");
        assert!(text.contains("currency"), "{text}");
    }
}
