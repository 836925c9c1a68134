//! The queue as leases on `processing_jobs` rows: the embedded default (SQLite) and
//! PostgreSQL without Redis (`FOR UPDATE SKIP LOCKED`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use doxin_model::JobStatus;
use doxin_store::{JobUpdate, Store};
use tokio::sync::Notify;
use uuid::Uuid;

use super::{Delivery, JobQueue, ReconcileReport};
use crate::Result;

pub struct SqlQueue {
    store: Arc<dyn Store>,
    lease: Duration,
    /// How often an idle worker looks for work enqueued by another process.
    poll: Duration,
    /// Wakes idle workers of this process at once when this process enqueues.
    wake: Notify,
}

impl SqlQueue {
    pub fn new(store: Arc<dyn Store>, lease: Duration) -> SqlQueue {
        SqlQueue {
            store,
            lease,
            poll: Duration::from_millis(250),
            wake: Notify::new(),
        }
    }

    pub fn with_poll_interval(mut self, poll: Duration) -> SqlQueue {
        self.poll = poll;
        self
    }
}

pub(crate) fn lease_until(lease: Duration) -> chrono::DateTime<Utc> {
    Utc::now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60))
}

#[async_trait]
impl JobQueue for SqlQueue {
    fn kind(&self) -> &'static str {
        "sql"
    }

    async fn enqueue(&self, _job_id: Uuid) -> Result<()> {
        // The row is the queue entry; only idle workers of this process need a nudge.
        self.wake.notify_waiters();
        Ok(())
    }

    async fn next(&self, worker: &str, wait: Duration) -> Result<Option<Delivery>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            // Registered before the claim so an enqueue in between is not missed.
            let woken = self.wake.notified();
            if let Some(job) = self
                .store
                .claim_next_job(worker, lease_until(self.lease))
                .await?
            {
                return Ok(Some(Delivery {
                    job,
                    message_id: None,
                }));
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let nap = self.poll.min(deadline - now);
            tokio::select! {
                () = woken => {}
                () = tokio::time::sleep(nap) => {}
            }
        }
    }

    async fn keep_alive(&self, delivery: &Delivery, worker: &str) -> Result<bool> {
        Ok(self
            .store
            .renew_job_lease(delivery.job.id, worker, lease_until(self.lease))
            .await?)
    }

    async fn ack(&self, _delivery: &Delivery) -> Result<()> {
        Ok(())
    }

    async fn release(&self, delivery: &Delivery, worker: &str) -> Result<()> {
        self.store.release_job(delivery.job.id, worker).await?;
        self.wake.notify_waiters();
        Ok(())
    }

    async fn retry(&self, delivery: &Delivery) -> Result<()> {
        self.store
            .update_job(
                delivery.job.id,
                JobUpdate {
                    status: Some(JobStatus::Queued),
                    ..Default::default()
                },
            )
            .await?;
        self.wake.notify_waiters();
        Ok(())
    }

    async fn dead_letter(&self, _delivery: &Delivery, _reason: &str) -> Result<()> {
        // The failed row, with its error, is the dead letter.
        Ok(())
    }

    async fn reconcile(&self) -> Result<ReconcileReport> {
        // Expired leases are claimable as they are; nothing can be missing from the queue.
        Ok(ReconcileReport::default())
    }
}
