// axe-core on every page of the interface, light and dark, at 1280×800 and 390×844: signed
// out (public pages), as a user and as an admin (the user's pages and every /admin page).
// Fails on any serious or critical violation. Screenshots of every page, every size and
// theme, go to target/browser/screenshots/<role>-<page>-<width>-<theme>.png.
import fs from "node:fs";
import path from "node:path";
import { BASE, HERE, OUT, Report, launch, pageList, prepare, signIn } from "./pages.mjs";

const AXE = path.join(HERE, "node_modules", "axe-core", "axe.min.js");
const SHOTS = path.join(OUT, "screenshots");
const SIZES = [
  { width: 1280, height: 800 },
  { width: 390, height: 844 },
];
const THEMES = ["light", "dark"];

const report = new Report("a11y");
fs.mkdirSync(SHOTS, { recursive: true });
const started = Date.now();
const who = await prepare("a11y");
const pages = pageList(who);
const roles = [
  { role: "public", creds: null, pages: pages.public },
  { role: "user", creds: who.user, pages: pages.user },
  { role: "admin", creds: who.admin, pages: [...pages.user, ...pages.admin] },
];

const browser = await launch();
const absent = new Set(); // pages found missing once, reported once
let checked = 0;
let shots = 0;
try {
  for (const { role, creds, pages: list } of roles) {
    for (const theme of THEMES) {
      for (const size of SIZES) {
        // The scripts axe needs are injected; the pages' CSP (rightly) forbids that.
        const ctx = await browser.newContext({ viewport: size, colorScheme: theme, bypassCSP: true });
        const page = await ctx.newPage();
        page.on("pageerror", (e) => console.log(`        page error on ${page.url()}: ${e.message}`));
        if (creds) await signIn(page, creds);
        for (const p of list) {
          const what = `${role} ${p.id} ${size.width} ${theme}`;
          if (!p.url) {
            if (!absent.has(p.id)) report.missing(`${role} ${p.id}`, "no invoice of that kind to show (uploads failed?)");
            absent.add(p.id);
            continue;
          }
          const res = await page.goto(BASE + p.url, { waitUntil: "load" });
          const status = res ? res.status() : 0;
          if (status === 404) {
            if (!absent.has(p.id)) report.missing(`${p.id} (${p.url})`, "answers 404: page not built yet?");
            absent.add(p.id);
            continue;
          }
          if (status >= 400) {
            report.fail(what, `${p.url} answered ${status}`);
            continue;
          }
          if (creds && new URL(page.url()).pathname === "/login") {
            report.fail(what, `${p.url} sent a signed-in ${role} to /login`);
            continue;
          }
          // Images (the review page's document) loaded, so the screenshot shows them.
          await page.waitForLoadState("networkidle", { timeout: 5_000 }).catch(() => {});
          await page.screenshot({ path: path.join(SHOTS, `${role}-${p.id}-${size.width}-${theme}.png`), fullPage: true });
          shots += 1;
          await page.addScriptTag({ path: AXE });
          const result = await page.evaluate(async () =>
            // eslint-disable-next-line no-undef
            axe.run(document, { resultTypes: ["violations"] }),
          );
          checked += 1;
          const bad = result.violations.filter((v) => v.impact === "serious" || v.impact === "critical");
          const minor = result.violations.filter((v) => !bad.includes(v));
          if (minor.length) {
            console.log(`        note ${what}: ${minor.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`).join(", ")}`);
          }
          if (bad.length) {
            const lines = bad.map((v) => {
              const nodes = v.nodes.slice(0, 4).map((n) => `${n.target.join(" ")}${n.any[0] ? ` — ${n.any[0].message}` : ""}`);
              return `\n          [${v.impact}] ${v.id}: ${v.help} (${v.nodes.length} element(s))\n            ${nodes.join("\n            ")}`;
            });
            report.fail(what, `${p.url}${lines.join("")}`);
          } else {
            report.pass(what);
          }
        }
        await ctx.close();
      }
    }
  }
} catch (e) {
  report.fail("a11y run", (e && e.stack) || e);
} finally {
  await browser.close();
}
console.log(`\n${checked} page views checked by axe-core, ${shots} screenshots in ${SHOTS} (${Math.round((Date.now() - started) / 1000)} s)`);
process.exit(report.done());
