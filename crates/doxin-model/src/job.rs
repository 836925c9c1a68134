//! The job vocabulary: a processing job's status, its stages, and which moves between states
//! are legal. The store persists these; the worker drives them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Where a processing job is in its life. `Succeeded`, `Failed` and `Cancelled` are terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStatus {
    Queued,
    Running,
    Succeeded,
    Failed,
    Cancelled,
}

/// An illegal state change, such as finishing a job that never started.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a job cannot go from {from} to {to}")]
pub struct TransitionError {
    pub from: JobStatus,
    pub to: JobStatus,
}

/// A status name that is not one of ours.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown job status {0:?} (expected one of queued, running, succeeded, failed, cancelled)")]
pub struct UnknownStatus(pub String);

impl JobStatus {
    pub const ALL: [JobStatus; 5] = [
        JobStatus::Queued,
        JobStatus::Running,
        JobStatus::Succeeded,
        JobStatus::Failed,
        JobStatus::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Queued => "queued",
            JobStatus::Running => "running",
            JobStatus::Succeeded => "succeeded",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
        }
    }

    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobStatus::Succeeded | JobStatus::Failed | JobStatus::Cancelled
        )
    }

    /// Checks a move to `to`. A running job may go back to `Queued` (its lease expired or
    /// its worker released it on shutdown); nothing leaves a terminal state.
    pub fn transition(self, to: JobStatus) -> Result<JobStatus, TransitionError> {
        use JobStatus::*;
        let legal = matches!(
            (self, to),
            (Queued, Running | Cancelled | Failed)
                | (Running, Queued | Succeeded | Failed | Cancelled)
        );
        if legal {
            Ok(to)
        } else {
            Err(TransitionError { from: self, to })
        }
    }
}

impl fmt::Display for JobStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStatus {
    type Err = UnknownStatus;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStatus::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| UnknownStatus(s.to_string()))
    }
}

/// The named steps of processing one document, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum JobStage {
    Store,
    Sniff,
    Extract,
    Ocr,
    Llm,
    Validate,
    Dedupe,
    Save,
}

impl JobStage {
    pub const ALL: [JobStage; 8] = [
        JobStage::Store,
        JobStage::Sniff,
        JobStage::Extract,
        JobStage::Ocr,
        JobStage::Llm,
        JobStage::Validate,
        JobStage::Dedupe,
        JobStage::Save,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            JobStage::Store => "store",
            JobStage::Sniff => "sniff",
            JobStage::Extract => "extract",
            JobStage::Ocr => "ocr",
            JobStage::Llm => "llm",
            JobStage::Validate => "validate",
            JobStage::Dedupe => "dedupe",
            JobStage::Save => "save",
        }
    }

    /// Progress in percent when this stage starts.
    pub fn progress(self) -> u8 {
        match self {
            JobStage::Store => 5,
            JobStage::Sniff => 10,
            JobStage::Extract => 20,
            JobStage::Ocr => 40,
            JobStage::Llm => 60,
            JobStage::Validate => 80,
            JobStage::Dedupe => 90,
            JobStage::Save => 95,
        }
    }
}

impl fmt::Display for JobStage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for JobStage {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        JobStage::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown job stage {s:?}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_states_cannot_be_left() {
        for from in [
            JobStatus::Succeeded,
            JobStatus::Failed,
            JobStatus::Cancelled,
        ] {
            for to in JobStatus::ALL {
                assert!(from.transition(to).is_err(), "{from} -> {to}");
            }
        }
    }

    #[test]
    fn lifecycle_moves() {
        assert_eq!(
            JobStatus::Queued.transition(JobStatus::Running),
            Ok(JobStatus::Running)
        );
        assert_eq!(
            JobStatus::Running.transition(JobStatus::Succeeded),
            Ok(JobStatus::Succeeded)
        );
        assert_eq!(
            JobStatus::Running.transition(JobStatus::Queued),
            Ok(JobStatus::Queued)
        );
        assert!(JobStatus::Queued.transition(JobStatus::Succeeded).is_err());
        assert!(JobStatus::Queued.transition(JobStatus::Queued).is_err());
    }

    #[test]
    fn names_round_trip() {
        for st in JobStatus::ALL {
            assert_eq!(st.as_str().parse::<JobStatus>(), Ok(st));
        }
        for st in JobStage::ALL {
            assert_eq!(st.as_str().parse::<JobStage>(), Ok(st));
        }
        assert!("done".parse::<JobStatus>().is_err());
    }
}
