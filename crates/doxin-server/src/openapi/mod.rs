//! The API's contract: an OpenAPI 3.1 document at `GET /api/v1/openapi.json` and Swagger UI
//! at `/api/docs`.
//!
//! The document is built as data (`serde_json::json!` through the small [`Op`] builder), one
//! file per route group, rather than with `utoipa` annotations on the handlers. Why:
//! - the handlers answer `serde_json::Value` built with `json!` in many places, so derive-based
//!   schemas would first need a typed response struct per route, a rewrite of every handler;
//! - route files stay free of documentation attributes, so people adding routes elsewhere do
//!   not collide here, and the document can be reviewed as one piece;
//! - the test `tests/api/openapi.rs` reads every `.route("…", …)` of the sources and fails
//!   when a path or method is missing here (or documented but not served), which gives the
//!   same guarantee annotations would: a new route without documentation does not pass.
//!
//! Conventions: every error is an RFC 9457 problem (`#/components/schemas/Problem`, served as
//! `application/problem+json`); object schemas list as `required` the keys a response always
//! has (null included), and nullable values are `[T, "null"]`.

mod access;
mod admin;
mod alerts;
mod analytics;
mod auth;
mod companies;
mod exports;
mod health;
mod intake;
mod invoices;
mod jobs;
mod misc;
mod model;
mod pages;
mod reports;
mod workspaces;

use axum::Router;
use doxin_store::PageRequest;
use serde_json::{Map, Value, json};
use utoipa_swagger_ui::SwaggerUi;

use crate::AppState;

/// Where the document is served.
pub const SPEC_PATH: &str = "/api/v1/openapi.json";
/// Where Swagger UI is served (`/api/docs` redirects to `/api/docs/`).
pub const DOCS_PATH: &str = "/api/docs";

/// Serves the document and Swagger UI reading it.
pub fn router() -> Router<AppState> {
    // `external_url_unchecked` serves the JSON value as is at SPEC_PATH (utoipa's own
    // `OpenApi` type is not used, see the module comment).
    SwaggerUi::new(DOCS_PATH)
        .external_url_unchecked(SPEC_PATH, document())
        .into()
}

/// The whole OpenAPI 3.1 document.
pub fn document() -> Value {
    let mut paths = Map::new();
    let groups = [
        health::operations(),
        auth::operations(),
        access::operations(),
        intake::operations(),
        jobs::operations(),
        admin::operations(),
        alerts::operations(),
        invoices::operations(),
        pages::operations(),
        exports::operations(),
        companies::operations(),
        workspaces::operations(),
        misc::operations(),
        analytics::operations(),
        reports::operations(),
    ];
    for (path, method, op) in groups.into_iter().flatten() {
        let entry = paths
            .entry(path.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(methods) = entry {
            methods.insert(method.to_string(), op);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "DoxIn API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Invoice intake and extraction. Errors are RFC 9457 problem details \
                (`application/problem+json`) with a stable `code`. Authenticate with \
                `Authorization: Bearer <token>` (a 15-minute JWT from \
                `POST /api/v1/auth/jwt-token`, or a personal `dxn_…` API token), or with the \
                `doxin_session` cookie from `POST /api/v1/auth/login`; requests that change \
                something with the cookie must send its CSRF token in `X-CSRF-Token`.",
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "tags": [
            { "name": "health", "description": "Liveness and component health" },
            { "name": "auth", "description": "Accounts, sessions, tokens, first-run setup" },
            { "name": "admin", "description": "Administrators: access codes and requests, users, audit log, jobs overview, usage, alerts" },
            { "name": "intake", "description": "Documents in: upload and URLs" },
            { "name": "jobs", "description": "Processing jobs and their invoices' review" },
            { "name": "invoices", "description": "Invoices: list, detail, edits, file, search" },
            { "name": "exports", "description": "Invoices out: CSV, XLSX, JSON, UBL" },
            { "name": "companies", "description": "Vendors and customers" },
            { "name": "workspaces", "description": "Teams: members, roles, approval limits, invitations, approval rules. Requests act in the workspace named by `X-Workspace-Id`, else the caller's oldest" },
            { "name": "dashboard", "description": "Figures and supported document types" },
            { "name": "reports", "description": "Analytics (invoice figures over an issue-date range, every amount per currency) and reports generated in the background (XLSX with charts, CSV) with their templates" },
            { "name": "meta", "description": "Metrics, this document, pages, WebSocket" },
        ],
        "paths": paths,
        "components": components(),
        "security": authenticated(),
    })
}

/// Any of the three credentials; with the session cookie, state changes also need the CSRF
/// header (both schemes in one requirement object: both are needed).
fn authenticated() -> Value {
    json!([{ "bearer": [] }, { "session": [], "csrf": [] }])
}

/// For reads, the session cookie alone is enough.
fn authenticated_read() -> Value {
    json!([{ "bearer": [] }, { "session": [] }])
}

fn components() -> Value {
    json!({
        "securitySchemes": {
            "bearer": {
                "type": "http",
                "scheme": "bearer",
                "bearerFormat": "JWT (15 minutes) or personal API token `dxn_…`",
            },
            "session": {
                "type": "apiKey",
                "in": "cookie",
                "name": crate::auth::SESSION_COOKIE,
                "description": "Set by `POST /api/v1/auth/login` (HttpOnly unless `SESSION_COOKIE_HTTPONLY=false`).",
            },
            "metricsToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "`METRICS_TOKEN`, for `/metrics` only (not a user credential).",
            },
            "webhookSecret": {
                "type": "http",
                "scheme": "bearer",
                "description": "`WEBHOOK_SECRET`, sent by Alertmanager to the alert webhook only (not a user credential).",
            },
            "csrf": {
                "type": "apiKey",
                "in": "header",
                "name": "X-CSRF-Token",
                "description": "The session's CSRF token (the login answer's `csrf_token`, also \
                    in the readable `doxin_csrf` cookie); needed with the session cookie on \
                    every request that is not GET, HEAD or OPTIONS.",
            },
        },
        "headers": {
            "RetryAfter": {
                "description": "Seconds to wait before trying again.",
                "schema": { "type": "integer", "minimum": 0 },
            },
        },
        "schemas": schemas(),
    })
}

fn schemas() -> Value {
    let mut all = Map::new();
    all.insert(
        "Problem".into(),
        object(
            "An RFC 9457 problem: every 4xx and 5xx answer.",
            json!({
                "type": { "type": "string", "description": "`https://doxin.dev/problems/<code>`" },
                "title": { "type": "string", "description": "The status's reason phrase" },
                "status": { "type": "integer", "minimum": 400, "maximum": 599 },
                "detail": { "type": "string" },
                "code": { "type": "string", "description": "Stable machine-readable code" },
            }),
        ),
    );
    let mut pagination = object_with(
        &[
            "page",
            "per_page",
            "total",
            "total_is_estimate",
            "pages",
            "has_next",
            "has_prev",
        ],
        json!({
            "page": { "type": "integer", "minimum": 1 },
            "per_page": { "type": "integer", "minimum": 1, "maximum": PageRequest::MAX_PER_PAGE },
            "total": { "type": "integer", "minimum": 0 },
            "total_is_estimate": {
                "type": "boolean",
                "description": "`total` (and `pages`) is the database's estimate, not a count",
            },
            "pages": { "type": "integer", "minimum": 0 },
            "has_next": { "type": "boolean" },
            "has_prev": { "type": "boolean" },
            "next_cursor": {
                "type": "string",
                "description": "Where the next page starts (lists with keyset paging; absent \
                                on the last page)",
            },
        }),
    );
    pagination["description"] = json!("Where a page sits in the whole list.");
    all.insert("Pagination".into(), pagination);
    for group in [
        health::schemas(),
        auth::schemas(),
        access::schemas(),
        intake::schemas(),
        jobs::schemas(),
        admin::schemas(),
        alerts::schemas(),
        invoices::schemas(),
        exports::schemas(),
        companies::schemas(),
        workspaces::schemas(),
        reports::schemas(),
        model::schemas(),
    ] {
        all.extend(group);
    }
    Value::Object(all)
}

// --- schema helpers ------------------------------------------------------------------------

/// `$ref` to a component schema.
fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// An object whose listed properties are all always present.
fn object(description: &str, properties: Value) -> Value {
    let required: Vec<String> = properties
        .as_object()
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    json!({
        "type": "object",
        "description": description,
        "required": required,
        "properties": properties,
    })
}

/// An object whose properties may each be absent (request bodies with optional fields).
fn object_with(required: &[&str], properties: Value) -> Value {
    json!({ "type": "object", "required": required, "properties": properties })
}

/// `T` or null.
fn nullable(ty: &str) -> Value {
    json!({ "type": [ty, "null"] })
}

fn nullable_format(ty: &str, format: &str) -> Value {
    json!({ "type": [ty, "null"], "format": format })
}

fn uuid() -> Value {
    json!({ "type": "string", "format": "uuid" })
}

fn datetime() -> Value {
    json!({ "type": "string", "format": "date-time" })
}

fn string() -> Value {
    json!({ "type": "string" })
}

/// An address the API accepts: `local@domain.tld`, checked loosely (no control characters or
/// white space, at most 254 characters).
fn email() -> Value {
    json!({ "type": "string", "format": "email", "maxLength": 254 })
}

/// A name, or null.
fn name_or_null() -> Value {
    let mut v = name();
    v["type"] = json!(["string", "null"]);
    v
}

/// A name the API accepts: 1 to 200 characters, no control characters.
fn name() -> Value {
    json!({
        "type": "string", "minLength": 1, "maxLength": 200,
        "pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$",
    })
}

fn integer() -> Value {
    json!({ "type": "integer" })
}

fn boolean() -> Value {
    json!({ "type": "boolean" })
}

fn enumeration(values: &[&str]) -> Value {
    json!({ "type": "string", "enum": values })
}

/// A page of `item`: the one list shape of the API (`routes::listing`).
fn page_of(item: Value) -> Value {
    page_with(item, json!({}))
}

/// A page of `item` with route-specific `extra` properties (all required) beside `items` and
/// `pagination`.
fn page_with(item: Value, extra: Value) -> Value {
    let mut properties = json!({
        "items": { "type": "array", "items": item },
        "pagination": schema_ref("Pagination"),
    });
    if let (Some(p), Value::Object(more)) = (properties.as_object_mut(), extra) {
        p.extend(more);
    }
    object("A page of results.", properties)
}

// --- operation builder -----------------------------------------------------------------------

/// What a status means when a route answers it with a problem (the per-route detail is in the
/// problem's `detail` and `code`).
fn problem_description(status: u16) -> &'static str {
    match status {
        400 => {
            "Malformed request: bad JSON, query string or path parameter, or a field the route refuses (`bad_request`)"
        }
        401 => "No credential, or an invalid or expired one (`unauthenticated`)",
        403 => {
            "Not allowed: deactivated account, missing CSRF token with a session cookie, not an administrator, a refused code, a JWT where only a session, password or API token may (`credential_not_allowed`), or /metrics from a non-loopback client without METRICS_TOKEN"
        }
        404 => "No such object, or not the caller's (`not_found`)",
        409 => "Conflicts with the object's state",
        413 => "Too large: body, file, or too many files",
        415 => "Unsupported media type: wrong Content-Type, or a document type DoxIn cannot read",
        422 => "The body is well-formed but its values are refused",
        426 => "Not a WebSocket upgrade request",
        429 => "Too many attempts or a full queue; see Retry-After",
        500 => "Internal error; logged with the request id (`internal`)",
        502 => "The document's server failed or answered an error",
        503 => "A required service (the database) is unavailable (`unavailable`)",
        504 => "The document's server did not answer in time",
        _ => "Error",
    }
}

/// One operation, built up step by step.
struct Op(Map<String, Value>);

impl Op {
    fn new(tag: &str, operation_id: &str, summary: &str) -> Op {
        let mut m = Map::new();
        m.insert("tags".into(), json!([tag]));
        m.insert("operationId".into(), json!(operation_id));
        m.insert("summary".into(), json!(summary));
        m.insert("responses".into(), json!({}));
        Op(m)
    }

    fn description(mut self, text: &str) -> Op {
        self.0.insert("description".into(), json!(text));
        self
    }

    /// These security requirements instead of the document's.
    fn security(mut self, requirements: Value) -> Op {
        self.0.insert("security".into(), requirements);
        self
    }

    /// No credential needed.
    fn public(mut self) -> Op {
        self.0.insert("security".into(), json!([]));
        self
    }

    /// A read: the session cookie without CSRF header is enough.
    fn read(mut self) -> Op {
        self.0.insert("security".into(), authenticated_read());
        self
    }

    /// Works with or without a credential.
    fn optional_auth(mut self) -> Op {
        let mut sec = vec![json!({})];
        if let Value::Array(rest) = authenticated() {
            sec.extend(rest);
        }
        self.0.insert("security".into(), Value::Array(sec));
        self
    }

    fn param(mut self, param: Value) -> Op {
        let params = self
            .0
            .entry("parameters")
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = params {
            list.push(param);
        }
        self
    }

    /// A UUID path parameter.
    fn path_id(self, name: &str, description: &str) -> Op {
        self.param(json!({
            "name": name, "in": "path", "required": true,
            "description": description, "schema": uuid(),
        }))
    }

    fn query(self, name: &str, description: &str, schema: Value) -> Op {
        self.param(json!({
            "name": name, "in": "query", "required": false,
            "description": description, "schema": schema,
        }))
    }

    /// `page` and `per_page` query parameters (a larger per_page counts as the maximum).
    fn paged(self) -> Op {
        let per_page = format!(
            "Items per page (1 to {max}; more counts as {max})",
            max = PageRequest::MAX_PER_PAGE
        );
        self.query(
            "page",
            "Page number, from 1",
            json!({ "type": "integer", "minimum": 1, "maximum": 4_294_967_295_u64, "default": 1 }),
        )
        .query(
            "per_page",
            &per_page,
            json!({ "type": "integer", "minimum": 1, "maximum": 4_294_967_295_u64, "default": 20 }),
        )
    }

    fn body(mut self, content_type: &str, schema: Value, required: bool) -> Op {
        self.0.insert(
            "requestBody".into(),
            json!({ "required": required, "content": { content_type: { "schema": schema } } }),
        );
        self
    }

    fn json_body(self, schema: Value) -> Op {
        self.body("application/json", schema, true)
    }

    fn response(mut self, status: u16, value: Value) -> Op {
        if let Some(Value::Object(responses)) = self.0.get_mut("responses") {
            responses.insert(status.to_string(), value);
        }
        self
    }

    /// A JSON answer.
    fn ok(self, status: u16, description: &str, schema: Value) -> Op {
        self.response(
            status,
            json!({
                "description": description,
                "content": { "application/json": { "schema": schema } },
            }),
        )
    }

    /// An OpenAPI link from the `status` answer to the operation `operation_id`, whose
    /// parameter `param` is taken from the answer's body at JSON pointer `pointer` (clients
    /// and stateful testing follow these).
    fn link(mut self, status: u16, operation_id: &str, param: &str, pointer: &str) -> Op {
        if let Some(resp) = self
            .0
            .get_mut("responses")
            .and_then(|r| r.get_mut(status.to_string()))
        {
            let links = resp
                .as_object_mut()
                .map(|r| r.entry("links").or_insert_with(|| json!({})));
            if let Some(Value::Object(links)) = links {
                links.insert(
                    operation_id.to_string(),
                    json!({
                        "operationId": operation_id,
                        "parameters": { param: format!("$response.body#{pointer}") },
                    }),
                );
            }
        }
        self
    }

    /// Applies a shared piece of documentation.
    fn apply(self, f: impl FnOnce(Op) -> Op) -> Op {
        f(self)
    }

    /// An answer without a body.
    fn empty(self, status: u16, description: &str) -> Op {
        self.response(status, json!({ "description": description }))
    }

    /// Problem answers for `statuses` (429 also carries Retry-After).
    fn problems(mut self, statuses: &[u16]) -> Op {
        for &status in statuses {
            let mut resp = json!({
                "description": problem_description(status),
                "content": {
                    "application/problem+json": { "schema": schema_ref("Problem") },
                },
            });
            if status == 429 {
                resp["headers"] = json!({
                    "Retry-After": { "$ref": "#/components/headers/RetryAfter" },
                });
            }
            self = self.response(status, resp);
        }
        self
    }

    /// What any route reading the database can answer besides its own cases.
    fn store_errors(self) -> Op {
        self.problems(&[500, 503])
    }

    /// What the Caller extractor answers: 401 without a valid credential, 403 for a
    /// deactivated account, a cookie request without its CSRF token or a role too low for
    /// the route (`role_forbidden`); 400 for an unreadable `X-Workspace-Id`, 404 for a
    /// workspace the caller is not a member of.
    fn caller(self) -> Op {
        self.problems(&[400, 401, 403, 404])
    }

    /// What axum's JSON extractor answers (turned into problems): 400 syntax, 413 over the
    /// body limit, 415 without `Content-Type: application/json`, 422 wrong shape or types.
    fn json_rejections(self) -> Op {
        self.problems(&[400, 413, 415, 422])
    }

    fn build(self) -> Value {
        Value::Object(self.0)
    }
}

/// One documented operation: path template (as in the router), lower-case method, operation.
type Operation = (&'static str, &'static str, Value);
