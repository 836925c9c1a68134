//! The worker: slots that take jobs from the queue and run them, a heartbeat, a reconciler,
//! and a shutdown that finishes or gives back what is in hand.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use doxin_store::{Store, WorkerHeartbeat};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::process::Pipeline;
use crate::queue::{Delivery, JobQueue};
use crate::{JobError, Result};

#[derive(Debug, Clone)]
pub struct WorkerConfig {
    /// Unique per process: `host-pid-random`.
    pub id: String,
    /// Jobs run at once.
    pub concurrency: usize,
    /// How often the worker renews its leases (keep well under the visibility timeout).
    pub keep_alive_every: Duration,
    pub heartbeat_every: Duration,
    pub reconcile_every: Duration,
    /// After a shutdown request, how long jobs in hand may run on before they are released.
    pub shutdown_grace: Duration,
    /// Reports older than this many days are deleted at each reconciliation
    /// (`REPORT_RETENTION_DAYS`).
    pub report_retention_days: u32,
}

impl WorkerConfig {
    pub fn new(concurrency: usize, visibility_timeout: Duration) -> WorkerConfig {
        WorkerConfig {
            id: worker_id(),
            concurrency: concurrency.max(1),
            keep_alive_every: (visibility_timeout / 3).max(Duration::from_millis(200)),
            heartbeat_every: Duration::from_secs(5),
            reconcile_every: Duration::from_secs(15),
            shutdown_grace: Duration::from_secs(20),
            report_retention_days: 30,
        }
    }
}

/// `host-pid-xxxx`: readable in the monitor, unique across restarts.
fn worker_id() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".to_string());
    format!(
        "{host}-{}-{:04x}",
        std::process::id(),
        rand::random::<u16>()
    )
}

fn host_of(id: &str) -> String {
    id.rsplitn(3, '-').nth(2).unwrap_or(id).to_string()
}

pub struct Worker {
    config: WorkerConfig,
    pipeline: Arc<Pipeline>,
    queue: Arc<dyn JobQueue>,
    /// Jobs in hand, for the heartbeat.
    current: Arc<Mutex<HashSet<Uuid>>>,
}

impl Worker {
    pub fn new(config: WorkerConfig, pipeline: Pipeline, queue: Arc<dyn JobQueue>) -> Worker {
        pipeline.metrics.set_worker_concurrency(config.concurrency);
        Worker {
            config,
            pipeline: Arc::new(pipeline),
            queue,
            current: Arc::new(Mutex::new(HashSet::new())),
        }
    }

    pub fn id(&self) -> &str {
        &self.config.id
    }

    /// Runs until `shutdown` is cancelled, then lets jobs in hand finish within the grace
    /// period and gives back the rest.
    pub async fn run(self, shutdown: CancellationToken) -> Result<()> {
        let me = Arc::new(self);
        let hard_stop = CancellationToken::new();
        tracing::info!(worker = %me.config.id, concurrency = me.config.concurrency, queue = me.queue.kind(), "worker started");
        let mut background = JoinSet::new();
        background.spawn(me.clone().heartbeat(shutdown.clone()));
        background.spawn(me.clone().reconciler(shutdown.clone()));
        let mut slots = JoinSet::new();
        for slot in 0..me.config.concurrency {
            slots.spawn(me.clone().slot(slot, shutdown.clone(), hard_stop.clone()));
        }
        shutdown.cancelled().await;
        tracing::info!(worker = %me.config.id, "stopping: finishing jobs in hand");
        let finished = tokio::time::timeout(me.config.shutdown_grace, async {
            while slots.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!("jobs outlived the shutdown grace; releasing them");
            hard_stop.cancel();
            while slots.join_next().await.is_some() {}
        }
        background.abort_all();
        while background.join_next().await.is_some() {}
        if let Err(e) = me.pipeline.store.remove_worker(&me.config.id).await {
            tracing::warn!(error = %e, "worker record not removed");
        }
        tracing::info!(worker = %me.config.id, "worker stopped");
        Ok(())
    }

    async fn slot(
        self: Arc<Self>,
        slot: usize,
        shutdown: CancellationToken,
        hard_stop: CancellationToken,
    ) {
        let consumer = format!("{}/{slot}", self.config.id);
        let mut backoff = Duration::from_millis(200);
        loop {
            let next = tokio::select! {
                () = shutdown.cancelled() => return,
                next = self.queue.next(&consumer, Duration::from_secs(2)) => next,
            };
            match next {
                Ok(Some(delivery)) => {
                    backoff = Duration::from_millis(200);
                    self.handle(delivery, &consumer, &hard_stop).await;
                }
                Ok(None) => {}
                Err(e) => {
                    // The database or the broker is down: wait and try again, never exit.
                    tracing::warn!(error = %e, "cannot take jobs; retrying");
                    tokio::select! {
                        () = shutdown.cancelled() => return,
                        () = tokio::time::sleep(backoff) => {}
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn handle(&self, delivery: Delivery, consumer: &str, hard_stop: &CancellationToken) {
        let job = delivery.job.clone();
        if job.attempts > job.max_attempts {
            let reason = format!(
                "gave up after {} attempts: workers stopped responding while processing it",
                job.max_attempts
            );
            self.settle_failure(&delivery, "attempts_exhausted", &reason, None)
                .await;
            if let Err(e) = self.queue.dead_letter(&delivery, &reason).await {
                tracing::warn!(error = %e, "dead letter not recorded");
            }
            return;
        }
        self.current_jobs(|c| c.insert(job.id));
        let claimed = std::time::Instant::now();
        if job.attempts <= 1 {
            let waited = (Utc::now() - job.created_at).to_std().unwrap_or_default();
            self.pipeline.metrics.job_claimed(waited);
        }
        let lost = CancellationToken::new();
        let keeper = tokio::spawn(keep_alive(
            self.queue.clone(),
            delivery.clone(),
            consumer.to_string(),
            self.config.keep_alive_every,
            lost.clone(),
        ));
        let outcome = tokio::select! {
            r = self.pipeline.run_any(&job) => Some(r),
            () = lost.cancelled() => Some(Err(JobError::LostLease("lease lost".into()))),
            () = hard_stop.cancelled() => None,
        };
        keeper.abort();
        self.current_jobs(|c| c.remove(&job.id));
        self.pipeline
            .stage_times
            .end(&self.pipeline.metrics, job.id);
        match outcome {
            None => {
                if let Err(e) = self.queue.release(&delivery, consumer).await {
                    tracing::warn!(job_id = %job.id, error = %e, "job not released; its lease will expire");
                }
            }
            Some(Ok(outcome)) => {
                tracing::info!(job_id = %job.id, outcome, "job done");
                self.pipeline
                    .metrics
                    .job_finished("succeeded", outcome, Some(claimed.elapsed()));
                self.ack(&delivery).await;
            }
            Some(Err(JobError::LostLease(why))) => {
                tracing::info!(job_id = %job.id, %why, "job no longer ours");
                self.ack(&delivery).await;
            }
            Some(Err(e)) if e.is_transient() && job.attempts < job.max_attempts => {
                tracing::warn!(job_id = %job.id, error = %e, "transient failure; will retry");
                if let Err(e) = self.queue.retry(&delivery).await {
                    tracing::warn!(job_id = %job.id, error = %e, "retry not scheduled; the lease will expire");
                }
            }
            Some(Err(e)) => {
                tracing::warn!(job_id = %job.id, error = %e, code = e.code(), "job failed");
                self.settle_failure(&delivery, e.code(), &e.to_string(), Some(claimed))
                    .await;
            }
        }
    }

    /// Fails the job for good; `claimed` is when this worker took it, if it ran it.
    async fn settle_failure(
        &self,
        delivery: &Delivery,
        code: &str,
        message: &str,
        claimed: Option<std::time::Instant>,
    ) {
        match self.pipeline.fail(&delivery.job, code, message).await {
            Ok(()) => {
                self.pipeline
                    .metrics
                    .job_finished("failed", "none", claimed.map(|c| c.elapsed()));
                self.ack(delivery).await
            }
            Err(e) => {
                tracing::warn!(job_id = %delivery.job.id, error = %e, "failure not recorded; the lease will expire")
            }
        }
    }

    async fn ack(&self, delivery: &Delivery) {
        if let Err(e) = self.queue.ack(delivery).await {
            // The message stays pending; its next delivery finds the job settled and drops it.
            tracing::debug!(error = %e, "message not acknowledged");
        }
    }

    fn current_jobs<T>(&self, f: impl FnOnce(&mut HashSet<Uuid>) -> T) -> T {
        let mut guard = self.current.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    }

    async fn heartbeat(self: Arc<Self>, shutdown: CancellationToken) {
        let started_at = Utc::now();
        let mut tick = tokio::time::interval(self.config.heartbeat_every);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            let now = Utc::now();
            let beat = WorkerHeartbeat {
                id: self.config.id.clone(),
                host: host_of(&self.config.id),
                pid: i32::try_from(std::process::id()).unwrap_or(0),
                concurrency: i32::try_from(self.config.concurrency).unwrap_or(i32::MAX),
                queue: self.queue.kind().to_string(),
                current_jobs: self.current_jobs(|c| c.iter().copied().collect()),
                started_at,
                last_seen: now,
            };
            if let Err(e) = self
                .pipeline
                .store
                .record_worker_heartbeat(&beat, now - chrono::Duration::minutes(10))
                .await
            {
                tracing::warn!(error = %e, "heartbeat not recorded");
            }
        }
    }

    async fn reconciler(self: Arc<Self>, shutdown: CancellationToken) {
        let mut tick = tokio::time::interval(self.config.reconcile_every);
        loop {
            tokio::select! {
                () = shutdown.cancelled() => return,
                _ = tick.tick() => {}
            }
            if let Err(e) = self.queue.reconcile().await {
                tracing::warn!(error = %e, "reconciliation failed; trying again later");
            }
            // Retention of generated reports: cheap (an indexed delete), so every pass.
            let reports =
                crate::ReportRunner::new(self.pipeline.store.clone(), self.pipeline.events.clone());
            match reports.clean_up(self.config.report_retention_days).await {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "old reports deleted"),
                Err(e) => tracing::warn!(error = %e, "report retention failed; trying again later"),
            }
        }
    }
}

async fn keep_alive(
    queue: Arc<dyn JobQueue>,
    delivery: Delivery,
    consumer: String,
    every: Duration,
    lost: CancellationToken,
) {
    let mut tick = tokio::time::interval(every);
    tick.tick().await;
    loop {
        tick.tick().await;
        match queue.keep_alive(&delivery, &consumer).await {
            Ok(true) => {}
            Ok(false) => {
                lost.cancel();
                return;
            }
            // The database is unreachable: keep working; the save will tell.
            Err(e) => tracing::debug!(error = %e, "lease not renewed"),
        }
    }
}

/// Whether a worker of this deployment sent a heartbeat within `within` (`doxin worker --ping`).
pub async fn worker_is_alive(store: &dyn Store, within: Duration) -> Result<bool> {
    let since =
        Utc::now() - chrono::Duration::from_std(within).unwrap_or(chrono::Duration::seconds(30));
    Ok(!store.live_workers(since).await?.is_empty())
}
