//! What the Redis queue itself holds, beside the database's figures: the stream's length, the
//! consumer group's pending (delivered, unacknowledged) entries and the dead-letter stream.
//! The database stays the truth; these say whether the broker agrees with it.

use std::time::Duration;

use doxin_jobs::RedisKeys;
use serde_json::{Value, json};
use uuid::Uuid;

/// Redis calls give up after this long, so a slow broker cannot hang the monitor.
const TIMEOUT: Duration = Duration::from_secs(3);
/// Dead-letter entries read at most when forgetting requeued jobs.
const DEAD_SCAN: usize = 100_000;
/// The stream field holding the job id (as `RedisQueue` writes it).
const JOB_FIELD: &str = "job_id";

#[derive(Clone)]
pub struct Broker {
    client: redis::Client,
    keys: RedisKeys,
}

impl Broker {
    pub fn new(client: redis::Client, keys: RedisKeys) -> Broker {
        Broker { client, keys }
    }

    async fn conn(&self) -> Result<redis::aio::MultiplexedConnection, String> {
        tokio::time::timeout(TIMEOUT, self.client.get_multiplexed_async_connection())
            .await
            .map_err(|_| "Redis did not answer in time".to_string())?
            .map_err(|e| e.to_string())
    }

    /// `{stream, stream_length, pending, dead_letter_stream, dead_letter_length}`, or
    /// `{error}` when Redis cannot be asked.
    pub async fn figures(&self) -> Value {
        match self.try_figures().await {
            Ok(v) => v,
            Err(e) => json!({ "error": e }),
        }
    }

    async fn try_figures(&self) -> Result<Value, String> {
        let mut c = self.conn().await?;
        let ask = async {
            let length: u64 = redis::cmd("XLEN")
                .arg(self.keys.stream())
                .query_async(&mut c)
                .await?;
            let dead: u64 = redis::cmd("XLEN")
                .arg(self.keys.dead_letter())
                .query_async(&mut c)
                .await?;
            // NOGROUP before the first worker created the group: nothing pending.
            let pending: u64 = match redis::cmd("XPENDING")
                .arg(self.keys.stream())
                .arg(self.keys.group())
                .query_async::<redis::Value>(&mut c)
                .await
            {
                Ok(redis::Value::Array(items)) => match items.first() {
                    Some(redis::Value::Int(n)) => u64::try_from(*n).unwrap_or(0),
                    _ => 0,
                },
                Ok(_) => 0,
                Err(e) if e.code() == Some("NOGROUP") => 0,
                Err(e) => return Err(e),
            };
            Ok::<_, redis::RedisError>((length, pending, dead))
        };
        let (length, pending, dead) = tokio::time::timeout(TIMEOUT, ask)
            .await
            .map_err(|_| "Redis did not answer in time".to_string())?
            .map_err(|e| e.to_string())?;
        Ok(json!({
            "stream": self.keys.stream(),
            "stream_length": length,
            "pending": pending,
            "dead_letter_stream": self.keys.dead_letter(),
            "dead_letter_length": dead,
        }))
    }

    /// Removes the dead-letter entries of jobs that went back to the queue; returns how many.
    pub async fn forget_dead(&self, ids: &[Uuid]) -> Result<usize, String> {
        if ids.is_empty() {
            return Ok(0);
        }
        let mut c = self.conn().await?;
        let work = async {
            let reply: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
                .arg(self.keys.dead_letter())
                .arg("-")
                .arg("+")
                .arg("COUNT")
                .arg(DEAD_SCAN)
                .query_async(&mut c)
                .await?;
            let wanted: Vec<String> = ids.iter().map(Uuid::to_string).collect();
            let entries: Vec<String> = reply
                .ids
                .iter()
                .filter(|e| {
                    e.get::<String>(JOB_FIELD)
                        .is_some_and(|job| wanted.contains(&job))
                })
                .map(|e| e.id.clone())
                .collect();
            if entries.is_empty() {
                return Ok(0);
            }
            let removed: usize = redis::cmd("XDEL")
                .arg(self.keys.dead_letter())
                .arg(&entries)
                .query_async(&mut c)
                .await?;
            Ok::<_, redis::RedisError>(removed)
        };
        tokio::time::timeout(TIMEOUT, work)
            .await
            .map_err(|_| "Redis did not answer in time".to_string())?
            .map_err(|e| e.to_string())
    }
}
