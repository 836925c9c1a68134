//! Signing in and out, signing up with an access code, requesting access, and the theme
//! switch. The forms post to these pages, which call the same handlers as the API (rate
//! limits, audit entries and all) and answer with a redirect or the form again with the
//! problem in words.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use minijinja::{Value, context};
use serde::Deserialize;

use super::render;
use super::session::{THEME_COOKIE, Viewer, WebError, capitalise, safe_next, theme};
use crate::routes::auth::{self as api, Origin};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/register", get(register_page).post(register))
        .route("/request-access", get(request_page).post(request_access))
        .route("/theme", post(set_theme))
}

/// A page for visitors who are not signed in.
fn public_page(headers: &HeaderMap, status: StatusCode, template: &str, ctx: Value) -> Response {
    render::page(
        status,
        template,
        context! { ..ctx, ..context! { theme => theme(headers), public => true } },
    )
}

/// The message of a refused form, for the form.
pub(super) fn problem_text(e: &ApiError) -> String {
    match e.parts() {
        Some((_, _, detail)) => capitalise(&detail),
        None => {
            tracing::error!(error = ?e, "a form's request failed inside the server");
            "Something went wrong on our side; it has been logged. Try again in a moment.".into()
        }
    }
}

pub(super) fn status_of(e: &ApiError) -> StatusCode {
    e.parts()
        .map_or(StatusCode::INTERNAL_SERVER_ERROR, |(status, _, _)| status)
}

#[derive(Debug, Deserialize, Default)]
struct LoginQuery {
    next: Option<String>,
    reason: Option<String>,
}

async fn login_page(headers: HeaderMap, Query(q): Query<LoginQuery>) -> Response {
    let notice = match q.reason.as_deref() {
        Some("inactive") => Some("This account has been deactivated. Ask an administrator."),
        Some("expired") => Some("Your session has ended. Sign in again."),
        Some("signed-out") => Some("You are signed out."),
        Some("registered") => Some("Your account is ready. Sign in with it."),
        Some("set-up") => Some("The administrator is created. Sign in with it."),
        _ => None,
    };
    public_page(
        &headers,
        StatusCode::OK,
        "login.html",
        context! { next => safe_next(q.next.as_deref()), notice => notice },
    )
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

async fn login(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let creds = api::Credentials {
        email: form.email.clone(),
        password: form.password,
    };
    match api::login(State(state), origin, headers.clone(), Json(creds)).await {
        Ok(answer) => {
            let mut resp = Redirect::to(&next).into_response();
            for cookie in answer.headers().get_all(header::SET_COOKIE) {
                resp.headers_mut()
                    .append(header::SET_COOKIE, cookie.clone());
            }
            resp
        }
        Err(e) => public_page(
            &headers,
            status_of(&e),
            "login.html",
            context! { next => next, error => problem_text(&e), email => form.email },
        ),
    }
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    let answer = api::logout(State(state), viewer.caller.clone()).await?;
    let mut resp = Redirect::to("/login?reason=signed-out").into_response();
    for cookie in answer.headers().get_all(header::SET_COOKIE) {
        resp.headers_mut()
            .append(header::SET_COOKIE, cookie.clone());
    }
    Ok(resp)
}

#[derive(Debug, Deserialize, Default)]
struct RegisterQuery {
    code: Option<String>,
}

async fn register_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<RegisterQuery>,
) -> Response {
    public_page(
        &headers,
        StatusCode::OK,
        "register.html",
        context! { code => q.code, open_signup => state.auth.settings.open_signup },
    )
}

#[derive(Debug, Deserialize)]
struct RegisterForm {
    email: String,
    display_name: Option<String>,
    password: String,
    password_again: String,
    access_code: Option<String>,
}

async fn register(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    Form(form): Form<RegisterForm>,
) -> Response {
    let again = |error: String, status: StatusCode, form: &RegisterForm| {
        public_page(
            &headers,
            status,
            "register.html",
            context! {
                code => form.access_code.clone(),
                email => form.email.clone(),
                display_name => form.display_name.clone(),
                open_signup => state.auth.settings.open_signup,
                error => error,
            },
        )
    };
    if form.password != form.password_again {
        return again(
            "The two passwords differ. Type the same password twice.".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
            &form,
        );
    }
    let body = api::Register {
        email: form.email.clone(),
        password: form.password.clone(),
        display_name: form.display_name.clone().filter(|n| !n.trim().is_empty()),
        access_code: form.access_code.clone(),
    };
    match api::register(State(state.clone()), origin, Json(body)).await {
        Ok(_) => Redirect::to("/login?reason=registered").into_response(),
        Err(e) => again(problem_text(&e), status_of(&e), &form),
    }
}

async fn request_page(headers: HeaderMap) -> Response {
    public_page(&headers, StatusCode::OK, "request_access.html", context! {})
}

#[derive(Debug, Deserialize)]
struct RequestForm {
    email: String,
    name: String,
    message: Option<String>,
}

async fn request_access(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    Form(form): Form<RequestForm>,
) -> Response {
    let body = api::AccessRequestBody {
        email: form.email.clone(),
        name: form.name.clone(),
        message: form.message.clone().filter(|m| !m.trim().is_empty()),
    };
    match api::request_access(State(state), origin, Json(body)).await {
        Ok(_) => public_page(
            &headers,
            StatusCode::OK,
            "request_access.html",
            context! { sent => true },
        ),
        Err(e) => public_page(
            &headers,
            status_of(&e),
            "request_access.html",
            context! {
                error => problem_text(&e),
                email => form.email,
                name => form.name,
                message => form.message,
            },
        ),
    }
}

#[derive(Debug, Deserialize)]
struct ThemeForm {
    theme: String,
    next: Option<String>,
}

/// Remembers the chosen theme in a cookie, so the server renders it without a flash; works
/// without JavaScript (the script switches at once and posts the same form in the background).
async fn set_theme(Form(form): Form<ThemeForm>) -> Response {
    let cookie = match form.theme.as_str() {
        "dark" | "light" => format!(
            "{THEME_COOKIE}={}; Path=/; SameSite=Lax; Max-Age=31536000",
            form.theme
        ),
        _ => format!("{THEME_COOKIE}=; Path=/; SameSite=Lax; Max-Age=0"),
    };
    let mut resp = Redirect::to(&safe_next(form.next.as_deref())).into_response();
    if let Ok(value) = header::HeaderValue::from_str(&cookie) {
        resp.headers_mut().insert(header::SET_COOKIE, value);
    }
    resp
}
