//! The HTTP part of every provider: one POST of JSON with a timeout, retried with exponential
//! backoff and full jitter on 429 and 5xx (honouring `Retry-After` / `retry-after-ms`),
//! timeouts and connection failures; never on other 4xx, which would fail the same way again.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use crate::LlmError;

/// How hard to try.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Retries after the first attempt.
    pub max_retries: u32,
    /// The first backoff; doubled per retry.
    pub base_delay: Duration,
    /// No computed backoff is longer.
    pub max_delay: Duration,
    /// A server asking for a longer wait than this gets an error instead: a worker should not
    /// sleep for an hour inside one job.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(20),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a uniform delay in `0..=min(max, base·2^retry)` spreads out clients that
    /// were throttled at the same moment.
    fn backoff(&self, retry: u32) -> Duration {
        let cap = self
            .base_delay
            .saturating_mul(1u32 << retry.min(16))
            .min(self.max_delay);
        cap.mul_f64(rand::random::<f64>())
    }
}

/// A successful answer.
#[derive(Debug, Clone)]
pub struct HttpAnswer {
    pub body: String,
    /// Attempts made, the successful one included.
    pub attempts: u32,
    /// Time spent waiting between attempts.
    pub backoff: Duration,
}

/// A JSON-over-HTTP client with a timeout and a retry policy.
#[derive(Debug, Clone)]
pub struct HttpClient {
    client: reqwest::Client,
    timeout: Duration,
    policy: RetryPolicy,
}

impl HttpClient {
    pub fn new(timeout: Duration, policy: RetryPolicy) -> Result<Self, LlmError> {
        // reqwest has no TLS provider of its own here (Cargo.toml: `rustls-no-provider`).
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .build()
            .map_err(|e| LlmError::Config(format!("cannot build the HTTP client: {e}")))?;
        Ok(HttpClient {
            client,
            timeout,
            policy,
        })
    }

    /// POSTs `body` to `url` with `headers`, retrying as the policy says.
    pub async fn post_json(
        &self,
        url: &str,
        headers: &[(&'static str, String)],
        body: &Value,
    ) -> Result<HttpAnswer, LlmError> {
        let payload = serde_json::to_vec(body)
            .map_err(|e| LlmError::Config(format!("cannot encode the request: {e}")))?;
        let mut attempts = 0u32;
        let mut waited = Duration::ZERO;
        loop {
            attempts += 1;
            let mut req = self
                .client
                .post(url)
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(payload.clone());
            for (k, v) in headers {
                req = req.header(*k, v);
            }
            let started = Instant::now();
            let outcome = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    let retry_after = retry_after(resp.headers());
                    match resp.text().await {
                        Ok(text) => Ok((status, retry_after, text)),
                        Err(e) => Err(transport_error(e, self.timeout)),
                    }
                }
                Err(e) => Err(transport_error(e, self.timeout)),
            };
            tracing::debug!(
                url,
                attempts,
                millis = started.elapsed().as_millis() as u64,
                "llm http attempt"
            );
            let retries_left = attempts <= self.policy.max_retries;
            let (error, wait) = match outcome {
                Ok((status, _, text)) if status.is_success() => {
                    return Ok(HttpAnswer {
                        body: text,
                        attempts,
                        backoff: waited,
                    });
                }
                Ok((status, retry_after, text)) => {
                    let message = error_message(&text);
                    let code = status.as_u16();
                    if status == StatusCode::TOO_MANY_REQUESTS {
                        (LlmError::RateLimited { attempts, message }, retry_after)
                    } else if status.is_server_error() {
                        let e = LlmError::Server {
                            status: code,
                            attempts,
                            message,
                        };
                        (e, retry_after)
                    } else if matches!(code, 401 | 403) {
                        return Err(LlmError::Unauthorized {
                            status: code,
                            message,
                        });
                    } else {
                        return Err(LlmError::Rejected {
                            status: code,
                            message,
                        });
                    }
                }
                Err(e) => (e, None),
            };
            if !retries_left || !error.is_retryable() {
                return Err(error);
            }
            let wait = match wait {
                Some(d) if d > self.policy.max_retry_after => return Err(error),
                Some(d) => d,
                None => self.policy.backoff(attempts - 1),
            };
            tracing::warn!(
                error = %error,
                wait_ms = wait.as_millis() as u64,
                attempts,
                "llm request failed; retrying"
            );
            tokio::time::sleep(wait).await;
            waited += wait;
        }
    }
}

fn transport_error(e: reqwest::Error, timeout: Duration) -> LlmError {
    if e.is_timeout() {
        LlmError::Timeout(timeout)
    } else {
        // The chain says more than the top error ("error sending request").
        let mut msg = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            msg.push_str(": ");
            msg.push_str(&s.to_string());
            src = s.source();
        }
        LlmError::Connect(msg)
    }
}

/// The wait a server asks for: OpenAI's `retry-after-ms`, else `Retry-After` in seconds or as
/// an HTTP date.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    if let Some(ms) = headers
        .get("retry-after-ms")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|ms| ms.is_finite() && *ms >= 0.0)
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let raw = headers.get("retry-after")?.to_str().ok()?.trim();
    if let Ok(secs) = raw.parse::<f64>() {
        return (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

/// The human-readable part of an error body: both OpenAI and Anthropic put it at
/// `error.message`; anything else is shown shortened.
fn error_message(body: &str) -> String {
    if let Ok(v) = serde_json::from_str::<Value>(body)
        && let Some(m) = v.pointer("/error/message").and_then(Value::as_str)
    {
        return m.to_string();
    }
    let t = body.trim();
    if t.chars().count() > 300 {
        format!("{}…", t.chars().take(300).collect::<String>())
    } else if t.is_empty() {
        "(no body)".into()
    } else {
        t.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn retry_after_seconds_milliseconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(2)));
        h.insert("retry-after-ms", HeaderValue::from_static("150"));
        assert_eq!(retry_after(&h), Some(Duration::from_millis(150)));
        let mut h = HeaderMap::new();
        h.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO), "a past date: now");
        h.insert("retry-after", HeaderValue::from_static("soon"));
        assert_eq!(retry_after(&h), None);
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = RetryPolicy {
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(300),
            ..RetryPolicy::default()
        };
        for _ in 0..50 {
            assert!(p.backoff(0) <= Duration::from_millis(100));
            assert!(p.backoff(5) <= Duration::from_millis(300));
        }
    }

    #[test]
    fn error_messages_from_both_providers() {
        assert_eq!(
            error_message(r#"{"error":{"message":"bad key","type":"invalid_request_error"}}"#),
            "bad key"
        );
        assert_eq!(
            error_message(
                r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#
            ),
            "Overloaded"
        );
        assert_eq!(error_message(""), "(no body)");
    }
}
