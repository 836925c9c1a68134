// Reports page: rows of reports still being prepared follow their job's events on /ws (the
// socket app.js opens): progress, then the download links once the files are ready. A report
// can finish before the socket is open, so pending rows are also asked about every few
// seconds until none is left.
"use strict";
(() => {
  const pending = () => [...document.querySelectorAll('tr[data-report][data-status="queued"], tr[data-report][data-status="running"]')];

  function show(row, report) {
    const state = row.querySelector(".report-state");
    row.dataset.status = report.status;
    if (report.status === "succeeded") {
      state.textContent = "succeeded";
      const links = (report.files || []).map((f) => {
        const a = document.createElement("a");
        a.href = f.download_url;
        a.download = f.filename;
        a.textContent = String(f.format).toUpperCase();
        return a;
      });
      row.querySelector(".report-files")
        .replaceChildren(...links.flatMap((a, i) => (i ? [document.createTextNode(" · "), a] : [a])));
      window.doxinAnnounce && window.doxinAnnounce(`The report ${report.title} is ready`);
    } else if (report.status === "failed" || report.status === "cancelled") {
      state.textContent = `${report.status}${report.error ? `: ${report.error}` : ""}`;
    } else {
      state.textContent = `${report.status}${report.progress != null ? ` · ${report.progress} %` : ""}`;
    }
  }

  async function refresh(row) {
    const res = await fetch(`/api/v1/reports/${row.dataset.report}`, { credentials: "same-origin" });
    if (res.ok) show(row, await res.json());
  }

  document.addEventListener("doxin:job", (e) => {
    const ev = e.detail || {};
    const row = ev.job_id && document.querySelector(`tr[data-job="${ev.job_id}"]`);
    if (!row) return;
    if (ev.event === "report.progress") {
      row.querySelector(".report-state").textContent = `running · ${ev.progress || 0} %`;
    } else if (["report.completed", "job.failed", "job.cancelled"].includes(ev.event)) {
      refresh(row);
    }
  });

  const timer = setInterval(() => {
    const rows = pending();
    if (!rows.length) { clearInterval(timer); return; }
    rows.forEach(refresh);
  }, 3000);
})();
