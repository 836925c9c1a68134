// Shared by a11y.mjs and perf.mjs: configuration from scripts/browser-tests.sh, the Debian
// Chromium, every page of the interface by role, a user of their own with invoices (made
// through the REST API: these suites measure pages, they do not test the flow — e2e.mjs
// does), sign-in, and the SKIP-or-FAIL rule for pages that do not exist yet.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(HERE, "..", "..");
export const BASE = (process.env.DOXIN_BASE_URL || process.env.DOXIN_BROWSER_BASE_URL || "http://127.0.0.1:8401").replace(/\/$/, "");
export const OUT = path.resolve(process.env.DOXIN_BROWSER_OUT || path.join(ROOT, "target", "browser"));
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
/** A missing page fails the run (the default) or is a reported SKIP (`=0`, while pages are built). */
export const REQUIRE_ALL = process.env.DOXIN_BROWSER_REQUIRE_ALL !== "0";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];
const PASSWORD = "Correct-Horse-99-pages";

export function launch(extraArgs = []) {
  return chromium.launch({ executablePath: CHROMIUM, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/** The administrator e2e.mjs created (its hand-over file), else the environment's. */
export function adminCredentials() {
  try {
    const s = JSON.parse(fs.readFileSync(path.join(OUT, "state.json"), "utf8"));
    if (s.admin && s.admin.email && s.admin.password) return { email: s.admin.email, password: s.admin.password };
  } catch (_) { /* no hand-over file: e2e did not run */ }
  return {
    email: process.env.DOXIN_ADMIN_EMAIL || "admin@example.com",
    password: process.env.DOXIN_ADMIN_PASSWORD || "Correct-Horse-99",
  };
}

// ---- the REST API ----

export async function api(method, url, { token, json, form } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form) {
    body = form;
  }
  const r = await fetch(BASE + url, { method, headers, body });
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = text; }
  if (!r.ok) throw new Error(`${method} ${url} answered ${r.status}: ${text.slice(0, 300)}`);
  return data;
}

export async function bearer(email, password) {
  return (await api("POST", "/api/v1/auth/jwt-token", { json: { email, password } })).access_token;
}

/**
 * The admin (set up through the API with DOXIN_SETUP_TOKEN when nobody has yet, so the suite
 * also runs alone), and a user of the suite's own with an approved invoice and one to review.
 */
export async function prepare(label) {
  const admin = adminCredentials();
  let adminToken;
  try {
    adminToken = await bearer(admin.email, admin.password);
  } catch (e) {
    const token = process.env.DOXIN_SETUP_TOKEN;
    if (!token) throw e;
    await api("POST", "/api/v1/auth/setup", {
      json: { setup_token: token, email: admin.email, password: admin.password, display_name: "Ada Admin" },
    });
    adminToken = await bearer(admin.email, admin.password);
  }
  const codes = await api("POST", "/api/v1/admin/access-codes", { token: adminToken, json: { note: label } });
  const user = { email: `${label}-${Date.now()}@example.com`, password: PASSWORD };
  await api("POST", "/api/v1/auth/register", {
    json: { email: user.email, password: user.password, display_name: `${label} user`, access_code: codes.items[0].code },
  });
  const userToken = await bearer(user.email, user.password);
  const ids = { invoiceId: null, reviewId: null };
  const dir = process.env.DOXIN_FILES_DIR;
  if (dir && fs.existsSync(path.join(dir, "manifest.json"))) {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "manifest.json"), "utf8"));
    const form = new FormData();
    for (const m of manifest) {
      form.append("file", new Blob([fs.readFileSync(path.join(dir, m.file))], { type: "application/pdf" }), m.file);
    }
    form.append("auto_save", "true");
    const up = await api("POST", "/api/v1/invoices/upload", { token: userToken, form });
    for (const j of up.jobs) {
      const deadline = Date.now() + 120_000;
      for (;;) {
        const job = await api("GET", `/api/v1/jobs/${j.job_id}`, { token: userToken });
        if (job.finished_at || ["succeeded", "completed", "failed", "cancelled", "dead"].includes(job.status)) break;
        if (Date.now() > deadline) throw new Error(`job ${j.job_id} still ${job.status} after 120 s`);
        await new Promise((r) => setTimeout(r, 400));
      }
    }
    const list = await api("GET", "/api/v1/invoices?limit=50", { token: userToken });
    const items = list.items || list.invoices || list;
    const review = items.find((i) => i.status === "needs_review");
    const done = items.find((i) => i.status !== "needs_review");
    ids.reviewId = review ? review.id : null;
    ids.invoiceId = done ? done.id : items[0] && items[0].id;
  }
  return { admin, user, ...ids };
}

export async function signIn(page, { email, password }) {
  await page.goto(BASE + "/login", { waitUntil: "load" });
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation({ waitUntil: "load" }), page.click("form:has(#password) button[type=submit]")]);
  if (new URL(page.url()).pathname === "/login") throw new Error(`sign-in as ${email} stayed on /login`);
}

/** Every page of the interface, by who sees it; `id` names screenshots and figures. */
export function pageList({ invoiceId, reviewId }) {
  return {
    public: [
      { id: "login", url: "/login" },
      { id: "register", url: "/register" },
      { id: "request-access", url: "/request-access" },
      { id: "setup", url: "/setup" },
    ],
    user: [
      { id: "dashboard", url: "/" },
      { id: "upload", url: "/upload" },
      { id: "jobs", url: "/jobs" },
      { id: "review-queue", url: "/review" },
      { id: "review", url: reviewId && `/review/${reviewId}` },
      { id: "invoices", url: "/invoices" },
      { id: "invoice-detail", url: invoiceId && `/invoices/${invoiceId}` },
      { id: "companies", url: "/companies" },
      { id: "reports", url: "/reports" },
      { id: "analytics", url: "/analytics" },
      { id: "workspace", url: "/workspace" },
      { id: "account", url: "/account" },
    ],
    admin: [
      { id: "admin-users", url: "/admin/users" },
      { id: "admin-access-codes", url: "/admin/access-codes" },
      { id: "admin-access-requests", url: "/admin/access-requests" },
      { id: "admin-audit", url: "/admin/audit" },
      { id: "admin-usage", url: "/admin/usage" },
      { id: "admin-overview", url: "/admin" },
    ],
  };
}

// ---- results ----

export class Report {
  constructor(name) {
    this.name = name;
    this.rows = [];
    console.log(`\n### ${name} against ${BASE} (missing pages ${REQUIRE_ALL ? "FAIL" : "are SKIPPED"})`);
  }
  pass(what) { this.rows.push({ s: "PASS", what }); console.log(`  PASS  ${what}`); }
  fail(what, why) { this.rows.push({ s: "FAIL", what, why: String(why) }); console.log(`  FAIL  ${what}: ${why}`); }
  /** A page that does not exist: FAIL when DOXIN_BROWSER_REQUIRE_ALL is on, else SKIP. */
  missing(what, why) {
    if (REQUIRE_ALL) return this.fail(what, `${why} (DOXIN_BROWSER_REQUIRE_ALL=0 skips missing pages)`);
    this.rows.push({ s: "SKIP", what, why });
    console.log(`  SKIP  ${what}: ${why}`);
  }
  /** Prints the summary; returns the exit status. */
  done() {
    const n = (s) => this.rows.filter((r) => r.s === s).length;
    console.log(`\n${this.name}: ${n("PASS")} passed, ${n("FAIL")} failed, ${n("SKIP")} skipped`);
    for (const r of this.rows.filter((x) => x.s !== "PASS")) console.log(`  ${r.s}  ${r.what}: ${(r.why || "").split("\n")[0]}`);
    return n("FAIL") ? 1 : 0;
  }
}
