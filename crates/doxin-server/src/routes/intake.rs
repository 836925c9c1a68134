//! Intake: documents arrive by upload or by URL, are checked, stored, and become queued jobs.
//!
//! Order matters for "nothing is lost": the bytes are stored and the job row written before
//! the answer; the queue is told last. If the broker is down at that moment the job is still
//! in the database and the reconciler sends it later, so the upload still counts.
//! Order matters for "nothing half-stored" too: every check (size, type, pages, backpressure)
//! runs before anything is written.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use doxin_extract::{DocumentKind, ExtractError};
use doxin_jobs::JobOptions;
use doxin_model::JobStatus;
use doxin_store::{JobFilter, NewFile, NewJob, PageRequest, Scope, WorkspaceRole};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::auth::Caller;
use crate::{ApiError, AppState};

pub fn router(state: &AppState) -> Router<AppState> {
    // Room for a full batch of maximum-size files plus multipart framing.
    let body_limit = usize::try_from(
        state
            .limits
            .max_upload_bytes
            .saturating_mul(state.limits.max_files_per_request as u64)
            .saturating_add(1024 * 1024),
    )
    .unwrap_or(usize::MAX);
    Router::new()
        .route(
            "/api/v1/invoices/upload",
            post(upload).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/api/v1/invoices/process", post(process_url))
        .route("/api/v1/invoices/process-batch", post(process_batch))
        .route("/api/v1/invoices/{id}/reprocess", post(reprocess))
}

/// A document that passed every check, ready to store.
pub(crate) struct Checked {
    pub(crate) filename: String,
    pub(crate) bytes: Vec<u8>,
    pub(crate) kind: DocumentKind,
    pub(crate) pages: Option<u32>,
}

/// A document that did not.
#[derive(Debug, Serialize)]
pub(crate) struct Rejected {
    filename: String,
    status: u16,
    code: &'static str,
    detail: String,
}

/// One accepted document: its job and how to follow it.
#[derive(Debug, Serialize)]
pub(crate) struct Accepted {
    job_id: Uuid,
    file_id: Uuid,
    filename: String,
    sha256: String,
    status: JobStatus,
    /// Authorises following this job over the WebSocket (until accounts exist).
    job_token: String,
    status_url: String,
    websocket_url: String,
}

#[derive(Debug, Serialize)]
struct IntakeResponse {
    /// The first accepted job, for clients of the earlier single-file API.
    job_id: Option<Uuid>,
    job_token: Option<String>,
    status_url: Option<String>,
    jobs: Vec<Accepted>,
    rejected: Vec<Rejected>,
}

#[derive(Debug, Clone, Default)]
struct Options {
    auto_save: Option<bool>,
    confidence_threshold: Option<f32>,
}

impl Rejected {
    fn new(
        filename: &str,
        status: StatusCode,
        code: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Rejected {
            filename: filename.to_string(),
            status: status.as_u16(),
            code,
            detail: detail.into(),
        }
    }

    pub(crate) fn into_error(self) -> ApiError {
        ApiError::problem(
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
            self.code,
            format!("{}: {}", self.filename, self.detail),
        )
    }
}

/// Size, type and page checks, by content (the name is not trusted; a claimed type must match
/// the content). PDF pages are counted in the sandbox after the structural checks, so a hostile
/// file is a typed rejection (`document_too_complex`, `extraction_crashed`), never a crash of
/// the API. Also used when an invoice's file is replaced.
pub(crate) async fn check(
    state: &AppState,
    filename: &str,
    claimed_type: Option<&str>,
    bytes: Vec<u8>,
) -> Result<Checked, Rejected> {
    let filename = sanitize_filename(filename);
    let limit = state.limits.max_upload_bytes;
    if bytes.is_empty() {
        return Err(Rejected::new(
            &filename,
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty_file",
            "the file is empty",
        ));
    }
    if bytes.len() as u64 > limit {
        return Err(too_large(&filename, limit));
    }
    let kind = match claimed_type {
        Some(claimed) => doxin_extract::sniff::sniff_claimed(&bytes, claimed),
        None => doxin_extract::sniff(&bytes),
    }
    .map_err(|e| extract_rejection(&filename, &e))?;
    let (bytes, pages) = match kind {
        DocumentKind::Pdf => {
            let shared = Arc::new(bytes);
            let pages = state
                .sandbox
                .page_count(shared.clone(), &state.limits.document)
                .await
                .map_err(|e| extract_rejection(&filename, &e))?;
            if pages > state.limits.max_pages {
                return Err(Rejected::new(
                    &filename,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "too_many_pages",
                    format!(
                        "the PDF has {pages} pages; the limit is {}",
                        state.limits.max_pages
                    ),
                ));
            }
            let bytes = Arc::try_unwrap(shared).unwrap_or_else(|a| a.as_ref().clone());
            (bytes, Some(pages))
        }
        _ => (bytes, Some(1)),
    };
    Ok(Checked {
        filename,
        bytes,
        kind,
        pages,
    })
}

fn too_large(filename: &str, limit: u64) -> Rejected {
    Rejected::new(
        filename,
        StatusCode::PAYLOAD_TOO_LARGE,
        "file_too_large",
        format!(
            "the file is larger than the limit of {} MB",
            limit / (1024 * 1024)
        ),
    )
}

fn extract_rejection(filename: &str, e: &ExtractError) -> Rejected {
    let status = match e {
        ExtractError::Unsupported(_) | ExtractError::TypeMismatch { .. } => {
            StatusCode::UNSUPPORTED_MEDIA_TYPE
        }
        ExtractError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    Rejected::new(filename, status, e.code(), e.to_string())
}

/// A display name without paths or control characters.
fn sanitize_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = base.chars().filter(|c| !c.is_control()).take(255).collect();
    let clean = clean.trim();
    if clean.is_empty() {
        "document".to_string()
    } else {
        clean.to_string()
    }
}

/// 429 when the queue is over its limit, before anything is read or stored.
pub(crate) async fn refuse_when_full(state: &AppState) -> Result<(), ApiError> {
    // A counted page of queued jobs: the count uses the status index, not every job ever run.
    let queued = state
        .store
        .list_jobs(
            Scope::All,
            &JobFilter {
                status: Some(JobStatus::Queued),
                unread_only: false,
                outcome: None,
            },
            PageRequest::new(1, 1),
        )
        .await?
        .total;
    if queued >= state.limits.queue_max {
        return Err(ApiError::Problem {
            status: StatusCode::TOO_MANY_REQUESTS,
            code: "queue_full",
            detail: format!("{queued} documents are waiting to be processed; try again shortly"),
            retry_after: Some(30),
        });
    }
    Ok(())
}

/// Stores a checked document and queues its job.
/// The job row that reads `file` with `payload`.
async fn create_job(
    state: &AppState,
    caller: &Caller,
    (owner, workspace): (Option<Uuid>, Option<Uuid>),
    file: Uuid,
    payload: &JobOptions,
) -> Result<doxin_store::JobRecord, ApiError> {
    Ok(state
        .store
        .create_job(NewJob {
            owner_id: owner,
            workspace_id: workspace,
            file_id: Some(file),
            kind: "extract".to_string(),
            payload: serde_json::to_value(payload).map_err(|e| ApiError::Internal(Box::new(e)))?,
            max_attempts: i32::try_from(state.limits.max_attempts).unwrap_or(3),
            request_id: caller.request_id.clone(),
        })
        .await?)
}

/// Tells the queue about a stored job. If the broker is down the row stays queued and the
/// reconciler sends it once the broker is back, so the job still counts.
async fn enqueue(state: &AppState, job: Uuid) {
    if let Err(e) = state.queue.enqueue(job).await {
        tracing::warn!(job_id = %job, error = %e, "job stored but not yet sent to the queue");
    }
}

async fn store_and_queue(
    state: &AppState,
    caller: &Caller,
    doc: Checked,
    options: &Options,
    source: &str,
) -> Result<Accepted, ApiError> {
    caller.require(WorkspaceRole::Clerk)?;
    let owner = Some(caller.id());
    let workspace = caller.workspace_id();
    let blob = state.files.put(&doc.bytes).await?;
    let file = state
        .store
        .insert_file(NewFile {
            owner_id: owner,
            workspace_id: workspace,
            sha256: blob.sha256.clone(),
            size_bytes: i64::try_from(doc.bytes.len()).unwrap_or(i64::MAX),
            mime_type: doc.kind.mime_type().to_string(),
            original_name: doc.filename.clone(),
            page_count: doc.pages.and_then(|p| i32::try_from(p).ok()),
        })
        .await?;
    let payload = JobOptions {
        filename: doc.filename.clone(),
        auto_save: options.auto_save.unwrap_or(true),
        confidence_threshold: options.confidence_threshold,
        source: Some(source.to_string()),
        reprocess: None,
    };
    let job = create_job(state, caller, (owner, workspace), file.id, &payload).await?;
    caller
        .audit(
            state,
            "job.create",
            "job",
            Some(job.id.to_string()),
            None,
            Some(serde_json::json!({
                "file_id": file.id, "filename": doc.filename, "sha256": blob.sha256,
                "source": source,
            })),
        )
        .await?;
    enqueue(state, job.id).await;
    let token = state.tokens.issue(job.id);
    Ok(Accepted {
        job_id: job.id,
        file_id: file.id,
        filename: doc.filename,
        sha256: blob.sha256,
        status: job.status,
        status_url: format!("/api/v1/invoices/status/{}", job.id),
        // No token in the URL: URLs end up in logs and histories, and the socket is
        // authorised by the caller's own credential anyway.
        websocket_url: format!("/ws?job_id={}", job.id),
        job_token: token,
    })
}

/// 202 with the accepted jobs; a single rejected file answers with its own problem.
fn respond(accepted: Vec<Accepted>, mut rejected: Vec<Rejected>) -> Response {
    if accepted.is_empty() {
        if rejected.len() == 1
            && let Some(r) = rejected.pop()
        {
            return r.into_error().into_response();
        }
        let detail = rejected
            .iter()
            .map(|r| format!("{}: {}", r.filename, r.detail))
            .collect::<Vec<_>>()
            .join("; ");
        return ApiError::problem(
            StatusCode::UNPROCESSABLE_ENTITY,
            "no_document_accepted",
            if detail.is_empty() {
                "no file in the request".to_string()
            } else {
                detail
            },
        )
        .into_response();
    }
    let first = accepted.first();
    let body = IntakeResponse {
        job_id: first.map(|a| a.job_id),
        job_token: first.map(|a| a.job_token.clone()),
        status_url: first.map(|a| a.status_url.clone()),
        jobs: accepted,
        rejected,
    };
    (StatusCode::ACCEPTED, Json(body)).into_response()
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct ReprocessBody {
    /// Keep the values people entered (default true).
    keep_corrections: Option<bool>,
}

/// `POST /api/v1/invoices/{id}/reprocess`: read the invoice's document again (after its file
/// was replaced, or the extraction or model improved) in a job that updates the invoice in
/// place, keeping people's corrections unless `keep_corrections` is false.
async fn reprocess(
    State(state): State<AppState>,
    caller: Caller,
    axum::extract::Path(id): axum::extract::Path<Uuid>,
    body: Option<Json<ReprocessBody>>,
) -> Result<Response, ApiError> {
    let keep_corrections = body.and_then(|Json(b)| b.keep_corrections).unwrap_or(true);
    let invoice = state.store.get_invoice(id, caller.scope()).await?;
    caller.require(WorkspaceRole::Clerk)?;
    let Some(file_id) = invoice.file_id else {
        return Err(ApiError::problem(
            StatusCode::CONFLICT,
            "no_document",
            "the invoice was entered by hand: there is no document to read again",
        ));
    };
    refuse_when_full(&state).await?;
    let file = state.store.get_file(file_id, Scope::All).await?;
    let payload = JobOptions {
        filename: file.original_name.clone(),
        auto_save: false,
        confidence_threshold: None,
        source: Some("reprocess".into()),
        reprocess: Some(doxin_jobs::Reprocess {
            invoice_id: invoice.id,
            keep_corrections,
        }),
    };
    // The invoice's uploader and workspace follow the job, whoever asked for it.
    let job = create_job(
        &state,
        &caller,
        (invoice.owner_id, invoice.workspace_id),
        file.id,
        &payload,
    )
    .await?;
    caller
        .audit(
            &state,
            "invoice.reprocess_requested",
            "invoice",
            Some(invoice.id.to_string()),
            None,
            Some(serde_json::json!({
                "job_id": job.id, "file_id": file.id, "keep_corrections": keep_corrections,
            })),
        )
        .await?;
    enqueue(&state, job.id).await;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({
            "job_id": job.id,
            "invoice_id": invoice.id,
            "keep_corrections": keep_corrections,
            "status": job.status,
            "status_url": format!("/api/v1/invoices/status/{}", job.id),
            "websocket_url": format!("/ws?job_id={}", job.id),
        })),
    )
        .into_response())
}

/// A `multipart/form-data` body. Anything else (the raw bytes of a PDF, JSON) is refused
/// with what to send instead, rather than axum's "Invalid boundary for multipart request".
pub(crate) struct FileForm(pub Multipart);

impl<S: Send + Sync> FromRequest<S> for FileForm {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        Multipart::from_request(req, state)
            .await
            .map(FileForm)
            .map_err(|_| {
                ApiError::problem(
                    StatusCode::BAD_REQUEST,
                    "multipart_expected",
                    "send the file as multipart/form-data in the field `file`, e.g. \
                     curl -F file=@invoice.pdf",
                )
            })
    }
}

/// `POST /api/v1/invoices/upload`: multipart with one or more files (any field that carries a
/// file name), plus optional `auto_save` and `confidence_threshold` fields.
async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    FileForm(mut multipart): FileForm,
) -> Result<Response, ApiError> {
    // Before reading the body: a viewer's upload is refused without storing anything.
    caller.require(WorkspaceRole::Clerk)?;
    refuse_when_full(&state).await?;
    let mut options = Options::default();
    let mut checked = Vec::new();
    let mut rejected = Vec::new();
    let limit = state.limits.max_upload_bytes;
    while let Some(mut field) = multipart
        .next_field()
        .await
        .map_err(|e| ApiError::BadRequest(format!("malformed multipart body: {e}")))?
    {
        let Some(filename) = field.file_name().map(str::to_string) else {
            let name = field.name().unwrap_or_default().to_string();
            let value = field
                .text()
                .await
                .map_err(|e| ApiError::BadRequest(format!("malformed field {name}: {e}")))?;
            read_option(&mut options, &name, &value)?;
            continue;
        };
        if checked.len() + rejected.len() >= state.limits.max_files_per_request {
            return Err(ApiError::problem(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_many_files",
                format!(
                    "at most {} files per request",
                    state.limits.max_files_per_request
                ),
            ));
        }
        // Read with the cap applied while streaming, so an oversized file costs no memory.
        let mut bytes = Vec::new();
        let mut over = false;
        while let Some(chunk) = field
            .chunk()
            .await
            .map_err(|e| ApiError::BadRequest(format!("upload interrupted: {e}")))?
        {
            if over {
                continue;
            }
            if (bytes.len() + chunk.len()) as u64 > limit {
                over = true;
                bytes = Vec::new();
                continue;
            }
            bytes.extend_from_slice(&chunk);
        }
        if over {
            rejected.push(too_large(&sanitize_filename(&filename), limit));
            continue;
        }
        // A generic claim (application/octet-stream) defers to the content; a specific one must
        // match it.
        let claimed = field.content_type().map(str::to_string);
        match check(&state, &filename, claimed.as_deref(), bytes).await {
            Ok(doc) => checked.push(doc),
            Err(r) => rejected.push(r),
        }
    }
    let mut accepted = Vec::new();
    for doc in checked {
        accepted.push(store_and_queue(&state, &caller, doc, &options, "upload").await?);
    }
    Ok(respond(accepted, rejected))
}

fn read_option(options: &mut Options, name: &str, value: &str) -> Result<(), ApiError> {
    match name {
        "auto_save" => {
            options.auto_save = Some(match value.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                other => {
                    return Err(ApiError::BadRequest(format!(
                        "auto_save must be true or false, not {other:?}"
                    )));
                }
            })
        }
        "confidence_threshold" => {
            options.confidence_threshold = Some(parse_threshold(value.trim().parse().ok())?);
        }
        _ => {}
    }
    Ok(())
}

fn parse_threshold(v: Option<f32>) -> Result<f32, ApiError> {
    match v {
        Some(t) if (0.0..=1.0).contains(&t) => Ok(t),
        _ => Err(ApiError::BadRequest(
            "confidence_threshold must be a number from 0 to 1".into(),
        )),
    }
}

#[derive(Debug, Deserialize)]
struct ProcessRequest {
    blob_url: Option<String>,
    url: Option<String>,
    filename: Option<String>,
    auto_save: Option<bool>,
    confidence_threshold: Option<f32>,
}

/// `POST /api/v1/invoices/process`: fetch one document by URL (behind the SSRF guard).
async fn process_url(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<ProcessRequest>,
) -> Result<Response, ApiError> {
    // Before fetching: a viewer cannot make the server fetch anything.
    caller.require(WorkspaceRole::Clerk)?;
    let url = req
        .blob_url
        .or(req.url)
        .ok_or_else(|| ApiError::BadRequest("blob_url or url is required".into()))?;
    let options = Options {
        auto_save: req.auto_save,
        confidence_threshold: req
            .confidence_threshold
            .map(|t| parse_threshold(Some(t)))
            .transpose()?,
    };
    refuse_when_full(&state).await?;
    let doc = fetch_and_check(&state, &url, req.filename.as_deref())
        .await
        .map_err(Rejected::into_error)?;
    let accepted = store_and_queue(&state, &caller, doc, &options, "url").await?;
    Ok(respond(vec![accepted], vec![]))
}

async fn fetch_and_check(
    state: &AppState,
    url: &str,
    filename: Option<&str>,
) -> Result<Checked, Rejected> {
    let shown = filename.unwrap_or(url);
    let fetched = state.fetcher.fetch(url).await.map_err(|e| {
        let status = match &e {
            doxin_fetch::FetchError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            doxin_fetch::FetchError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            e if e.is_caller_error() => StatusCode::UNPROCESSABLE_ENTITY,
            _ => StatusCode::BAD_GATEWAY,
        };
        Rejected::new(shown, status, e.code(), e.to_string())
    })?;
    let name = filename
        .map(str::to_string)
        .or(fetched.filename_hint.clone())
        .unwrap_or_else(|| "document".to_string());
    check(state, &name, None, fetched.bytes).await
}

#[derive(Debug, Deserialize)]
struct BatchFile {
    blob_url: Option<String>,
    url: Option<String>,
    filename: Option<String>,
    #[allow(dead_code)]
    file_size: Option<u64>,
    #[allow(dead_code)]
    mime_type: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct BatchOptions {
    auto_save: Option<bool>,
    confidence_threshold: Option<f32>,
}

#[derive(Debug, Deserialize)]
struct BatchRequest {
    files: Vec<BatchFile>,
    #[serde(default)]
    options: BatchOptions,
}

/// `POST /api/v1/invoices/process-batch`: several documents by URL; each is accepted or
/// rejected on its own.
async fn process_batch(
    State(state): State<AppState>,
    caller: Caller,
    Json(req): Json<BatchRequest>,
) -> Result<Response, ApiError> {
    caller.require(WorkspaceRole::Clerk)?;
    if req.files.len() > state.limits.max_files_per_request {
        return Err(ApiError::problem(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_files",
            format!(
                "at most {} files per request",
                state.limits.max_files_per_request
            ),
        ));
    }
    let options = Options {
        auto_save: req.options.auto_save,
        confidence_threshold: req
            .options
            .confidence_threshold
            .map(|t| parse_threshold(Some(t)))
            .transpose()?,
    };
    refuse_when_full(&state).await?;
    let mut checked = Vec::new();
    let mut rejected = Vec::new();
    for file in &req.files {
        let Some(url) = file.blob_url.as_deref().or(file.url.as_deref()) else {
            rejected.push(Rejected::new(
                file.filename.as_deref().unwrap_or("document"),
                StatusCode::BAD_REQUEST,
                "url_missing",
                "blob_url is required",
            ));
            continue;
        };
        match fetch_and_check(&state, url, file.filename.as_deref()).await {
            Ok(doc) => checked.push(doc),
            Err(r) => rejected.push(r),
        }
    }
    let mut accepted = Vec::new();
    for doc in checked {
        accepted.push(store_and_queue(&state, &caller, doc, &options, "batch").await?);
    }
    Ok(respond(accepted, rejected))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filenames_lose_paths_and_control_characters() {
        assert_eq!(sanitize_filename("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_filename("C:\\Users\\a\\inv.pdf"), "inv.pdf");
        assert_eq!(sanitize_filename("in\u{0}v\n.pdf"), "inv.pdf");
        assert_eq!(sanitize_filename(""), "document");
    }
}
