//! Evaluation of extraction against ground truth (`doxin eval`).
//!
//! Truth files follow the corpus convention (`<stem>.expected.json` with a `fields` object).
//! Values compare numerically when both sides are numbers, otherwise after normalisation
//! (trimmed, white space collapsed, case folded). Line items are paired by maximum-weight
//! bipartite matching so one missed line does not shift every later one. Confidence scores are
//! checked against correctness in a calibration table. This crate does no extraction itself:
//! the caller supplies the extracted `fields` and their confidences.
#![forbid(unsafe_code)]

pub mod compare;
pub mod corpus;
pub mod matching;
pub mod report;

pub use compare::{DocumentScore, FieldOutcome, compare_document};
pub use corpus::{CorpusDocument, discover};
pub use report::{CalibrationBin, Report};
