//! `GET /setup`: the first-run page. On a fresh install (no users) `doxin serve` logs a
//! one-time setup token and this page's link; the page creates the first administrator
//! through `POST /api/v1/auth/setup`. Once a user exists, both refuse.
//!
//! The page is static: the token is read from the URL by the script, never echoed into the
//! HTML by the server, so nothing in the URL can inject markup. Once the installation has a
//! user the page says so and how to sign in, instead of offering a form that would be refused.

use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/setup", get(page))
}

/// The page's inline style and script, served with a policy that allows exactly these (by
/// their SHA-256) and nothing else: no other script can run in the page, not even one
/// injected into it, and no other site may frame it.
const STYLE: &str = r#"
body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1d2433}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}
input{width:100%;padding:.5rem;border:1px solid #9aa3b5;border-radius:4px;box-sizing:border-box}
button{margin-top:1.2rem;padding:.6rem 1.2rem;border:0;border-radius:4px;background:#1f5fbf;color:#fff;font-size:1rem}
#msg{margin-top:1rem}.err{color:#a11}.ok{color:#176b2c}
"#;
const SCRIPT: &str = r#"
const q = new URLSearchParams(location.search);
if (q.get("token")) document.getElementById("token").value = q.get("token");
document.getElementById("f").addEventListener("submit", async (e) => {
  e.preventDefault();
  const msg = document.getElementById("msg");
  const body = Object.fromEntries(new FormData(e.target));
  const r = await fetch("/api/v1/auth/setup", {method: "POST",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
  const data = await r.json().catch(() => ({}));
  msg.className = r.ok ? "ok" : "err";
  msg.textContent = r.ok ? "Administrator created. Sign in with this e-mail address and password: POST /api/v1/auth/login for a browser session, or POST /api/v1/auth/jwt-token for a bearer token." : (data.detail || "Setup failed.");
  if (r.ok) { e.target.remove(); document.getElementById("intro").remove(); }
});
"#;
const BEFORE_STYLE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DoxIn — setup</title>
<style>"#;
const BETWEEN: &str = r#"</style></head>
<body>
<h1>Create the first administrator</h1>
<p id="intro">This installation has no users yet. Enter the setup token that <code>doxin serve</code> printed in its log.</p>
<form id="f">
<label for="token">Setup token</label><input id="token" name="setup_token" required autocomplete="off">
<label for="email">E-mail</label><input id="email" name="email" type="email" required>
<label for="name">Name</label><input id="name" name="display_name">
<label for="pw">Password (at least 10 characters, not your e-mail address)</label><input id="pw" name="password" type="password" minlength="10" required>
<button type="submit">Create administrator</button>
</form>
<p id="msg" role="status"></p>
<script>"#;
const AFTER_SCRIPT: &str = r#"</script>
</body></html>
"#;

/// What `/setup` shows once the installation has users (no script, no form).
const DONE_BODY: &str = r#"</style></head>
<body>
<h1>DoxIn is set up</h1>
<p>This installation already has its administrator. Sign in with your e-mail address and password:
<code>POST /api/v1/auth/login</code> opens a browser session, <code>POST /api/v1/auth/jwt-token</code>
returns a bearer token, and <code>doxin user token --email you@example.com</code> prints a personal
API token on the server.</p>
</body></html>
"#;

/// The page once set up, with a policy allowing only its style.
static DONE_PAGE: LazyLock<(String, String)> = LazyLock::new(|| {
    let page = format!("{BEFORE_STYLE}{STYLE}{DONE_BODY}");
    let csp = format!(
        "default-src 'none'; style-src '{}'; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'",
        csp_hash(STYLE)
    );
    (page, csp)
});

/// The page and its Content-Security-Policy, built once.
static PAGE: LazyLock<(String, String)> = LazyLock::new(|| {
    let page = format!("{BEFORE_STYLE}{STYLE}{BETWEEN}{SCRIPT}{AFTER_SCRIPT}");
    let csp = format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; connect-src 'self'; \
         form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
        csp_hash(SCRIPT),
        csp_hash(STYLE)
    );
    (page, csp)
});

/// A CSP source for an inline element with exactly this text.
fn csp_hash(text: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    format!(
        "sha256-{}",
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(text.as_bytes()))
    )
}

async fn page(State(state): State<AppState>) -> impl IntoResponse {
    // Unknown (database down): offer the form; the API still refuses a second setup.
    let set_up = state.store.count_users().await.is_ok_and(|n| n > 0);
    let (page, csp) = if set_up { &*DONE_PAGE } else { &*PAGE };
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, csp.as_str()),
        ],
        page.as_str(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_names_the_inline_script_and_style() {
        let (page, csp) = &*PAGE;
        assert!(page.contains(&format!("<script>{SCRIPT}</script>")));
        assert!(page.contains(&format!("<style>{STYLE}</style>")));
        assert!(
            csp.contains(&format!("script-src '{}'", csp_hash(SCRIPT))),
            "{csp}"
        );
        assert!(!csp.contains("unsafe-inline"), "{csp}");
        // A known vector: SHA-256 of "" in base64.
        assert_eq!(
            csp_hash(""),
            "sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="
        );
    }
}
