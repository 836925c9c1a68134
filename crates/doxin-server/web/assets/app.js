// DoxIn's page script: progressive enhancement only (every page works without it).
// - amounts and dates formatted for the reader's locale (Intl);
// - the theme switch takes effect at once (the form still posts, to remember it);
// - selects marked data-autosubmit submit their form on change;
// - the navigation's unread-jobs badge follows the live job events (/ws).
"use strict";
document.documentElement.classList.add("js");

const locale = navigator.languages && navigator.languages.length ? navigator.languages[0] : navigator.language;

function formatAmounts(root) {
  for (const el of root.querySelectorAll("data.money")) {
    const n = Number(el.value);
    if (!Number.isFinite(n)) continue;
    const cur = el.dataset.currency;
    try {
      el.textContent = cur
        ? new Intl.NumberFormat(locale, { style: "currency", currency: cur }).format(n)
        : new Intl.NumberFormat(locale, { minimumFractionDigits: 2, maximumFractionDigits: 2 }).format(n);
    } catch (_) { /* an unknown currency code keeps the server's text */ }
  }
  for (const el of root.querySelectorAll("time[datetime]")) {
    const v = el.getAttribute("datetime");
    const d = new Date(v.length === 10 ? v + "T00:00:00" : v);
    if (Number.isNaN(d.getTime())) continue;
    const opts = v.length === 10 ? { dateStyle: "medium" } : { dateStyle: "medium", timeStyle: "short" };
    el.textContent = new Intl.DateTimeFormat(locale, opts).format(d);
  }
}
window.doxinFormat = formatAmounts;

function csrf() { return document.body.dataset.csrf || ""; }
window.doxinCsrf = csrf;

/** Says `text` to screen readers through the page's live region. */
function announce(text) {
  const live = document.getElementById("live");
  if (live) { live.textContent = ""; setTimeout(() => { live.textContent = text; }, 50); }
}
window.doxinAnnounce = announce;

document.addEventListener("DOMContentLoaded", () => {
  formatAmounts(document);

  for (const sel of document.querySelectorAll("select[data-autosubmit]")) {
    sel.addEventListener("change", () => sel.form.requestSubmit());
  }

  const toggle = document.getElementById("theme-toggle");
  if (toggle) {
    toggle.addEventListener("click", (e) => {
      e.preventDefault();
      const html = document.documentElement;
      const dark = html.dataset.theme === "dark" ||
        (!html.dataset.theme && matchMedia("(prefers-color-scheme: dark)").matches);
      const next = dark ? "light" : "dark";
      html.dataset.theme = next;
      toggle.value = dark ? "dark" : "light";
      toggle.setAttribute("aria-label", dark ? "Use dark theme" : "Use light theme");
      const body = new URLSearchParams({ theme: next, next: "/" });
      fetch("/theme", { method: "POST", body, redirect: "manual", credentials: "same-origin" });
    });
  }

  const badge = document.getElementById("unread");
  if (badge && document.body.dataset.csrf && "WebSocket" in window) {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    try {
      const ws = new WebSocket(`${proto}//${location.host}/ws`);
      ws.addEventListener("message", (m) => {
        let ev; try { ev = JSON.parse(m.data); } catch (_) { return; }
        // A job that ended is unread until its owner looks at the jobs page.
        if (["job.completed", "job.failed"].includes(ev.event) && !document.getElementById("jobs-table")) {
          const n = Number(badge.dataset.count || 0) + 1;
          badge.dataset.count = String(n);
          badge.hidden = false;
          badge.lastChild.textContent = String(n);
        }
        document.dispatchEvent(new CustomEvent("doxin:job", { detail: ev }));
      });
      window.doxinSocket = ws;
    } catch (_) { /* live updates are a nicety */ }
  }
});
