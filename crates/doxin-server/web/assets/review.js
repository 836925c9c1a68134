// Review page (/review/{id}): field boxes highlighted from the form, line totals as you type,
// saving in place, and keyboard shortcuts. Progressive enhancement only: without this script
// every button is a plain form post.
//
// Stable selectors the browser tests use — keep them exactly:
//   page images            .page img
//   field boxes            svg rect[data-field="<field name>"]  (the highlighted one: class "hot")
//   field inputs           name = the field name, e.g. input[name="gross_amount"]
//   findings               ul#findings > li.finding[data-code="<rule>"]  (no li.finding when none remain)
//   buttons                #save, #approve, #reject, #approve-next
//   shortcuts overlay      dialog#shortcuts  (opened with "?")
"use strict";
(() => {
  const form = document.getElementById("review-form");
  if (!form) return;
  const doc = document.getElementById("doc");
  const reduceMotion = matchMedia("(prefers-reduced-motion: reduce)").matches;
  const say = (t) => window.doxinAnnounce && window.doxinAnnounce(t);
  const fieldInputs = () => [...form.querySelectorAll("[data-field-input]")];
  const esc = (s) => (window.CSS && CSS.escape ? CSS.escape(s) : s.replace(/["\\]/g, "\\$&"));

  // --- Highlights -------------------------------------------------------------------------
  function scrollToBox(rect) {
    const svg = rect.ownerSVGElement;
    if (!svg || !doc) return;
    const vb = svg.viewBox.baseVal;
    const page = svg.getBoundingClientRect();
    if (!vb || !vb.height || !page.height) return;
    const y = (Number(rect.getAttribute("y")) / vb.height) * page.height;
    const x = (Number(rect.getAttribute("x")) / vb.width) * page.width;
    const pane = doc.getBoundingClientRect();
    const top = doc.scrollTop + (page.top - pane.top) + y - doc.clientHeight / 3;
    const left = doc.scrollLeft + (page.left - pane.left) + x - doc.clientWidth / 3;
    doc.scrollTo({ top: Math.max(0, top), left: Math.max(0, left), behavior: reduceMotion ? "auto" : "smooth" });
  }

  function highlight(name, scroll) {
    for (const r of document.querySelectorAll("svg rect.hot")) r.classList.remove("hot");
    for (const row of form.querySelectorAll(".field-row.hot")) row.classList.remove("hot");
    if (!name) return;
    const row = form.querySelector(`.field-row[data-field="${esc(name)}"]`);
    if (row) row.classList.add("hot");
    const rects = document.querySelectorAll(`svg rect[data-field="${esc(name)}"]`);
    for (const r of rects) {
      r.classList.add("hot");
      // Drawn last, so the highlighted box is on top of its neighbours.
      r.parentNode.appendChild(r);
    }
    if (scroll && rects.length) scrollToBox(rects[0]);
  }

  form.addEventListener("focusin", (e) => {
    const row = e.target.closest(".field-row");
    if (row) highlight(row.dataset.field, true);
  });
  let hoverTimer = 0;
  form.addEventListener("mouseover", (e) => {
    const row = e.target.closest(".field-row");
    if (!row) return;
    clearTimeout(hoverTimer);
    hoverTimer = setTimeout(() => highlight(row.dataset.field, true), 120);
  });
  form.addEventListener("mouseleave", () => {
    clearTimeout(hoverTimer);
    const focused = document.activeElement && document.activeElement.closest && document.activeElement.closest(".field-row");
    highlight(focused ? focused.dataset.field : null, false);
  });
  // A box clicked on the page takes you to its field.
  for (const r of document.querySelectorAll(".page svg rect[data-field]")) {
    r.addEventListener("click", () => {
      const input = form.querySelector(`[name="${esc(r.dataset.field)}"]`);
      if (input) input.focus();
    });
  }

  // --- Line totals ------------------------------------------------------------------------
  /** A number as typed: "1.234,50", "1,234.50", "12,5". NaN when it is not one. */
  function num(text) {
    let t = String(text || "").replace(/[\s'\u00a0]/g, "");
    if (!t) return NaN;
    const c = t.lastIndexOf(","), d = t.lastIndexOf(".");
    if (c > -1 && d > -1) t = c > d ? t.replace(/\./g, "").replace(",", ".") : t.replace(/,/g, "");
    else if (c > -1) t = (t.length - c - 1 === 3 && c > 0) ? t.replace(/,/g, "") : t.replace(",", ".");
    return Number(t);
  }
  const cell = (tr, key) => tr.querySelector(`input[name$=".${key}"]`);
  function recomputeLines(changed) {
    const rows = [...form.querySelectorAll("tr[data-line]")];
    if (!rows.length) return;
    let sum = 0, complete = true;
    for (const tr of rows) {
      const q = cell(tr, "quantity"), p = cell(tr, "unit_price"), a = cell(tr, "line_amount");
      if (changed && (changed === q || changed === p) && a) {
        const qv = num(q.value), pv = num(p.value);
        if (Number.isFinite(qv) && Number.isFinite(pv)) {
          a.value = (Math.round(qv * pv * 100) / 100).toFixed(2);
          a.classList.add("computed");
        }
      }
      const av = a ? num(a.value) : NaN;
      if (Number.isFinite(av)) sum += av; else complete = false;
    }
    const out = document.getElementById("line-sum-value");
    const box = document.getElementById("line-sum");
    if (!out || !box) return;
    box.hidden = false;
    out.textContent = sum.toFixed(2) + (complete ? "" : " (some lines have no amount)");
    const net = form.querySelector('input[name="net_amount"]');
    const nv = net ? num(net.value) : NaN;
    const off = Number.isFinite(nv) && Math.abs(nv - sum) > 0.01;
    box.classList.toggle("error-text", off);
    box.dataset.mismatch = off ? "true" : "false";
    if (off) out.textContent += ` — differs from the net total ${nv.toFixed(2)}`;
  }
  form.addEventListener("input", (e) => {
    if (e.target.closest("tr[data-line]") || e.target.name === "net_amount") recomputeLines(e.target);
  });
  recomputeLines(null);

  // --- Saving in place --------------------------------------------------------------------
  function replaceFrom(fresh, selector) {
    const now = document.querySelector(selector), next = fresh.querySelector(selector);
    if (now && next) now.replaceWith(next);
  }
  async function save() {
    const body = new URLSearchParams(new FormData(form));
    body.set("action", "save");
    const btn = document.getElementById("save");
    btn.disabled = true;
    try {
      // `form.action` would be the buttons named "action", not the attribute.
      const resp = await fetch(form.getAttribute("action"), { method: "POST", body, credentials: "same-origin" });
      const html = await resp.text();
      const fresh = new DOMParser().parseFromString(html, "text/html");
      if (!fresh.getElementById("review-form")) { location.reload(); return; }
      replaceFrom(fresh, "#findings");
      replaceFrom(fresh, "#history-list");
      for (const old of document.querySelectorAll("main .alert")) old.remove();
      const alerts = [...fresh.querySelectorAll("main .alert")];
      const h1 = document.querySelector("main h1");
      for (const a of alerts.reverse()) h1.after(a);
      replaceFrom(fresh, "main h1 .status");
      if (resp.ok) {
        // The saved values as the server reads them (amounts normalised), with their new
        // confidence and source.
        for (const row of fresh.querySelectorAll(".field-row[data-field]")) {
          const mine = form.querySelector(`.field-row[data-field="${esc(row.dataset.field)}"]`);
          if (!mine) continue;
          mine.classList.toggle("has-finding", row.classList.contains("has-finding"));
          const meta = row.querySelector(".meta"), myMeta = mine.querySelector(".meta");
          if (meta && myMeta) myMeta.replaceWith(meta);
          const input = row.querySelector("[data-field-input]"), myInput = mine.querySelector("[data-field-input]");
          if (input && myInput && myInput !== document.activeElement) myInput.value = input.value;
          if (input && myInput) {
            if (input.hasAttribute("aria-invalid")) {
              myInput.setAttribute("aria-invalid", "true");
              myInput.setAttribute("aria-describedby", input.getAttribute("aria-describedby"));
            } else {
              myInput.removeAttribute("aria-invalid");
              myInput.removeAttribute("aria-describedby");
            }
          }
        }
        window.doxinFormat && window.doxinFormat(document);
        const n = document.querySelectorAll("#findings li.finding").length;
        say(n ? `Saved. ${n} finding${n === 1 ? "" : "s"} remain.` : "Saved. No findings remain.");
        history.replaceState(null, "", location.pathname);
      } else {
        const err = fresh.querySelector(".alert-error");
        say(err ? err.textContent : "Not saved.");
      }
    } catch (_) {
      form.requestSubmit(document.getElementById("save"));
      return;
    } finally {
      btn.disabled = false;
    }
  }
  form.addEventListener("submit", (e) => {
    const by = e.submitter;
    if (by && by.id === "save" && window.fetch && window.DOMParser && !form.dataset.plain) {
      e.preventDefault();
      save();
    }
    if (by && by.id === "reject") {
      const reason = document.getElementById("reason");
      if (reason && !reason.value.trim()) {
        e.preventDefault();
        reason.focus();
        say("Say why the invoice is rejected, then press Reject again.");
      }
    }
    if (by && by.id === "override") {
      const reason = document.getElementById("override_reason");
      if (reason && !reason.value.trim()) {
        e.preventDefault();
        reason.focus();
        say("Say why you approve despite the findings.");
      }
    }
  });

  // --- Shortcuts --------------------------------------------------------------------------
  const dialog = document.getElementById("shortcuts");
  const help = document.getElementById("help");
  const openHelp = () => { if (dialog && !dialog.open) dialog.showModal(); };
  if (help) help.addEventListener("click", openHelp);
  const press = (id) => { const b = document.getElementById(id); if (b) form.requestSubmit(b); };

  function moveField(step) {
    const list = fieldInputs();
    if (!list.length) return;
    const at = list.indexOf(document.activeElement);
    const from = at === -1 ? (step > 0 ? -1 : 0) : at;
    const next = list[(from + step + list.length) % list.length];
    next.focus();
    if (next.select) next.select();
  }

  document.addEventListener("keydown", (e) => {
    if (e.defaultPrevented) return;
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      press("approve");
      return;
    }
    if (dialog && dialog.open) return;
    const t = e.target;
    const typing = t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName));
    if (typing) {
      if (e.key === "Escape") { t.blur(); highlight(null); }
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    switch (e.key) {
      case "?": e.preventDefault(); openHelp(); break;
      case "j": e.preventDefault(); moveField(1); break;
      case "k": e.preventDefault(); moveField(-1); break;
      case "s": e.preventDefault(); press("save"); break;
      case "a": e.preventDefault(); press("approve"); break;
      case "r": {
        e.preventDefault();
        const reason = document.getElementById("reason");
        if (reason && !reason.value.trim()) { reason.focus(); say("Say why the invoice is rejected, then press Reject."); }
        else press("reject");
        break;
      }
      case "n": if (form.dataset.next) { e.preventDefault(); location.href = form.dataset.next; } break;
      case "p": if (form.dataset.prev) { e.preventDefault(); location.href = form.dataset.prev; } break;
      default: break;
    }
  });
})();
