//! Which worker runs which job next. Two implementations share one contract (see the crate
//! docs): the database row is the truth, a queue only hands out leases on it.

mod redis;
mod sql;

use std::time::Duration;

use async_trait::async_trait;
use doxin_store::JobRecord;
use uuid::Uuid;

use crate::Result;

pub use self::redis::{RedisQueue, RedisQueueConfig};
pub use self::sql::SqlQueue;

/// A job leased to a worker.
#[derive(Debug, Clone)]
pub struct Delivery {
    /// The job as claimed (status running, attempts counted).
    pub job: JobRecord,
    /// The broker's message id (Redis), acknowledged when the job is settled.
    pub(crate) message_id: Option<String>,
}

/// What one reconciliation pass repaired.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Running jobs whose worker's lease expired, put back in the queue.
    pub expired: usize,
    /// Queued jobs the broker did not know about (Redis lost its data), sent again.
    pub resent: usize,
}

#[async_trait]
pub trait JobQueue: Send + Sync + 'static {
    /// `sql` or `redis`.
    fn kind(&self) -> &'static str;

    /// Tells workers about a queued job whose row exists.
    async fn enqueue(&self, job_id: Uuid) -> Result<()>;

    /// Leases the next job to `worker`, waiting up to `wait` for one.
    async fn next(&self, worker: &str, wait: Duration) -> Result<Option<Delivery>>;

    /// Extends the worker's lease while it works; `false` when the job is no longer its own
    /// (cancelled, or taken over after the lease lapsed).
    async fn keep_alive(&self, delivery: &Delivery, worker: &str) -> Result<bool>;

    /// The job is settled in the database (finished, failed, cancelled): forget the message.
    async fn ack(&self, delivery: &Delivery) -> Result<()>;

    /// Gives the job back without counting the attempt (graceful shutdown).
    async fn release(&self, delivery: &Delivery, worker: &str) -> Result<()>;

    /// Puts the job back to be tried again, counting the attempt (a transient failure).
    async fn retry(&self, delivery: &Delivery) -> Result<()>;

    /// Records a job that used up its attempts where operators look for them.
    async fn dead_letter(&self, delivery: &Delivery, reason: &str) -> Result<()>;

    /// Repairs what crashes and broker data loss leave behind; safe to run anywhere, any time.
    async fn reconcile(&self) -> Result<ReconcileReport>;
}
