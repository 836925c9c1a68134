//! The account page (`/account`): change the password (the current one and the new one
//! twice), personal API tokens (create — the token shown once — list, revoke), and sign out
//! everywhere. Everything goes through the API's `/api/v1/auth/…` routes in process, so the
//! password policy, the rate limit and the audit apply; a refusal shows the page again with
//! the API's reason in words.

use axum::extract::{Path, Query};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use minijinja::context;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::api::{ApiClient, ApiRefusal};
use super::session::{Viewer, WebError};
use crate::AppState;
use crate::auth;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/account", get(page))
        .route("/account/password", post(change_password))
        .route("/account/tokens", post(create_token))
        .route("/account/tokens/{id}/revoke", post(revoke_token))
        .route("/account/sign-out-everywhere", post(sign_out_everywhere))
}

/// What a redirect after a successful post says on the page it lands on.
fn notice(done: Option<&str>) -> Option<&'static str> {
    Some(match done? {
        "password" => {
            "Your password is changed. Other browsers are signed out and your API tokens are revoked."
        }
        "revoked" => "The token is revoked.",
        _ => return None,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct AccountQuery {
    done: Option<String>,
}

/// Which form an error belongs to (shown above that form).
#[derive(Debug, Clone, Copy, PartialEq)]
enum FormOf {
    Password,
    Token,
}

/// The page, with an error in words or a just-made token (shown this once) when given.
async fn render(
    viewer: &Viewer,
    api: &ApiClient,
    status: StatusCode,
    notice: Option<&str>,
    error: Option<(FormOf, String)>,
    new_token: Option<Value>,
) -> Result<Response, WebError> {
    let error_of = |form: FormOf| {
        error
            .as_ref()
            .filter(|(f, _)| *f == form)
            .map(|(_, e)| e.clone())
    };
    let tokens = api.get(&viewer.caller, "/api/v1/auth/api-tokens").await?;
    let mut resp = viewer.render(
        "account.html",
        context! {
            title => "Your account",
            tokens => tokens["items"].clone(),
            role => if viewer.is_admin() { "Administrator" } else { "User" },
            notice => notice,
            password_error => error_of(FormOf::Password),
            token_error => error_of(FormOf::Token),
            new_token => new_token,
        },
    );
    *resp.status_mut() = status;
    Ok(resp)
}

async fn page(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Query(q): Query<AccountQuery>,
) -> Result<Response, WebError> {
    render(
        &viewer,
        &api,
        StatusCode::OK,
        notice(q.done.as_deref()),
        None,
        None,
    )
    .await
}

/// A refusal the person can correct shows the page again with the reason; anything else
/// (signed out, deactivated) is answered as every page answers it.
async fn refused(
    viewer: &Viewer,
    api: &ApiClient,
    form: FormOf,
    r: ApiRefusal,
) -> Result<Response, WebError> {
    match r.status {
        StatusCode::UNAUTHORIZED | StatusCode::NOT_FOUND => Err(r.into()),
        _ if r.code == "account_inactive" => Err(r.into()),
        status => render(viewer, api, status, None, Some((form, r.message())), None).await,
    }
}

#[derive(Debug, Deserialize)]
struct PasswordForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    current_password: String,
    new_password: String,
    new_password_again: String,
}

async fn change_password(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Form(form): Form<PasswordForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    if form.new_password != form.new_password_again {
        return render(
            &viewer,
            &api,
            StatusCode::UNPROCESSABLE_ENTITY,
            None,
            Some((
                FormOf::Password,
                "The two new passwords differ. Type the same new password twice.".into(),
            )),
            None,
        )
        .await;
    }
    let body = json!({
        "current_password": form.current_password,
        "new_password": form.new_password,
    });
    match api
        .send(
            &viewer.caller,
            Method::POST,
            "/api/v1/auth/change-password",
            Some(body),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to("/account?done=password").into_response()),
        Err(r) => refused(&viewer, &api, FormOf::Password, r).await,
    }
}

#[derive(Debug, Deserialize)]
struct TokenForm {
    #[serde(rename = "_csrf")]
    csrf: String,
    name: String,
    #[serde(default)]
    expires_in_days: String,
}

/// Makes a token and shows the page with it, answered directly (not by redirect) so the
/// token is in no address and no later page.
async fn create_token(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Form(form): Form<TokenForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    let mut body = json!({ "name": form.name });
    let days = form.expires_in_days.trim();
    if !days.is_empty() {
        match days.parse::<u32>() {
            Ok(d) => body["expires_in_days"] = json!(d),
            Err(_) => {
                return render(
                    &viewer,
                    &api,
                    StatusCode::UNPROCESSABLE_ENTITY,
                    None,
                    Some((
                        FormOf::Token,
                        "Give the days until the token expires as a whole number, or leave it empty."
                            .into(),
                    )),
                    None,
                )
                .await;
            }
        }
    }
    match api
        .send(
            &viewer.caller,
            Method::POST,
            "/api/v1/auth/api-tokens",
            Some(body),
        )
        .await
    {
        Ok(made) => render(&viewer, &api, StatusCode::OK, None, None, Some(made)).await,
        Err(r) => refused(&viewer, &api, FormOf::Token, r).await,
    }
}

#[derive(Debug, Deserialize)]
struct PlainForm {
    #[serde(rename = "_csrf")]
    csrf: String,
}

async fn revoke_token(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Path(id): Path<Uuid>,
    Form(form): Form<PlainForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    api.send(
        &viewer.caller,
        Method::DELETE,
        &format!("/api/v1/auth/api-tokens/{id}"),
        None,
    )
    .await?;
    Ok(Redirect::to("/account?done=revoked").into_response())
}

/// Ends every session of the viewer, this browser's too: the API's answer clears cookies on
/// its own response, which stays in process, so the page clears them on its redirect.
async fn sign_out_everywhere(
    viewer: Viewer,
    Extension(api): Extension<ApiClient>,
    Form(form): Form<PlainForm>,
) -> Result<Response, WebError> {
    viewer.check_csrf(&form.csrf)?;
    api.send(
        &viewer.caller,
        Method::POST,
        "/api/v1/auth/logout-everywhere",
        None,
    )
    .await?;
    let mut resp = Redirect::to("/login?reason=signed_out").into_response();
    for cookie in auth::clear_session_cookies() {
        resp.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(resp)
}
