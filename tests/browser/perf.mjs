// Figures, not assertions (except one): bytes transferred per page on a first visit (every
// response the page loads, headers included as the network counts them; document images under
// /api/v1/invoices/*/pages/ excepted; goal ≤ 150 KB), and Lighthouse 12.2.3's accessibility
// and performance scores (desktop preset) of the dashboard, invoices and review pages signed
// in, through the session cookie. Prints a table and writes target/browser/figures.json. Fails
// only when an accessibility score is below 90, so regressions show.
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import lighthouse from "lighthouse";
import desktopConfig from "lighthouse/core/config/desktop-config.js";
import { BASE, OUT, Report, launch, pageList, prepare, signIn } from "./pages.mjs";

const GOAL_BYTES = 150 * 1024;
const MIN_A11Y = 90;
const DOCUMENT_IMAGE = /\/api\/v1\/invoices\/[^/]+\/pages\//;

const report = new Report("perf");
const who = await prepare("perf");
const pages = pageList(who);

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on("error", reject);
  });
}

const port = await freePort();
const browser = await launch([`--remote-debugging-port=${port}`]);
const figures = { base: BASE, measured_at: new Date().toISOString(), chromium: browser.version(), goal_bytes: GOAL_BYTES, pages: {}, lighthouse: {} };

// One sign-in per account (sign-ins are rate limited per address), its session reused.
const sessions = new Map();
async function session(creds) {
  if (!creds) return undefined;
  if (!sessions.has(creds.email)) {
    const ctx = await browser.newContext();
    await signIn(await ctx.newPage(), creds);
    sessions.set(creds.email, await ctx.storageState());
    await ctx.close();
  }
  return sessions.get(creds.email);
}

/** Bytes of one page view in a fresh context (cold cache), signed in as `creds` or not. */
async function weigh(creds, p) {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, storageState: await session(creds) });
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.setCacheDisabled", { cacheDisabled: false });
  const urls = new Map();
  let bytes = 0;
  let excluded = 0;
  let requests = 0;
  const byType = {};
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, { url: e.request.url, type: e.type }));
  cdp.on("Network.loadingFinished", (e) => {
    const r = urls.get(e.requestId) || { url: "", type: "Other" };
    if (DOCUMENT_IMAGE.test(r.url)) {
      excluded += e.encodedDataLength;
      return;
    }
    bytes += e.encodedDataLength;
    requests += 1;
    byType[r.type] = (byType[r.type] || 0) + e.encodedDataLength;
  });
  // A first visit: nothing cached from the sign-in's page.
  await cdp.send("Network.clearBrowserCache");
  const res = await page.goto(BASE + p.url, { waitUntil: "networkidle" });
  await page.waitForTimeout(300);
  const status = res ? res.status() : 0;
  await ctx.close();
  return { status, bytes, excluded, requests, byType };
}

try {
  const list = [
    ...pages.public.map((p) => ({ ...p, role: "public", creds: null })),
    ...pages.user.map((p) => ({ ...p, role: "user", creds: who.user })),
    ...pages.admin.map((p) => ({ ...p, role: "admin", creds: who.admin })),
  ];
  for (const p of list) {
    if (!p.url) {
      report.missing(`${p.role} ${p.id}`, "no invoice of that kind to show");
      continue;
    }
    const w = await weigh(p.creds, p);
    if (w.status === 404) {
      report.missing(`${p.id} (${p.url})`, "answers 404: page not built yet?");
      continue;
    }
    if (w.status >= 400) {
      report.fail(`${p.role} ${p.id}`, `${p.url} answered ${w.status}`);
      continue;
    }
    figures.pages[`${p.role}-${p.id}`] = {
      url: p.url, bytes: w.bytes, kb: +(w.bytes / 1024).toFixed(1), requests: w.requests,
      document_images_bytes: w.excluded, by_type: w.byType, within_goal: w.bytes <= GOAL_BYTES,
    };
    report.pass(`${p.role} ${p.id}: ${(w.bytes / 1024).toFixed(1)} KB in ${w.requests} responses${w.excluded ? ` (+ ${(w.excluded / 1024).toFixed(0)} KB document images)` : ""}`);
  }

  // Lighthouse on the same Chromium, through its debugging port, with the user's session.
  const cookie = (await session(who.user)).cookies.map((c) => `${c.name}=${c.value}`).join("; ");
  const targets = [
    { id: "dashboard", url: "/" },
    { id: "invoices", url: "/invoices" },
    { id: "review", url: who.reviewId && `/review/${who.reviewId}` },
  ];
  for (const t of targets) {
    if (!t.url) {
      report.missing(`lighthouse ${t.id}`, "no invoice to review");
      continue;
    }
    const started = Date.now();
    const run = await lighthouse(
      BASE + t.url,
      { port, output: "json", logLevel: "error", onlyCategories: ["accessibility", "performance"], extraHeaders: { Cookie: cookie } },
      desktopConfig,
    );
    const lhr = run.lhr;
    const final = lhr.finalDisplayedUrl || lhr.finalUrl || "";
    if (new URL(final).pathname === "/login") {
      report.fail(`lighthouse ${t.id}`, "Lighthouse was sent to /login: the session cookie did not reach the page");
      continue;
    }
    const score = (c) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
    const audit = (a) => lhr.audits[a]?.numericValue;
    const failing = Object.values(lhr.audits)
      .filter((a) => a.score !== null && a.score < 1 && lhr.categories.accessibility.auditRefs.some((r) => r.id === a.id && r.weight > 0))
      .map((a) => a.id);
    figures.lighthouse[t.id] = {
      url: t.url,
      accessibility: score("accessibility"),
      performance: score("performance"),
      first_contentful_paint_ms: Math.round(audit("first-contentful-paint") || 0),
      largest_contentful_paint_ms: Math.round(audit("largest-contentful-paint") || 0),
      total_blocking_time_ms: Math.round(audit("total-blocking-time") || 0),
      cumulative_layout_shift: +(audit("cumulative-layout-shift") || 0).toFixed(3),
      accessibility_audits_failing: failing,
      seconds: Math.round((Date.now() - started) / 1000),
    };
    const f = figures.lighthouse[t.id];
    const line = `lighthouse ${t.id}: accessibility ${f.accessibility}, performance ${f.performance}${failing.length ? ` (failing: ${failing.join(", ")})` : ""}`;
    if (f.accessibility < MIN_A11Y) report.fail(line, `accessibility below ${MIN_A11Y}`);
    else report.pass(line);
  }
} catch (e) {
  report.fail("perf run", (e && e.stack) || e);
} finally {
  await browser.close();
}

// The table.
console.log("\npage                              KB   responses  goal ≤ 150 KB");
for (const [id, f] of Object.entries(figures.pages)) {
  console.log(`${id.padEnd(30)} ${String(f.kb).padStart(7)} ${String(f.requests).padStart(8)}    ${f.within_goal ? "ok" : "OVER"}`);
}
console.log("\nLighthouse (desktop)   accessibility  performance  FCP ms  LCP ms  TBT ms  CLS");
for (const [id, f] of Object.entries(figures.lighthouse)) {
  console.log(`${id.padEnd(22)} ${String(f.accessibility).padStart(13)} ${String(f.performance).padStart(12)} ${String(f.first_contentful_paint_ms).padStart(7)} ${String(f.largest_contentful_paint_ms).padStart(7)} ${String(f.total_blocking_time_ms).padStart(7)}  ${f.cumulative_layout_shift}`);
}
fs.mkdirSync(OUT, { recursive: true });
fs.writeFileSync(path.join(OUT, "figures.json"), JSON.stringify(figures, null, 2));
console.log(`\nfigures written to ${path.join(OUT, "figures.json")}`);
process.exit(report.done());
