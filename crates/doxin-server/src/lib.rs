//! DoxIn's HTTP server: the axum router (REST under `/api/v1`, health), RFC 9457 problem
//! details for errors ([`ApiError`]), request ids and request spans, and the OpenAPI 3.1
//! document of it all ([`openapi`], Swagger UI at `/api/docs`).
//!
//! [`Application`] binds its own listener (port 0 works, for tests) and runs until a shutdown
//! future resolves, letting in-flight requests finish within a grace period. Business rules
//! live in the crates below; handlers translate between HTTP and them.
#![forbid(unsafe_code)]

pub mod aggregates;
pub mod auth;
mod download;
mod error;
pub mod mail;
pub mod metrics;
pub mod monitor;
pub mod openapi;
mod routes;
mod security;
mod state;
mod telemetry;
mod tokens;
mod usage;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};

pub use error::ApiError;
pub use state::{AppState, IntakeLimits};
pub use tokens::JobTokens;

/// How long in-flight requests may run on after shutdown is requested.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(4);

/// The whole HTTP API over `state`.
pub fn router(state: AppState) -> Router {
    let request_id = axum::http::HeaderName::from_static("x-request-id");
    let policy = security::HeaderPolicy {
        hsts: state.auth.settings.cookie_secure,
    };
    let cors = state
        .auth
        .settings
        .allowed_origin
        .as_deref()
        .and_then(|origin| {
            let layer = security::cors(origin);
            if layer.is_none() {
                tracing::warn!(
                    origin,
                    "FRONTEND_URL is not a usable origin; CORS stays off"
                );
            }
            layer
        });
    // The pages read and write through the API in process (web::api).
    let api = web::ApiClient::new(
        api_routes(&state)
            .with_state(state.clone())
            .layer(axum::middleware::from_fn(error::problems_for_rejections)),
    );
    let mut app = api_routes(&state)
        .merge(web::router(&state, api))
        .fallback(web::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count_requests,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            usage::count_usage,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            aggregates::note_changes,
        ))
        .with_state(state)
        .layer(axum::middleware::from_fn(error::problems_for_rejections))
        .layer(axum::middleware::from_fn(telemetry::log_response))
        .layer(telemetry::trace_layer());
    // Outside the routes, so a preflight is answered here and never needs a credential.
    if let Some(cors) = cors {
        app = app.layer(cors);
    }
    app.layer(axum::middleware::from_fn_with_state(
        policy,
        security::add_headers,
    ))
    // Outermost: the id exists before the span opens and is echoed on the response.
    .layer(PropagateRequestIdLayer::new(request_id.clone()))
    .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// Every API route (REST, health, WebSocket, metrics, OpenAPI), without middleware.
fn api_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .merge(routes::health::router())
        .merge(routes::auth::router())
        .merge(routes::access::router())
        .merge(routes::intake::router(state))
        .merge(routes::jobs::router())
        .merge(routes::review::router())
        .merge(routes::invoices::router())
        .merge(routes::pages::router())
        .merge(routes::companies::router())
        .merge(routes::workspaces::router())
        .merge(routes::dashboard::router())
        .merge(routes::analytics::router())
        .merge(routes::reports::router())
        .merge(routes::ws::router())
        .merge(routes::exports::router())
        .merge(routes::admin::router())
        .merge(routes::alerts::router())
        .merge(metrics::router())
        .merge(openapi::router())
}

/// A bound server, ready to run.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// The auth cache to keep in step with credential changes other processes publish, and
    /// the bus subscription that brings them (see `auth::cache`).
    credential_changes: Option<(
        auth::AuthCache,
        tokio::sync::broadcast::Receiver<doxin_jobs::Event>,
    )>,
}

impl Application {
    /// Binds `addr` (port 0 picks a free port).
    pub async fn build(addr: SocketAddr, state: AppState) -> std::io::Result<Application> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Application::from_listener(listener, state))
    }

    /// Serves on a socket bound earlier: `doxin serve` binds before it migrates, mints a setup
    /// token or starts a worker, so a taken port fails before anything has changed.
    pub fn from_listener(listener: TcpListener, state: AppState) -> Application {
        Application {
            listener,
            credential_changes: None,
            router: router(state.clone()),
        }
        .following_credential_changes(&state)
    }

    /// Serves `router` (the worker monitor's, say) on a socket bound earlier.
    pub fn with_router(listener: TcpListener, router: Router) -> Application {
        Application {
            listener,
            router,
            credential_changes: None,
        }
    }

    /// While serving, drops the callers `state`'s auth cache holds for credentials that
    /// other API processes report changed on the event bus. [`Application::from_listener`]
    /// does this itself; a router given to [`Application::with_router`] that authenticates
    /// needs it.
    pub fn following_credential_changes(mut self, state: &AppState) -> Application {
        // Subscribed now, before the first request: no change published later is missed.
        self.credential_changes = Some((state.auth.cache.clone(), state.events.subscribe()));
        self
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn port(&self) -> u16 {
        self.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Serves until `shutdown` resolves, then stops accepting and gives in-flight requests
    /// [`SHUTDOWN_GRACE`] to finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        // Stopped when serving ends (dropping the guard aborts it).
        let _follower = self
            .credential_changes
            .map(|(cache, events)| AbortOnDrop(tokio::spawn(auth::cache::follow(cache, events))));
        let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
        let server = axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stop_rx.wait_for(|stop| *stop).await;
        });
        let mut server = std::pin::pin!(server.into_future());
        tokio::select! {
            result = &mut server => return result,
            () = shutdown => {
                tracing::info!("shutdown requested; finishing in-flight requests");
                let _ = stop_tx.send(true);
            }
        }
        match tokio::time::timeout(SHUTDOWN_GRACE, server).await {
            Ok(result) => result,
            Err(_) => {
                tracing::warn!(grace = ?SHUTDOWN_GRACE, "in-flight requests outlived the grace period");
                Ok(())
            }
        }
    }
}

/// Aborts a background task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!(signal = "SIGINT", "signal received"),
        () = term => tracing::info!(signal = "SIGTERM", "signal received"),
    }
}
