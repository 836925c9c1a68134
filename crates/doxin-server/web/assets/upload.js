// Upload page: drag and drop (files or a folder), one request per file to the API, and a
// progress bar per file fed by the upload itself and then by the job's events on /ws.
"use strict";
(() => {
  const form = document.getElementById("upload-form");
  if (!form) return;
  const drop = document.getElementById("drop");
  const input = document.getElementById("files");
  const folder = document.getElementById("folder");
  const list = document.getElementById("upload-list");
  const section = document.getElementById("uploads");
  for (const el of document.querySelectorAll(".js-only")) el.hidden = false;

  const rows = new Map(); // job id -> row
  let socket = null;
  const pending = [];

  function ensureSocket() {
    if (socket) return socket;
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    socket = new WebSocket(`${proto}//${location.host}/ws`);
    socket.addEventListener("open", () => {
      while (pending.length) subscribe(pending.shift());
    });
    socket.addEventListener("message", (m) => {
      let ev; try { ev = JSON.parse(m.data); } catch (_) { return; }
      const row = rows.get(ev.job_id || ev.id);
      if (row) update(row, ev);
    });
    socket.addEventListener("close", () => { socket = null; });
    return socket;
  }

  function subscribe(jobId) {
    const ws = ensureSocket();
    if (ws.readyState !== WebSocket.OPEN) { pending.push(jobId); return; }
    ws.send(JSON.stringify({ action: "subscribe", jobs: [{ job_id: jobId }] }));
  }

  const stageNames = {
    store: "storing", sniff: "reading the file", extract: "reading the text",
    ocr: "recognising text", llm: "asking the language model", validate: "checking the sums",
    dedupe: "looking for duplicates", save: "saving",
  };

  function addRow(name) {
    section.hidden = false;
    const li = document.createElement("li");
    const id = "up-" + Math.random().toString(36).slice(2);
    li.innerHTML = `<span class="name"></span><progress max="100" value="0" id="${id}"></progress><span class="state" aria-live="polite"></span><span class="link"></span>`;
    li.querySelector(".name").textContent = name;
    li.querySelector("progress").setAttribute("aria-label", `Progress of ${name}`);
    li.dataset.name = name;
    list.appendChild(li);
    return li;
  }

  function setState(row, pct, text, cls) {
    const bar = row.querySelector("progress");
    if (pct !== null) bar.value = pct;
    const st = row.querySelector(".state");
    st.textContent = text;
    st.className = "state" + (cls ? " " + cls : "");
    row.dataset.progress = String(bar.value);
  }

  function update(row, ev) {
    const name = row.dataset.name;
    const kind = ev.event;
    if (kind === "job.progress" || (kind === "job.snapshot" && ["queued", "running"].includes(ev.status))) {
      const pct = Math.max(10, Number(ev.progress || 0));
      setState(row, pct, stageNames[ev.stage] || ev.stage || "working");
    } else if (kind === "job.completed" || (kind === "job.snapshot" && ev.status === "succeeded")) {
      const invoice = ev.invoice_id || (ev.result && ev.result.invoice_id);
      const outcome = ev.outcome || (ev.result && ev.result.outcome) || "approved";
      const words = { approved: "read and approved", needs_review: "read — needs review", duplicate: "a duplicate of an earlier invoice" }[outcome] || "done";
      setState(row, 100, words, outcome === "approved" ? "ok" : "warn");
      row.dataset.outcome = outcome;
      if (invoice) {
        const a = document.createElement("a");
        a.href = outcome === "needs_review" ? `/review/${invoice}` : `/invoices/${invoice}`;
        a.textContent = outcome === "needs_review" ? "Review it" : "Open it";
        row.querySelector(".link").replaceChildren(a);
      }
      window.doxinAnnounce && window.doxinAnnounce(`${name}: ${words}`);
    } else if (kind === "job.failed" || (kind === "job.snapshot" && ev.status === "failed")) {
      setState(row, 100, "failed: " + (ev.error || "unknown error"), "error-text");
      row.dataset.outcome = "failed";
      window.doxinAnnounce && window.doxinAnnounce(`${name} failed: ${ev.error || ""}`);
    } else if (kind === "job.cancelled" || (kind === "job.snapshot" && ev.status === "cancelled")) {
      setState(row, 100, "cancelled", "error-text");
      row.dataset.outcome = "cancelled";
    }
  }

  function send(file) {
    const name = file.webkitRelativePath || file.name;
    const row = addRow(name);
    setState(row, 0, "uploading");
    const data = new FormData();
    data.append("file", file, file.name);
    data.append("auto_save", document.getElementById("auto_save").checked ? "true" : "false");
    const t = document.getElementById("confidence_threshold").value;
    if (t) data.append("confidence_threshold", t);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/v1/invoices/upload");
    xhr.setRequestHeader("X-CSRF-Token", window.doxinCsrf());
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) setState(row, Math.round((e.loaded / e.total) * 10), "uploading");
    });
    xhr.addEventListener("load", () => {
      let body = {}; try { body = JSON.parse(xhr.responseText); } catch (_) { /* not JSON */ }
      if (xhr.status === 202 && body.jobs && body.jobs.length) {
        const job = body.jobs[0].job_id;
        rows.set(job, row);
        row.dataset.job = job;
        setState(row, 10, "waiting");
        subscribe(job);
      } else {
        const why = (body.rejected && body.rejected[0] && body.rejected[0].detail) || body.detail || `the server answered ${xhr.status}`;
        setState(row, 0, "refused: " + why, "error-text");
        row.dataset.outcome = "refused";
        window.doxinAnnounce && window.doxinAnnounce(`${name} was refused: ${why}`);
      }
    });
    xhr.addEventListener("error", () => setState(row, 0, "the connection failed; try again", "error-text"));
    xhr.send(data);
  }

  function sendAll(files) { for (const f of files) send(f); }

  form.addEventListener("submit", (e) => {
    e.preventDefault();
    sendAll(input.files);
    if (folder) sendAll(folder.files);
    input.value = "";
    if (folder) folder.value = "";
  });
  input.addEventListener("change", () => { sendAll(input.files); input.value = ""; });
  if (folder) folder.addEventListener("change", () => { sendAll(folder.files); folder.value = ""; });

  async function filesOf(items) {
    const out = [];
    async function walk(entry) {
      if (entry.isFile) {
        out.push(await new Promise((res, rej) => entry.file(res, rej)));
      } else if (entry.isDirectory) {
        const reader = entry.createReader();
        for (;;) {
          const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
          if (!batch.length) break;
          for (const e of batch) await walk(e);
        }
      }
    }
    for (const item of items) {
      const entry = item.webkitGetAsEntry && item.webkitGetAsEntry();
      if (entry) await walk(entry);
      else if (item.getAsFile && item.getAsFile()) out.push(item.getAsFile());
    }
    return out;
  }

  for (const type of ["dragenter", "dragover"]) {
    drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add("over"); });
  }
  for (const type of ["dragleave", "drop"]) {
    drop.addEventListener(type, () => drop.classList.remove("over"));
  }
  drop.addEventListener("drop", async (e) => {
    e.preventDefault();
    const items = e.dataTransfer.items;
    if (items && items.length && items[0].webkitGetAsEntry) sendAll(await filesOf([...items]));
    else sendAll(e.dataTransfer.files);
  });
})();
