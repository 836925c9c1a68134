//! The queue on a Redis Stream with a consumer group.
//!
//! A message carries a job id and nothing else. Delivery is confirmed by leasing the row
//! ([`Store::claim_job`]); a message for a job that is finished, cancelled or leased to a live
//! worker is acknowledged and dropped. A worker that dies leaves its message pending: after the
//! visibility timeout another worker takes it with `XAUTOCLAIM` (and the row's lease has lapsed
//! by then too). Workers renew both while they work. If Redis loses its data, the reconciler
//! sends again every job the database has queued that the stream no longer holds.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use doxin_model::JobStatus;
use doxin_store::{JobUpdate, Scope, Store, StoreError};
use redis::aio::{ConnectionManager, MultiplexedConnection};
use redis::streams::{StreamAutoClaimReply, StreamId, StreamRangeReply, StreamReadReply};
use redis::{AsyncConnectionConfig, RedisError};
use tokio::sync::Mutex;
use uuid::Uuid;

use super::sql::lease_until;
use super::{Delivery, JobQueue, ReconcileReport};
use crate::{RedisKeys, Result};

#[derive(Debug, Clone)]
pub struct RedisQueueConfig {
    pub keys: RedisKeys,
    /// How long a delivered job may go without a sign of life before another worker takes it.
    pub visibility_timeout: Duration,
    /// Queued jobs untouched for this long are checked against the stream by the reconciler.
    pub resend_after: Duration,
}

pub struct RedisQueue {
    client: redis::Client,
    store: Arc<dyn Store>,
    cfg: RedisQueueConfig,
    conn: Mutex<Option<ConnectionManager>>,
    /// Connections for blocking reads, one per concurrent reader (a blocked connection
    /// cannot carry other commands).
    readers: Mutex<Vec<MultiplexedConnection>>,
    group_ready: AtomicBool,
}

const JOB_FIELD: &str = "job_id";
/// Entries the reconciler reads from the stream at most.
const RECONCILE_SCAN: usize = 100_000;

impl RedisQueue {
    pub fn new(client: redis::Client, store: Arc<dyn Store>, cfg: RedisQueueConfig) -> RedisQueue {
        RedisQueue {
            client,
            store,
            cfg,
            conn: Mutex::new(None),
            readers: Mutex::new(Vec::new()),
            group_ready: AtomicBool::new(false),
        }
    }

    async fn conn(&self) -> Result<ConnectionManager> {
        let mut guard = self.conn.lock().await;
        if let Some(c) = guard.as_ref() {
            return Ok(c.clone());
        }
        let c = self.client.get_connection_manager().await?;
        *guard = Some(c.clone());
        Ok(c)
    }

    async fn reader(&self, block: Duration) -> Result<MultiplexedConnection> {
        if let Some(c) = self.readers.lock().await.pop() {
            return Ok(c);
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2)))
            .set_response_timeout(Some(block + Duration::from_secs(5)));
        Ok(self
            .client
            .get_multiplexed_async_connection_with_config(&config)
            .await?)
    }

    /// Creates the stream and the consumer group if missing (after a FLUSHALL, too).
    async fn ensure_group(&self) -> Result<()> {
        if self.group_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut c = self.conn().await?;
        let created: std::result::Result<(), RedisError> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(self.cfg.keys.stream())
            .arg(self.cfg.keys.group())
            .arg("0")
            .arg("MKSTREAM")
            .query_async(&mut c)
            .await;
        match created {
            Ok(()) => {}
            Err(e) if e.code() == Some("BUSYGROUP") => {}
            Err(e) => return Err(e.into()),
        }
        self.group_ready.store(true, Ordering::Release);
        Ok(())
    }

    /// Notes a `NOGROUP` error so the next call recreates the group.
    fn check_group(&self, e: &RedisError) {
        if e.code() == Some("NOGROUP") {
            self.group_ready.store(false, Ordering::Release);
        }
    }

    async fn ack_message(&self, message_id: &str) -> Result<()> {
        let mut c = self.conn().await?;
        redis::pipe()
            .cmd("XACK")
            .arg(self.cfg.keys.stream())
            .arg(self.cfg.keys.group())
            .arg(message_id)
            .ignore()
            .cmd("XDEL")
            .arg(self.cfg.keys.stream())
            .arg(message_id)
            .ignore()
            .query_async::<()>(&mut c)
            .await?;
        Ok(())
    }

    /// Turns a message into a lease on its job, or settles a message that has no work left.
    async fn take(&self, entry: &StreamId, worker: &str) -> Result<Option<Delivery>> {
        let job_id = entry
            .get::<String>(JOB_FIELD)
            .and_then(|s| Uuid::parse_str(&s).ok());
        let Some(job_id) = job_id else {
            tracing::warn!(message = %entry.id, "message without a job id dropped");
            self.ack_message(&entry.id).await?;
            return Ok(None);
        };
        if let Some(job) = self
            .store
            .claim_job(job_id, worker, lease_until(self.cfg.visibility_timeout))
            .await?
        {
            return Ok(Some(Delivery {
                job,
                message_id: Some(entry.id.clone()),
            }));
        }
        // Finished, cancelled, gone, or leased to a live worker (which settles it, and whose
        // death the reconciler notices from the row): this message has nothing left to do.
        match self.store.get_job(job_id, Scope::All).await {
            Ok(_) | Err(StoreError::NotFound) => self.ack_message(&entry.id).await?,
            Err(e) => return Err(e.into()),
        }
        Ok(None)
    }

    async fn send(&self, job_id: Uuid) -> Result<()> {
        let mut c = self.conn().await?;
        let _: String = redis::cmd("XADD")
            .arg(self.cfg.keys.stream())
            .arg("*")
            .arg(JOB_FIELD)
            .arg(job_id.to_string())
            .query_async(&mut c)
            .await?;
        Ok(())
    }

    /// Job ids the stream holds (waiting or delivered and not yet acknowledged).
    async fn ids_in_stream(&self) -> Result<HashSet<Uuid>> {
        let mut c = self.conn().await?;
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(self.cfg.keys.stream())
            .arg("-")
            .arg("+")
            .arg("COUNT")
            .arg(RECONCILE_SCAN)
            .query_async(&mut c)
            .await?;
        Ok(reply
            .ids
            .iter()
            .filter_map(|e| e.get::<String>(JOB_FIELD))
            .filter_map(|s| Uuid::parse_str(&s).ok())
            .collect())
    }
}

#[async_trait]
impl JobQueue for RedisQueue {
    fn kind(&self) -> &'static str {
        "redis"
    }

    async fn enqueue(&self, job_id: Uuid) -> Result<()> {
        self.send(job_id).await
    }

    async fn next(&self, worker: &str, wait: Duration) -> Result<Option<Delivery>> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            self.ensure_group().await?;
            // First, messages of workers that went silent for longer than the timeout.
            let mut c = self.conn().await?;
            let stale: std::result::Result<StreamAutoClaimReply, RedisError> =
                redis::cmd("XAUTOCLAIM")
                    .arg(self.cfg.keys.stream())
                    .arg(self.cfg.keys.group())
                    .arg(worker)
                    .arg(self.cfg.visibility_timeout.as_millis() as u64)
                    .arg("0-0")
                    .arg("COUNT")
                    .arg(1)
                    .query_async(&mut c)
                    .await;
            let stale = stale.inspect_err(|e| self.check_group(e))?;
            for entry in &stale.claimed {
                if let Some(d) = self.take(entry, worker).await? {
                    tracing::info!(job_id = %d.job.id, attempts = d.job.attempts, "took over a job from a silent worker");
                    return Ok(Some(d));
                }
            }
            // Then new messages, blocking until one arrives or the wait is over.
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            let block = (deadline - now).max(Duration::from_millis(10));
            let mut reader = self.reader(block).await?;
            let read: std::result::Result<Option<StreamReadReply>, RedisError> =
                redis::cmd("XREADGROUP")
                    .arg("GROUP")
                    .arg(self.cfg.keys.group())
                    .arg(worker)
                    .arg("COUNT")
                    .arg(1)
                    .arg("BLOCK")
                    .arg(block.as_millis() as u64)
                    .arg("STREAMS")
                    .arg(self.cfg.keys.stream())
                    .arg(">")
                    .query_async(&mut reader)
                    .await;
            match read {
                Ok(reply) => {
                    self.readers.lock().await.push(reader);
                    let entries = reply.map(|r| r.keys).unwrap_or_default();
                    for entry in entries.iter().flat_map(|k| k.ids.iter()) {
                        if let Some(d) = self.take(entry, worker).await? {
                            return Ok(Some(d));
                        }
                    }
                }
                Err(e) => {
                    self.check_group(&e);
                    if e.code() == Some("NOGROUP") {
                        continue;
                    }
                    return Err(e.into());
                }
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
        }
    }

    async fn keep_alive(&self, delivery: &Delivery, worker: &str) -> Result<bool> {
        let ours = self
            .store
            .renew_job_lease(
                delivery.job.id,
                worker,
                lease_until(self.cfg.visibility_timeout),
            )
            .await?;
        if let Some(id) = &delivery.message_id {
            // Resets the message's idle time so XAUTOCLAIM leaves it alone. Best effort: the
            // row's lease is what protects the job.
            let mut c = self.conn().await?;
            let touched: std::result::Result<redis::Value, RedisError> = redis::cmd("XCLAIM")
                .arg(self.cfg.keys.stream())
                .arg(self.cfg.keys.group())
                .arg(worker)
                .arg(0)
                .arg(id)
                .arg("JUSTID")
                .query_async(&mut c)
                .await;
            if let Err(e) = touched {
                self.check_group(&e);
                tracing::debug!(error = %e, "message idle time not reset");
            }
        }
        Ok(ours)
    }

    async fn ack(&self, delivery: &Delivery) -> Result<()> {
        match &delivery.message_id {
            Some(id) => self.ack_message(id).await,
            None => Ok(()),
        }
    }

    async fn release(&self, delivery: &Delivery, worker: &str) -> Result<()> {
        if self.store.release_job(delivery.job.id, worker).await? {
            self.send(delivery.job.id).await?;
        }
        self.ack(delivery).await
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
        self.send(delivery.job.id).await?;
        self.ack(delivery).await
    }

    async fn dead_letter(&self, delivery: &Delivery, reason: &str) -> Result<()> {
        let mut c = self.conn().await?;
        let _: String = redis::cmd("XADD")
            .arg(self.cfg.keys.dead_letter())
            .arg("*")
            .arg(JOB_FIELD)
            .arg(delivery.job.id.to_string())
            .arg("attempts")
            .arg(delivery.job.attempts)
            .arg("reason")
            .arg(reason)
            .query_async(&mut c)
            .await?;
        self.ack(delivery).await
    }

    async fn reconcile(&self) -> Result<ReconcileReport> {
        self.ensure_group().await?;
        let mut report = ReconcileReport::default();
        for id in self.store.requeue_expired_jobs(Utc::now()).await? {
            self.send(id).await?;
            report.expired += 1;
        }
        let before = Utc::now()
            - chrono::Duration::from_std(self.cfg.resend_after)
                .unwrap_or(chrono::Duration::seconds(10));
        let stale = self
            .store
            .stale_queued_jobs(before, RECONCILE_SCAN as u32)
            .await?;
        if !stale.is_empty() {
            let known = self.ids_in_stream().await?;
            for id in stale.into_iter().filter(|id| !known.contains(id)) {
                self.send(id).await?;
                report.resent += 1;
            }
        }
        if report != ReconcileReport::default() {
            tracing::warn!(
                expired = report.expired,
                resent = report.resent,
                "reconciler re-enqueued jobs"
            );
        }
        Ok(report)
    }
}
