//! Building the Redis client every process uses (queue, events, health), with TLS.
//!
//! A `rediss://` URL is TLS (rustls on ring). The server's certificate is checked against
//! the public web PKI roots, or against the PEM CA in `REDIS_CA_FILE` for a private server.
//! [`check_redis`] connects once at start-up, so a certificate that does not verify stops the
//! process with a clear message instead of a worker retrying forever.

use std::path::Path;
use std::time::Duration;

use redis::AsyncConnectionConfig;

use crate::JobError;

/// The Redis client for `url`; with `ca_file` (a PEM CA, only for `rediss://`) the server's
/// certificate must chain to it. Connecting happens on use.
pub fn redis_client(url: &str, ca_file: Option<&Path>) -> Result<redis::Client, JobError> {
    let Some(ca_file) = ca_file else {
        return Ok(redis::Client::open(url)?);
    };
    if !url.starts_with("rediss://") {
        return Err(JobError::Tls(format!(
            "a CA file ({}) is set, but the Redis URL is not rediss://: use rediss:// for TLS",
            ca_file.display()
        )));
    }
    let pem = std::fs::read(ca_file).map_err(|e| {
        JobError::Tls(format!(
            "cannot read the Redis CA file {}: {e}",
            ca_file.display()
        ))
    })?;
    redis::Client::build_with_tls(
        url,
        redis::TlsCertificates {
            client_tls: None,
            root_cert: Some(pem),
        },
    )
    .map_err(|e| {
        JobError::Tls(format!(
            "the Redis CA file {} is not usable: {e}",
            ca_file.display()
        ))
    })
}

/// Connects and pings once, within `limit`. A TLS failure (a certificate that does not
/// verify, a server that does not speak TLS) is [`JobError::Tls`] with what to check; any
/// other failure is returned as it is, for the caller to decide (Redis may just be starting).
pub async fn check_redis(client: &redis::Client, limit: Duration) -> Result<(), JobError> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(limit))
        .set_response_timeout(Some(limit));
    let tls = matches!(
        client.get_connection_info().addr(),
        redis::ConnectionAddr::TcpTls { .. }
    );
    let result = async {
        let mut conn = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    }
    .await;
    match result {
        Ok(_) => Ok(()),
        Err(e) if tls && is_tls_failure(&e) => Err(JobError::Tls(format!(
            "the TLS connection to Redis failed: {e}. Check that the server's certificate is \
             signed by the CA in REDIS_CA_FILE (or by a public CA when REDIS_CA_FILE is unset) \
             and is valid for the host name in the URL"
        ))),
        Err(e) => Err(e.into()),
    }
}

/// Whether a connection error came from the TLS layer (rustls' errors, or a handshake cut).
fn is_tls_failure(e: &redis::RedisError) -> bool {
    let text = e.to_string().to_ascii_lowercase();
    ["certificate", "tls", "handshake", "alert", "unknownissuer"]
        .iter()
        .any(|w| text.contains(w))
}
