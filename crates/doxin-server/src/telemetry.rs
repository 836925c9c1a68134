//! Request spans: named after the route template (low cardinality) and carrying the request
//! id, so every log line of a request can be found by it. Health checks log at debug so
//! probes do not drown the log.

use std::time::Instant;

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::http::Request as HttpRequest;
use axum::middleware::Next;
use axum::response::Response;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::trace::TraceLayer;
use tracing::Span;

fn is_health(path: &str) -> bool {
    path.starts_with("/api/health") || path.starts_with("/api/v1/health")
}

pub type RequestTrace =
    TraceLayer<SharedClassifier<ServerErrorsAsFailures>, fn(&HttpRequest<Body>) -> Span, (), ()>;

fn make_span(req: &HttpRequest<Body>) -> Span {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".to_string());
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %req.method(),
        route = %route,
        request_id = %request_id,
    )
}

/// The span around each request (logging is done by [`log_response`]).
pub fn trace_layer() -> RequestTrace {
    TraceLayer::new_for_http()
        .make_span_with(make_span as fn(&HttpRequest<Body>) -> Span)
        .on_request(())
        .on_response(())
}

/// Logs one line per response, inside the request span.
pub async fn log_response(req: Request, next: Next) -> Response {
    let health = is_health(req.uri().path());
    let started = Instant::now();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let latency_ms = started.elapsed().as_secs_f64() * 1000.0;
    if health && status < 500 {
        tracing::debug!(status, latency_ms, "response");
    } else if status >= 500 {
        tracing::error!(status, latency_ms, "response");
    } else {
        tracing::info!(status, latency_ms, "response");
    }
    resp
}
