//! The pipeline that never loses an invoice: durable job queues, the event bus, workers.
//!
//! `processing_jobs` (in [`doxin_store`]) is the record of truth. A [`JobQueue`] only decides
//! which worker runs which job next: [`SqlQueue`] leases rows of that table directly;
//! [`RedisQueue`] carries wake-ups on a Redis Stream with a consumer group, and every delivery
//! is confirmed by a lease on the row, so a message delivered twice, or lost with Redis, never
//! changes the outcome. [`Worker`] runs jobs with heartbeats and lease renewal;
//! [`process_job`] turns one stored document into one invoice. [`EventBus`] tells the API
//! servers (and through them WebSocket clients) what happens, in-process or over Redis.
#![forbid(unsafe_code)]

pub mod approval;
mod error;
mod events;
mod metrics;
mod process;
mod queue;
mod redis_client;
pub mod report;
pub mod similar;
mod worker;

pub use error::JobError;
pub use events::{Event, EventBus, Outcome};
pub use metrics::StageTimes;
pub use process::{JobOptions, JobResult, Pipeline, ProcessConfig, Reprocess, match_companies};
pub use queue::{Delivery, JobQueue, ReconcileReport, RedisQueue, RedisQueueConfig, SqlQueue};
pub use redis_client::{check_redis, redis_client};
pub use report::{REPORT_JOB_KIND, ReportJob, ReportRunner};
pub use worker::{Worker, WorkerConfig, worker_is_alive};

pub type Result<T, E = JobError> = std::result::Result<T, E>;

/// Stable key names under a deployment's prefix, so several deployments (or tests) can share
/// one Redis.
#[derive(Debug, Clone)]
pub struct RedisKeys {
    pub prefix: String,
}

impl RedisKeys {
    pub fn new(prefix: impl Into<String>) -> RedisKeys {
        RedisKeys {
            prefix: prefix.into(),
        }
    }
    pub fn stream(&self) -> String {
        format!("{}:jobs", self.prefix)
    }
    pub fn group(&self) -> String {
        format!("{}:workers", self.prefix)
    }
    pub fn dead_letter(&self) -> String {
        format!("{}:jobs:dead", self.prefix)
    }
    pub fn events(&self) -> String {
        format!("{}:events", self.prefix)
    }
}
