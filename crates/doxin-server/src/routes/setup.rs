//! `GET /setup`: the first-run page. On a fresh install (no users) `doxin serve` logs a
//! one-time setup token and this page's link; the page creates the first administrator
//! through `POST /api/v1/auth/setup`. Once a user exists, both refuse.
//!
//! The page is static: the token is read from the URL by the script, never echoed into the
//! HTML by the server, so nothing in the URL can inject markup.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/setup", get(page))
}

const PAGE: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DoxIn — first-run setup</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem;color:#1d2433}
h1{font-size:1.4rem}label{display:block;margin:.8rem 0 .2rem}
input{width:100%;padding:.5rem;border:1px solid #9aa3b5;border-radius:4px;box-sizing:border-box}
button{margin-top:1.2rem;padding:.6rem 1.2rem;border:0;border-radius:4px;background:#1f5fbf;color:#fff;font-size:1rem}
#msg{margin-top:1rem}.err{color:#a11}.ok{color:#176b2c}
</style></head>
<body>
<h1>Create the first administrator</h1>
<p>This installation has no users yet. Enter the setup token that <code>doxin serve</code> printed in its log.</p>
<form id="f">
<label for="token">Setup token</label><input id="token" name="setup_token" required autocomplete="off">
<label for="email">E-mail</label><input id="email" name="email" type="email" required>
<label for="name">Name</label><input id="name" name="display_name">
<label for="pw">Password (at least 10 characters)</label><input id="pw" name="password" type="password" minlength="10" required>
<button type="submit">Create administrator</button>
</form>
<p id="msg" role="status"></p>
<script>
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
  msg.textContent = r.ok ? "Administrator created. You can now sign in." : (data.detail || "Setup failed.");
  if (r.ok) e.target.remove();
});
</script>
</body></html>
"#;

async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        PAGE,
    )
}
