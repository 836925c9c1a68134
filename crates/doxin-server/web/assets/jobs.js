// Jobs page: rows of jobs that are still running follow their events on /ws (the socket
// app.js opens), so progress moves without a reload.
"use strict";
document.addEventListener("doxin:job", (e) => {
  const ev = e.detail || {};
  const row = document.querySelector(`tr[data-job="${ev.job_id}"]`);
  if (!row) return;
  const bar = row.querySelector("progress");
  const state = row.querySelector(".job-state");
  if (ev.event === "job.progress") {
    bar.value = ev.progress || 0;
    state.textContent = `running · ${ev.stage}`;
  } else if (ev.event === "job.completed") {
    bar.value = 100;
    state.textContent = "succeeded";
    const words = { approved: "Approved", needs_review: "Needs review", duplicate: "Duplicate" }[ev.outcome] || "Done";
    const out = row.querySelector(".job-outcome");
    if (ev.invoice_id) {
      const a = document.createElement("a");
      a.href = ev.outcome === "needs_review" ? `/review/${ev.invoice_id}` : `/invoices/${ev.invoice_id}`;
      a.textContent = words;
      out.replaceChildren(a);
    } else {
      out.textContent = words;
    }
    window.doxinAnnounce && window.doxinAnnounce(`A job finished: ${words}`);
  } else if (ev.event === "job.failed") {
    bar.value = 100;
    state.textContent = "failed";
    row.querySelector(".job-outcome").textContent = ev.error || "failed";
  } else if (ev.event === "job.cancelled") {
    bar.value = 100;
    state.textContent = "cancelled";
  }
});
