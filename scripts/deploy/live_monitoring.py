#!/usr/bin/env python3
"""The monitoring configuration against running DoxIn processes (issue 15).

    live_monitoring.py --bin target/debug/doxin --database-url postgres://… --redis-url redis://…

Starts on PostgreSQL and Redis: `doxin serve --no-worker`, two `doxin worker`s with their own
metrics listeners, `doxin monitor` (when the binary has it), the Debian exporters that are
installed (postgres, redis, node), a local server speaking the OpenAI Chat Completions wire
format (so workers in hybrid mode make real model requests), and the real Prometheus with
deploy/monitoring's alert rules and a scrape configuration for these local targets (the same
jobs, credentials and paths as deploy/monitoring/prometheus.yml, static targets instead of
Docker DNS). Then, after a batch of uploads (one document's model request is refused by the
provider, one has totals that do not add up):

- through Prometheus' HTTP API, `up` is 1 for every target;
- every expression of every Grafana panel and alert rule returns a series. An alert rule's
  threshold comparison is taken off first (`max(doxin_workers_live) < 1` → `max(…)`): the
  question is whether the signal exists, not whether it alarms right now. Expressions over an
  exporter that is not installed are listed as skipped, never silently;
- with `--alertmanager`: the real Alertmanager with deploy/monitoring/alertmanager.yml (its
  receiver pointed at this API, shorter group waits), the workers are stopped, the no-live-
  workers rule fires (its `for:` shortened for the test), the alert arrives at DoxIn's webhook
  and `GET /api/v1/admin/alerts` lists it; an unsigned webhook call is refused with 401.

Exit 0 when everything holds; prints what did not.
"""

import argparse
import glob
import http.server
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MON = ROOT / "deploy" / "monitoring"
EXPORTER_METRICS = ("pg_", "redis_", "node_")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def call(method, url, token=None, body=None, headers=None, timeout=30):
    data = None
    hdrs = dict(headers or {})
    if token:
        hdrs["Authorization"] = f"Bearer {token}"
    if body is not None:
        if isinstance(body, (bytes, bytearray)):
            data = bytes(body)
        else:
            data = json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, headers=hdrs, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def wait_until(what, check, limit=60.0, every=0.5):
    deadline = time.time() + limit
    last = None
    while time.time() < deadline:
        try:
            last = check()
            if last:
                return last
        except (OSError, ValueError) as e:
            last = e
        time.sleep(every)
    raise SystemExit(f"timed out waiting for {what} (last: {last!r})")


class FakeOpenAI(http.server.BaseHTTPRequestHandler):
    """Chat Completions: an empty reading (every field null, so the rules' values stand) with
    token usage; HTTP 400 for a prompt that contains REFUSE-ME (a request the provider rejects:
    the worker keeps the rules' reading and counts the request as an error)."""

    def do_POST(self):  # noqa: N802 (http.server's naming)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode("utf-8", "replace")
        if "REFUSE-ME" in body:
            payload = {"error": {"message": "rejected by the test", "type": "invalid_request_error"}}
            status = 400
        else:
            party = {k: None for k in ("name", "vat_id", "street", "postal_code", "city", "country")}
            content = json.dumps({
                "document_type": "invoice", "invoice_number": None, "issue_date": None,
                "due_date": None, "currency": None, "seller": party, "buyer": party,
                "purchase_order_ref": None, "payment_terms": None, "iban": None, "bic": None,
                "totals": {"net": None, "tax": None, "gross": None, "payable": None},
                "vat_breakdown": [], "lines": [],
            })
            payload = {
                "id": "chatcmpl-live",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [{
                    "index": 0,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                    "logprobs": None,
                    "finish_reason": "stop",
                }],
                "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500},
            }
            status = 200
        out = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


class Stack:
    def __init__(self, args):
        self.args = args
        self.dir = Path(tempfile.mkdtemp(prefix="doxin-live-monitoring."))
        self.procs = {}
        self.token = secrets.token_hex(24)
        self.webhook_secret = secrets.token_hex(24)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.dir),
            "DATA_DIR": str(self.dir / "data"),
            "HOST": "127.0.0.1",
            "LOG_FORMAT": "json",
            "RUST_LOG": "info,pdf_oxide=warn,lopdf=warn",
            "DATABASE_URL": args.database_url,
            "REDIS_URL": args.redis_url,
            "REDIS_KEY_PREFIX": f"doxin-live-{os.getpid()}",
            "SECRET_KEY": secrets.token_hex(32),
            "JWT_SECRET_KEY": secrets.token_hex(32),
            "METRICS_TOKEN": self.token,
            "WEBHOOK_SECRET": self.webhook_secret,
            "EXTRACTION_MODE": "hybrid",
            "LLM_ALWAYS": "true",
            "OPENAI_API_KEY": "sk-live-monitoring",
        }
        (self.dir / "data").mkdir()

    def log(self, name):
        return self.dir / f"{name}.log"

    def start(self, name, cmd, env=None):
        out = open(self.log(name), "ab")
        self.procs[name] = subprocess.Popen(
            cmd, cwd=self.dir, env={**self.env, **(env or {})}, stdout=out, stderr=out,
            start_new_session=True,
        )
        return self.procs[name]

    def stop(self, name, sig=signal.SIGTERM, wait=30):
        p = self.procs.pop(name, None)
        if p is None or p.poll() is not None:
            return
        p.send_signal(sig)
        try:
            p.wait(wait)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)

    def doxin(self, *argv, env=None, check=True):
        r = subprocess.run(
            [self.args.bin, *argv], cwd=self.dir, env={**self.env, **(env or {})},
            capture_output=True, text=True, timeout=120,
        )
        if check and r.returncode != 0:
            raise SystemExit(f"doxin {' '.join(argv)} failed ({r.returncode}): {r.stderr[-2000:]}")
        return r.stdout

    def tail_logs(self):
        for path in sorted(self.dir.glob("*.log")):
            lines = path.read_text(errors="replace").splitlines()[-25:]
            print(f"==== {path.name}")
            for line in lines:
                print("   " + line[:400])

    def close(self):
        for name in list(self.procs):
            self.stop(name, wait=10)
        if not self.args.keep:
            shutil.rmtree(self.dir, ignore_errors=True)


def strip_threshold(expr):
    """An alert expression without its threshold comparisons (`… > 0.05`, `… == 0`)."""
    return re.sub(r"\s*(==|!=|>=|<=|>|<)\s*-?[0-9.]+(e[0-9]+)?", "", expr).strip()


def panel_expressions():
    out = []
    for path in sorted((MON / "grafana" / "dashboards").glob("*.json")):
        d = json.loads(path.read_text(encoding="utf-8"))
        for p in d.get("panels", []):
            for t in p.get("targets") or []:
                out.append((f"{path.stem}: {p.get('title')}", t["expr"]))
    return out


def rule_expressions():
    out = []
    for path in sorted((MON / "rules").glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for g in doc.get("groups", []):
            for r in g.get("rules", []):
                name = r.get("alert") or r.get("record")
                out.append((f"rule {name}", strip_threshold(str(r["expr"]))))
    return out


def metric_names(expr):
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from check_metrics import metric_names as names  # the same parser the static check uses

    return names(expr)


def documents():
    """Text invoices: consistent ones, one with totals that do not add up (findings), one whose
    model request the fake provider rejects."""
    docs = []
    for i in range(8):
        docs.append((
            f"live-{i}.txt",
            (
                "INVOICE\n"
                f"Invoice number: LIVE-{i:04d}\n"
                f"Date: 2026-0{1 + i % 9}-15\n"
                "Seller: Live Monitoring GmbH\nVAT ID: DE123456789\n"
                "Buyer: Finance Team AG\n"
                f"Net: {100 + i}.00 EUR\nVAT 19%: {(100 + i) * 0.19:.2f} EUR\n"
                f"Total: {(100 + i) * 1.19:.2f} EUR\n"
            ).encode(),
        ))
    docs.append((
        "live-inconsistent.txt",
        b"INVOICE\nInvoice number: LIVE-BAD\nDate: 2026-02-01\nSeller: Wrong Sums Ltd\n"
        b"Net: 100.00 EUR\nVAT 19%: 19.00 EUR\nTotal: 150.00 EUR\n",
    ))
    docs.append((
        "live-refused.txt",
        b"INVOICE\nInvoice number: REFUSE-ME\nDate: 2026-02-02\nSeller: Refused Co\n"
        b"Total: 10.00 EUR\n",
    ))
    return docs


def multipart(files):
    boundary = "doxinlive" + secrets.token_hex(8)
    parts = []
    for name, data in files:
        parts.append(
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            f"Content-Type: text/plain\r\n\r\n".encode() + data + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def prometheus_config(stack, ports, rules_dir, alertmanager_port):
    token_file = stack.dir / "metrics_token"
    token_file.write_text(stack.token)
    auth = {"type": "Bearer", "credentials_file": str(token_file)}

    def job(name, targets, with_auth=True):
        j = {"job_name": name, "static_configs": [{"targets": targets}]}
        if with_auth:
            j["authorization"] = auth
        return j

    scrape = [
        job("doxin-api", [f"127.0.0.1:{ports['api']}"]),
        job("doxin-worker", [f"127.0.0.1:{ports['worker1']}", f"127.0.0.1:{ports['worker2']}"]),
    ]
    if "monitor" in ports:
        scrape.append(job("doxin-monitor", [f"127.0.0.1:{ports['monitor']}"]))
    for exporter in ("postgres-exporter", "redis-exporter", "node-exporter"):
        if exporter in ports:
            scrape.append(job(exporter, [f"127.0.0.1:{ports[exporter]}"], with_auth=False))
    cfg = {
        "global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
        "rule_files": [str(rules_dir / "*.yml")],
        "scrape_configs": scrape,
    }
    if alertmanager_port:
        cfg["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]
        }
    path = stack.dir / "prometheus.yml"
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


def test_rules(stack):
    """The real rules, with `for:` shortened to 5 s so a firing is seen within the test."""
    out = stack.dir / "rules"
    out.mkdir()
    for path in sorted((MON / "rules").glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for g in doc.get("groups", []):
            g["interval"] = "1s"
            for r in g.get("rules", []):
                if "for" in r:
                    r["for"] = "5s"
        (out / path.name).write_text(yaml.safe_dump(doc, sort_keys=False))
    return out


def start_exporters(stack, ports, args):
    """The Debian exporters that are installed, on free ports."""
    pg = shutil.which("prometheus-postgres-exporter")
    if pg:
        ports["postgres-exporter"] = free_port()
        dsn = args.database_url + ("&" if "?" in args.database_url else "?") + "sslmode=disable"
        stack.start(
            "postgres-exporter",
            [pg, f"--web.listen-address=127.0.0.1:{ports['postgres-exporter']}"],
            env={"DATA_SOURCE_NAME": dsn},
        )
    rx = shutil.which("prometheus-redis-exporter")
    if rx:
        ports["redis-exporter"] = free_port()
        stream = f"{stack.env['REDIS_KEY_PREFIX']}:jobs"
        stack.start(
            "redis-exporter",
            [
                rx, f"-web.listen-address=127.0.0.1:{ports['redis-exporter']}",
                f"-redis.addr={args.redis_url}", f"-check-streams=db0={stream}",
            ],
        )
    ne = shutil.which("prometheus-node-exporter")
    if ne:
        ports["node-exporter"] = free_port()
        stack.start("node-exporter", [ne, f"--web.listen-address=127.0.0.1:{ports['node-exporter']}"])


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def memory(stack):
    return {name: rss_mb(p.pid) for name, p in stack.procs.items()
            if name in ("api", "worker1", "worker2", "monitor")}


def scrape_times(url, token, n=20):
    """Milliseconds for n scrapes of url: (median, max)."""
    took = []
    for _ in range(n):
        t = time.perf_counter()
        status, _ = call("GET", url, token=token)
        took.append((time.perf_counter() - t) * 1000)
        if status != 200:
            return None
    took.sort()
    return took[len(took) // 2], took[-1]


def query(prom, expr):
    url = f"http://127.0.0.1:{prom}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
    status, body = call("GET", url)
    if status != 200:
        return None, body.decode(errors="replace")[:300]
    data = json.loads(body)
    return data["data"]["result"], None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--redis-url", required=True)
    ap.add_argument("--alertmanager", action="store_true",
                    help="also the firing test: Alertmanager, the webhook, the API's list")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    for tool in ("prometheus",) + (("prometheus-alertmanager",) if args.alertmanager else ()):
        if not shutil.which(tool):
            raise SystemExit(f"{tool} is not installed (Debian package prometheus / prometheus-alertmanager)")

    stack = Stack(args)
    failures = []
    started = time.time()
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeOpenAI)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    stack.env["OPENAI_BASE_URL"] = f"http://127.0.0.1:{fake.server_address[1]}/v1"
    try:
        ports = {"api": free_port(), "worker1": free_port(), "worker2": free_port()}
        stack.doxin("migrate")
        stack.doxin(
            "user", "create", "--email", "ops@example.com", "--admin",
            env={"DOXIN_USER_PASSWORD": "live monitoring password 42"},
        )
        user_token = stack.doxin("user", "token", "--email", "ops@example.com").strip()
        stack.start("api", [args.bin, "serve", "--no-worker"], env={"PORT": str(ports["api"])})
        api = f"http://127.0.0.1:{ports['api']}"
        wait_until("the API", lambda: call("GET", f"{api}/api/health")[0] == 200)
        for w in ("worker1", "worker2"):
            stack.start(w, [args.bin, "worker", "--concurrency", "2", "--metrics-port", str(ports[w])])
        has_monitor = "monitor" in stack.doxin("--help")
        if has_monitor:
            ports["monitor"] = free_port()
            stack.start("monitor", [args.bin, "monitor", "--port", str(ports["monitor"])],
                        env={"MONITOR_PORT": str(ports["monitor"])})
            wait_until("the monitor", lambda: call("GET", f"http://127.0.0.1:{ports['monitor']}/api/health")[0] == 200)
        for w in ("worker1", "worker2"):
            wait_until(f"{w}'s metrics", lambda w=w: call("GET", f"http://127.0.0.1:{ports[w]}/metrics", token=stack.token)[0] == 200)
        start_exporters(stack, ports, args)

        am_port = None
        if args.alertmanager:
            am_port = free_port()
            am = yaml.safe_load((MON / "alertmanager.yml").read_text(encoding="utf-8"))
            secret_file = stack.dir / "webhook_secret"
            secret_file.write_text(stack.webhook_secret)
            for key in ("group_wait", "group_interval"):
                am["route"][key] = "1s"
            for r in am["route"].get("routes", []):
                r["group_wait"] = "1s"
            for recv in am["receivers"]:
                for wh in recv.get("webhook_configs", []):
                    wh["url"] = f"{api}/api/v1/admin/alerts/webhook"
                    wh["http_config"]["authorization"]["credentials_file"] = str(secret_file)
            (stack.dir / "alertmanager.yml").write_text(yaml.safe_dump(am, sort_keys=False))
            stack.start("alertmanager", [
                shutil.which("prometheus-alertmanager"),
                f"--config.file={stack.dir / 'alertmanager.yml'}",
                f"--storage.path={stack.dir / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{am_port}",
                "--cluster.listen-address=",
            ])
            wait_until("Alertmanager", lambda: call("GET", f"http://127.0.0.1:{am_port}/-/ready")[0] == 200)

        prom = free_port()
        rules = test_rules(stack)
        cfg = prometheus_config(stack, ports, rules, am_port)
        promtool = subprocess.run(["promtool", "check", "config", str(cfg)], capture_output=True, text=True)
        if promtool.returncode != 0:
            raise SystemExit(f"promtool check config: {promtool.stdout}{promtool.stderr}")
        stack.start("prometheus", [
            "prometheus", f"--config.file={cfg}", f"--storage.tsdb.path={stack.dir / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{prom}",
        ])
        wait_until("Prometheus", lambda: call("GET", f"http://127.0.0.1:{prom}/-/ready")[0] == 200)

        time.sleep(3)
        idle = memory(stack)
        # A batch of uploads, in three requests, then wait for every job to end.
        docs = documents()
        job_ids = []
        for chunk in (docs[:4], docs[4:8], docs[8:]):
            body, ctype = multipart(chunk)
            status, out = call("POST", f"{api}/api/v1/invoices/upload", token=user_token,
                               body=body, headers={"Content-Type": ctype})
            if status != 202:
                raise SystemExit(f"upload answered {status}: {out[:500]!r}")
            job_ids += [j["job_id"] for j in json.loads(out)["jobs"]]

        def all_done():
            states = []
            for jid in job_ids:
                s, b = call("GET", f"{api}/api/v1/jobs/{jid}", token=user_token)
                states.append(json.loads(b).get("status") if s == 200 else None)
            return states if all(s in ("succeeded", "failed", "cancelled") for s in states) else None

        states = wait_until("the batch", all_done, limit=180, every=1)
        print(f"  jobs: {sorted(states)}")
        loaded = memory(stack)
        print("  resident memory (MB), idle -> after the batch: " + ", ".join(
            f"{k} {idle.get(k, float('nan')):.0f} -> {v:.0f}" for k, v in loaded.items()))
        targets = {"api": f"{api}/metrics", "worker": f"http://127.0.0.1:{ports['worker1']}/metrics"}
        if "monitor" in ports:
            targets["monitor"] = f"http://127.0.0.1:{ports['monitor']}/metrics"
        for name, url in targets.items():
            t = scrape_times(url, stack.token)
            if t is None:
                failures.append(f"a scrape of {url} failed")
            else:
                print(f"  /metrics of the {name}: median {t[0]:.1f} ms, max {t[1]:.1f} ms (20 scrapes)")

        # Let Prometheus take a few scrapes after the work (rate() needs two samples).
        time.sleep(6)
        result, err = query(prom, "up")
        up = {(r["metric"]["job"], r["metric"]["instance"]): r["value"][1] for r in result or []}
        expected_jobs = {"doxin-api": 1, "doxin-worker": 2}
        if has_monitor:
            expected_jobs["doxin-monitor"] = 1
        for exporter in ("postgres-exporter", "redis-exporter", "node-exporter"):
            if exporter in ports:
                expected_jobs[exporter] = 1
        for job_name, n in expected_jobs.items():
            ones = [i for (j, i), v in up.items() if j == job_name and v == "1"]
            if len(ones) != n:
                failures.append(f"up{{job={job_name!r}}}: {len(ones)} of {n} targets up ({up})")
        print(f"  up: {len([v for v in up.values() if v == '1'])} of {len(up)} targets")

        checked = skipped = 0
        missing_exporters = set()
        for where, expr in panel_expressions() + rule_expressions():
            names = metric_names(expr)
            needs = {n for n in names if n.startswith(EXPORTER_METRICS)}
            absent = {n for n in needs if not any(
                p in ports for p in {"pg_": ["postgres-exporter"], "redis_": ["redis-exporter"],
                                     "node_": ["node-exporter"]}[n.split("_")[0] + "_"])}
            if absent:
                skipped += 1
                missing_exporters |= absent
                continue
            result, err = query(prom, expr)
            checked += 1
            if err:
                failures.append(f"{where}: query error {err}")
            elif not result:
                failures.append(f"{where}: no series for {expr}")
        print(f"  expressions: {checked} returned a series check, {skipped} skipped "
              f"(exporter not installed: {sorted(missing_exporters)})")

        if args.alertmanager:
            # No live workers: stop both, the rule fires, Alertmanager calls DoxIn.
            status, _ = call("POST", f"{api}/api/v1/admin/alerts/webhook",
                             body={"version": "4", "status": "firing", "alerts": []})
            if status != 401:
                failures.append(f"an unsigned webhook call answered {status}, not 401")
            for w in ("worker1", "worker2"):
                stack.stop(w)

            def listed():
                s, b = call("GET", f"{api}/api/v1/admin/alerts", token=user_token)
                if s != 200:
                    return None
                items = json.loads(b).get("items", [])
                return [a for a in items if a.get("alertname") == "DoxinNoLiveWorkers"] or None

            try:
                alerts = wait_until("DoxinNoLiveWorkers at the webhook", listed, limit=120, every=2)
                print(f"  alert listed by the API: {alerts[0].get('alertname')} ({alerts[0].get('status')})")
            except SystemExit as e:
                failures.append(str(e))
    except SystemExit as e:
        failures.append(str(e))
    finally:
        fake.shutdown()
        if failures:
            stack.tail_logs()
        stack.close()
    print(f"  took {time.time() - started:.0f} s")
    if failures:
        print("FAILED:")
        for f in failures:
            print("  - " + f)
        return 1
    print("live monitoring: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
