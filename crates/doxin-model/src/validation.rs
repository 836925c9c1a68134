//! Validation rules (filled in by the validation work).
use serde::{Deserialize, Serialize};
use crate::invoice::Invoice;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RuleId {}
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity { Error, Warning }
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding { pub rule: RuleId, pub severity: Severity, pub message: String }
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Tolerance {}
pub fn validate(_invoice: &Invoice, _tolerance: &Tolerance) -> Vec<Finding> { Vec::new() }
