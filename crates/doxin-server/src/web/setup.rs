//! `/setup`: the first-run page. On a fresh install (no users) `doxin serve` logs a one-time
//! setup token and this page's link (`/setup?token=…`); the form creates the first
//! administrator through the API's setup handler. Once a user exists the page says so and
//! how to sign in, instead of offering a form that would be refused.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use minijinja::{Value, context};
use serde::Deserialize;

use super::auth_pages::{problem_text, status_of};
use super::render;
use super::session::theme;
use crate::AppState;
use crate::routes::auth::{self as api, Origin, SetupBody};

pub fn router() -> Router<AppState> {
    Router::new().route("/setup", get(page).post(create))
}

#[derive(Debug, Default, Deserialize)]
struct SetupQuery {
    token: Option<String>,
}

fn render(headers: &HeaderMap, status: StatusCode, ctx: Value) -> Response {
    render::page(
        status,
        "setup.html",
        context! { ..ctx, ..context! { theme => theme(headers), public => true, title => "Setup" } },
    )
}

async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SetupQuery>,
) -> Response {
    // Unknown (database down): offer the form; the API still refuses a second setup.
    let set_up = state.store.count_users().await.is_ok_and(|n| n > 0);
    render(
        &headers,
        StatusCode::OK,
        context! { done => set_up, token => q.token },
    )
}

#[derive(Debug, Deserialize)]
struct SetupForm {
    setup_token: String,
    email: String,
    display_name: Option<String>,
    password: String,
    password_again: String,
}

async fn create(
    State(state): State<AppState>,
    origin: Origin,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Response {
    let again = |error: String, status: StatusCode| {
        render(
            &headers,
            status,
            context! {
                token => form.setup_token.clone(),
                email => form.email.clone(),
                display_name => form.display_name.clone(),
                error => error,
            },
        )
    };
    if form.password != form.password_again {
        return again(
            "The two passwords differ. Type the same password twice.".into(),
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let body = SetupBody {
        setup_token: form.setup_token.clone(),
        email: form.email.clone(),
        password: form.password.clone(),
        display_name: form.display_name.clone().filter(|n| !n.trim().is_empty()),
    };
    match api::setup(State(state), origin, Json(body)).await {
        Ok(_) => Redirect::to("/login?reason=set-up").into_response(),
        Err(e) => again(problem_text(&e), status_of(&e)),
    }
}
