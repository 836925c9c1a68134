// Helpers of the end-to-end suite (e2e.mjs; a11y.mjs and perf.mjs share pages.mjs instead):
// configuration from the environment scripts/browser-tests.sh sets, the Debian Chromium,
// sign-in, the hand-over file to the other suites (state.json: the accounts, the invoices) and
// SKIP/FAIL bookkeeping. A missing page is a failure unless DOXIN_BROWSER_REQUIRE_ALL=0 (local runs on a
// branch where some pages are not built yet), where it is a loudly reported skip.
import { chromium } from "playwright-core";
import fs from "node:fs";
import path from "node:path";

export const BASE = process.env.DOXIN_BROWSER_BASE_URL || process.env.DOXIN_BASE_URL || "http://127.0.0.1:8405";
export const OUT = process.env.DOXIN_BROWSER_OUT || path.resolve("../../target/browser");
export const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
export const REQUIRE_ALL = process.env.DOXIN_BROWSER_REQUIRE_ALL !== "0";
export const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"];
export const STATE_FILE = path.join(OUT, "state.json");

fs.mkdirSync(OUT, { recursive: true });

export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

export function readState() {
  return JSON.parse(fs.readFileSync(STATE_FILE, "utf8"));
}

export function writeState(s) {
  fs.writeFileSync(STATE_FILE, JSON.stringify(s, null, 2));
}

/** Results of one suite: steps passed, skipped (a page not built) and failed. */
export class Report {
  constructor(suite) {
    this.suite = suite;
    this.passed = [];
    this.skipped = [];
    this.failed = [];
    this.t0 = Date.now();
  }
  ok(what) {
    this.passed.push(what);
    console.log(`  ok    ${what}`);
  }
  fail(what, why) {
    this.failed.push(`${what}: ${why}`);
    console.log(`  FAIL  ${what}: ${why}`);
  }
  /** A page that does not exist yet: a failure unless REQUIRE_ALL is off. */
  missing(what, why) {
    if (REQUIRE_ALL) return this.fail(what, `${why} (set DOXIN_BROWSER_REQUIRE_ALL=0 to skip)`);
    this.skipped.push(`${what}: ${why}`);
    console.log(`  SKIP  ${what}: ${why}  <-- NOT TESTED (DOXIN_BROWSER_REQUIRE_ALL=0)`);
  }
  finish() {
    const secs = ((Date.now() - this.t0) / 1000).toFixed(1);
    console.log(`\n${this.suite}: ${this.passed.length} passed, ${this.skipped.length} skipped, ${this.failed.length} failed (${secs} s)`);
    if (this.skipped.length) {
      console.log(`${this.suite}: SKIPPED (pages missing):`);
      for (const s of this.skipped) console.log(`  - ${s}`);
    }
    if (this.failed.length) {
      console.log(`${this.suite}: FAILURES:`);
      for (const f of this.failed) console.log(`  - ${f}`);
    }
    fs.writeFileSync(
      path.join(OUT, `${this.suite}.json`),
      JSON.stringify({ passed: this.passed, skipped: this.skipped, failed: this.failed, seconds: Number(secs) }, null, 2),
    );
    process.exitCode = this.failed.length ? 1 : 0;
  }
}

/** Signs in through the form at /login; throws when it does not land outside /login. */
export async function signIn(page, email, password) {
  await page.goto(`${BASE}/login`);
  await page.fill("#email", email);
  await page.fill("#password", password);
  await Promise.all([page.waitForNavigation(), page.click("button.primary")]);
  if (new URL(page.url()).pathname === "/login") {
    const msg = await page.locator("main").innerText().catch(() => "");
    throw new Error(`sign-in as ${email} stayed on /login: ${msg.slice(0, 300)}`);
  }
}

/** A new context signed in as `who` ({email, password}). */
export async function signedInContext(browser, who, options = {}) {
  const context = await browser.newContext({ baseURL: BASE, ...options });
  const page = await context.newPage();
  await signIn(page, who.email, who.password);
  await page.close();
  return context;
}

/** Does the page exist? GET with the context's cookies; 404 (and 405) mean not built. */
export async function exists(context, pathName) {
  const r = await context.request.get(`${BASE}${pathName}`, { maxRedirects: 0 });
  return r.status() !== 404 && r.status() !== 405;
}

/** The session's CSRF token (the doxin_csrf cookie), for API calls made with the cookie. */
export async function csrf(context) {
  const c = (await context.cookies(BASE)).find((c) => c.name === "doxin_csrf");
  return c ? c.value : "";
}

/** An API call with the context's session cookie and CSRF header; returns {status, body}. */
export async function api(context, method, pathName, data) {
  const r = await context.request.fetch(`${BASE}${pathName}`, {
    method,
    headers: { "X-CSRF-Token": await csrf(context), "Content-Type": "application/json" },
    data: data === undefined ? undefined : JSON.stringify(data),
  });
  let body = null;
  try { body = await r.json(); } catch (_) { body = await r.text().catch(() => null); }
  return { status: r.status(), body };
}

export async function waitFor(what, check, ms = 60000, every = 300) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try {
      last = await check();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, every));
  }
  throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.message : JSON.stringify(last)})`);
}
