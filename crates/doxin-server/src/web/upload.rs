//! The upload page. With JavaScript, files dropped or chosen are sent one request each to
//! the API's upload route (with the session's CSRF header) and followed live over `/ws`:
//! a progress bar per file, errors in words, a link to each outcome. Without JavaScript the
//! form posts here: the files are checked against the CSRF token and handed to the same
//! API route in process, and the page lists what was accepted and what was refused.

use axum::body::Body;
use axum::extract::Multipart;
use axum::http::{Method, Request, StatusCode, header};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Router};
use minijinja::context;
use serde_json::Value;

use super::api::ApiClient;
use super::session::{Viewer, WebError};
use crate::AppState;

pub fn router(state: &AppState) -> Router<AppState> {
    // As the API's own limit: every file at its largest, plus room for the fields.
    let body_limit = usize::try_from(
        state
            .limits
            .max_upload_bytes
            .saturating_mul(state.limits.max_files_per_request as u64)
            .saturating_add(1024 * 1024),
    )
    .unwrap_or(usize::MAX);
    Router::new().route(
        "/upload",
        get(page)
            .post(upload)
            .layer(axum::extract::DefaultBodyLimit::max(body_limit)),
    )
}

fn limits(state: &AppState) -> Value {
    serde_json::json!({
        "max_mb": state.limits.max_upload_bytes / (1024 * 1024),
        "max_files": state.limits.max_files_per_request,
    })
}

async fn page(
    viewer: Viewer,
    axum::extract::State(state): axum::extract::State<AppState>,
) -> Response {
    viewer.render(
        "upload.html",
        context! { title => "Upload", limits => limits(&state), auto_save => true, threshold => state.limits.confidence_threshold.to_string() },
    )
}

/// One part of the form, kept to be sent on.
struct Part {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

async fn upload(
    viewer: Viewer,
    axum::extract::State(state): axum::extract::State<AppState>,
    Extension(api): Extension<ApiClient>,
    mut form: Multipart,
) -> Result<Response, WebError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        WebError::page(
            StatusCode::BAD_REQUEST,
            "The upload was interrupted",
            format!("The files could not be read ({e}). Try again."),
        )
    };
    let mut parts = Vec::new();
    let mut csrf = String::new();
    let mut auto_save = false;
    let mut threshold = state.limits.confidence_threshold.to_string();
    while let Some(field) = form.next_field().await.map_err(unreadable)? {
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(str::to_string);
        let bytes = field.bytes().await.map_err(unreadable)?.to_vec();
        match (name.as_str(), &filename) {
            ("_csrf", None) => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            // A file input left empty still sends a part, with an empty name and no bytes.
            (_, Some(f)) if f.is_empty() && bytes.is_empty() => continue,
            ("auto_save", None) => auto_save = true,
            ("confidence_threshold", None) => {
                threshold = String::from_utf8_lossy(&bytes).trim().to_string()
            }
            _ => {}
        }
        let empty_option = filename.is_none() && bytes.iter().all(u8::is_ascii_whitespace);
        if name != "_csrf" && name != "auto_save" && !empty_option {
            parts.push(Part {
                name,
                filename,
                content_type,
                bytes,
            });
        }
    }
    viewer.check_csrf(&csrf)?;
    parts.push(Part {
        name: "auto_save".into(),
        filename: None,
        content_type: None,
        bytes: auto_save.to_string().into_bytes(),
    });
    let ctx = |outcome: Value, error: Option<String>| {
        context! {
            title => "Upload",
            limits => limits(&state),
            auto_save => auto_save,
            threshold => threshold.clone(),
            outcome => outcome,
            error => error,
        }
    };
    if !parts.iter().any(|p| p.filename.is_some()) {
        return Ok(viewer.render(
            "upload.html",
            ctx(Value::Null, Some("Choose at least one file.".into())),
        ));
    }
    let (content_type, body) = multipart_body(&parts);
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/v1/invoices/upload")
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .map_err(|e| {
            WebError::page(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The upload could not be sent on",
                e.to_string(),
            )
        })?;
    req.extensions_mut().insert(viewer.caller.clone());
    Ok(match api.send_request(req).await {
        Ok(outcome) => viewer.render("upload.html", ctx(outcome, None)),
        Err(refusal) => viewer.render("upload.html", ctx(Value::Null, Some(refusal.message()))),
    })
}

/// A `multipart/form-data` body of `parts` and its content type.
fn multipart_body(parts: &[Part]) -> (String, Vec<u8>) {
    let boundary = format!("doxin-{}", crate::auth::secrets::random_hex(12));
    let mut body = Vec::new();
    for p in parts {
        body.extend_from_slice(format!("--{boundary}\r\n").as_bytes());
        let name = header_safe(&p.name);
        match &p.filename {
            Some(f) => body.extend_from_slice(
                format!(
                    "Content-Disposition: form-data; name=\"{name}\"; filename=\"{}\"\r\n",
                    header_safe(f)
                )
                .as_bytes(),
            ),
            None => body.extend_from_slice(
                format!("Content-Disposition: form-data; name=\"{name}\"\r\n").as_bytes(),
            ),
        }
        if let Some(ct) = &p.content_type {
            body.extend_from_slice(format!("Content-Type: {}\r\n", header_safe(ct)).as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(&p.bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// A name as a quoted header parameter: no quote, backslash or line break can end it early.
fn header_safe(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            '"' | '\\' | '\r' | '\n' => '_',
            c => c,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_break_out_of_their_header() {
        let (ct, body) = multipart_body(&[Part {
            name: "files".into(),
            filename: Some("a\"\r\nContent-Type: text/html.pdf".into()),
            content_type: Some("application/pdf".into()),
            bytes: b"%PDF".to_vec(),
        }]);
        let text = String::from_utf8_lossy(&body);
        assert!(ct.starts_with("multipart/form-data; boundary=doxin-"));
        assert!(
            text.contains("filename=\"a___Content-Type: text/html.pdf\"\r\n"),
            "{text}"
        );
        assert_eq!(text.matches("Content-Type:").count(), 2, "{text}");
    }
}
