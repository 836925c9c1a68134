//! The monitor's page: one HTML document with its style and script inline, allowed by hash in
//! its Content-Security-Policy (nothing else may load or run). Data is written with
//! `textContent`, never as markup, so a hostile file name cannot become script.

use std::sync::LazyLock;

use axum::http::header;
use axum::response::IntoResponse;

const HEAD: &str = r#"<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>DoxIn worker monitor</title>
<style>"#;

const STYLE: &str = r#"
body{font:14px/1.4 system-ui,sans-serif;margin:1rem 2rem;color:#1b1b1b;background:#fafafa}
h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#eee}
.figures{display:flex;gap:1rem;flex-wrap:wrap}
.figure{background:#fff;border:1px solid #ccc;padding:.5rem 1rem;min-width:8rem}
.figure strong{display:block;font-size:1.4rem}
.live{color:#0a6b0a}.dead{color:#a40000}
button{margin-right:.25rem}
#status{min-height:1.2em}
.error{color:#a40000}
"#;

const BODY: &str = r#"</style></head>
<body>
<header><h1>DoxIn worker monitor</h1></header>
<main>
<form id="auth">
<label for="token">Administrator token (a personal API token from <code>doxin user token</code>, or a JWT)</label>
<input id="token" name="token" type="password" autocomplete="off" size="48">
<button type="submit">Use token</button>
<button type="button" id="forget">Forget token</button>
</form>
<p id="status" role="status" aria-live="polite"></p>

<section aria-labelledby="queues-h"><h2 id="queues-h">Queues</h2>
<div class="figures" id="queues"></div>
<p><button type="button" id="requeue">Requeue dead letters</button></p>
</section>

<section aria-labelledby="throughput-h"><h2 id="throughput-h">Throughput (last hour)</h2>
<div class="figures" id="throughput"></div>
</section>

<section aria-labelledby="workers-h"><h2 id="workers-h">Workers</h2>
<table><caption>Workers heard from in the last ten minutes</caption>
<thead><tr><th scope="col">Worker</th><th scope="col">Host</th><th scope="col">State</th>
<th scope="col">Concurrency</th><th scope="col">Jobs in hand</th><th scope="col">Uptime (s)</th>
<th scope="col">Last heartbeat</th></tr></thead>
<tbody id="workers"></tbody></table>
</section>

<section aria-labelledby="jobs-h"><h2 id="jobs-h">Recent jobs</h2>
<table><thead><tr><th scope="col">Job</th><th scope="col">File</th><th scope="col">Status</th>
<th scope="col">Stage</th><th scope="col">Attempts</th><th scope="col">Queue wait (s)</th>
<th scope="col">Run (s)</th><th scope="col">Stages (s)</th><th scope="col">Error</th>
<th scope="col">Actions</th></tr></thead>
<tbody id="jobs"></tbody></table>
</section>
</main>
<script>"#;

const SCRIPT: &str = r#"
"use strict";
const API = "/api/v1/monitor";
const $ = (id) => document.getElementById(id);
const say = (text, bad) => { $("status").textContent = text; $("status").className = bad ? "error" : ""; };
const token = () => sessionStorage.getItem("doxin-monitor-token") || "";
async function call(path, method) {
  const r = await fetch(API + path, { method: method || "GET", headers: { Authorization: "Bearer " + token() } });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) { throw new Error(r.status + " " + (body.detail || body.title || r.statusText)); }
  return body;
}
function cell(row, text) { const td = document.createElement("td"); td.textContent = text == null ? "" : String(text); row.appendChild(td); return td; }
function figure(parent, label, value) {
  const d = document.createElement("div"); d.className = "figure";
  const s = document.createElement("strong"); s.textContent = value == null ? "-" : String(value);
  d.appendChild(s); d.appendChild(document.createTextNode(label)); parent.appendChild(d);
}
function button(parent, label, action) {
  const b = document.createElement("button"); b.type = "button"; b.textContent = label;
  b.addEventListener("click", async () => { try { await action(); say(label + ": done"); refresh(); } catch (e) { say(label + ": " + e.message, true); } });
  parent.appendChild(b);
}
async function refresh() {
  if (!token()) { say("Paste an administrator token to start."); return; }
  try {
    const [q, t, w, j] = await Promise.all([call("/queues"), call("/throughput"), call("/workers"), call("/jobs/recent?limit=50")]);
    const qs = $("queues"); qs.replaceChildren();
    figure(qs, "queued (depth)", q.depth); figure(qs, "in flight", q.in_flight); figure(qs, "dead letters", q.dead_letters);
    figure(qs, "queue", q.queue);
    const ts = $("throughput"); ts.replaceChildren();
    figure(ts, "succeeded", t.succeeded); figure(ts, "failed", t.failed); figure(ts, "cancelled", t.cancelled);
    figure(ts, "failure rate", t.failure_rate == null ? "-" : (100 * t.failure_rate).toFixed(1) + " %");
    const wb = $("workers"); wb.replaceChildren();
    for (const x of w.workers) {
      const tr = document.createElement("tr");
      cell(tr, x.id); cell(tr, x.host);
      const st = cell(tr, x.live ? "live" : "silent"); st.className = x.live ? "live" : "dead";
      cell(tr, x.concurrency); cell(tr, x.jobs_in_hand); cell(tr, x.uptime_seconds); cell(tr, x.last_heartbeat);
      wb.appendChild(tr);
    }
    const jb = $("jobs"); jb.replaceChildren();
    for (const x of j.jobs) {
      const tr = document.createElement("tr");
      cell(tr, x.id); cell(tr, x.filename); cell(tr, x.dead_letter ? "failed (dead letter)" : x.status);
      cell(tr, x.stage); cell(tr, x.attempts + " / " + x.max_attempts);
      cell(tr, x.queue_wait_seconds); cell(tr, x.run_seconds);
      cell(tr, x.stages ? x.stages.map((s) => s.stage + " " + (s.seconds == null ? "…" : s.seconds)).join(", ") : "not observed");
      cell(tr, x.error_code ? x.error_code + ": " + (x.error || "") : "");
      const actions = cell(tr, "");
      if (x.status === "failed") { button(actions, "Retry", () => call("/jobs/" + x.id + "/retry", "POST")); }
      if (x.status === "queued" || x.status === "running") { button(actions, "Cancel", () => call("/jobs/" + x.id + "/cancel", "POST")); }
      jb.appendChild(tr);
    }
    say("Updated " + new Date().toLocaleTimeString());
  } catch (e) { say(e.message, true); }
}
$("auth").addEventListener("submit", (ev) => { ev.preventDefault(); sessionStorage.setItem("doxin-monitor-token", $("token").value.trim()); $("token").value = ""; refresh(); });
$("forget").addEventListener("click", () => { sessionStorage.removeItem("doxin-monitor-token"); say("Token forgotten."); });
$("requeue").addEventListener("click", async () => { try { const r = await call("/dead-letters/requeue", "POST"); say("Requeued " + r.requeued + " dead letter(s)"); refresh(); } catch (e) { say(e.message, true); } });
refresh();
setInterval(refresh, 5000);
"#;

const TAIL: &str = "</script>\n</body></html>\n";

/// The page and its policy, built once.
static PAGE: LazyLock<(String, String)> = LazyLock::new(|| {
    let page = format!("{HEAD}{STYLE}{BODY}{SCRIPT}{TAIL}");
    let csp = format!(
        "default-src 'none'; script-src '{}'; style-src '{}'; connect-src 'self'; \
         base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
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

pub async fn page() -> impl IntoResponse {
    let (page, csp) = &*PAGE;
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (header::CONTENT_SECURITY_POLICY, csp.as_str()),
        ],
        page.as_str(),
    )
}
