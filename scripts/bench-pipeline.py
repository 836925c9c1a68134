#!/usr/bin/env python3
"""End-to-end pipeline load test: real `doxin serve` / `doxin worker` processes, generated UBL
invoices uploaded over HTTP, figures read back from the database.

Measures, per deployment shape:
  - throughput: N documents uploaded as fast as the API takes them (multipart, 50 per request);
    jobs/s = N / (last finished_at - first created_at);
  - enqueue-to-start latency: documents sent one at a time at a steady pace the workers can
    keep up with; p50/p99 of started_at - created_at (pickup latency, not backlog);
  - resident memory (VmRSS) of the API and the worker idle, and their peak (VmHWM) under load.

Shapes: `embedded` (SQLite, in-process worker, one process), `pg-redis-1` and `pg-redis-2`
(PostgreSQL + Redis, one API with --no-worker and one or two `doxin worker` processes).

Usage (stdlib only; needs the release binary and the generated documents):
  cargo build --release -p doxin
  cargo run --release -p doxin-reports --example synth_ubl -- /tmp/doxin-ubl 1000
  python3 scripts/bench-pipeline.py --docs /tmp/doxin-ubl \
      --database-url postgres://postgres@127.0.0.1:5433/postgres --redis-url redis://127.0.0.1:6379
"""

import argparse
import json
import os
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid

BIN_DEFAULT = os.environ.get("CARGO_TARGET_DIR", "/work/.cache/doxin-target") + "/release/doxin"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def start(binary, args, env, log_path, ready):
    log = open(log_path, "w")
    proc = subprocess.Popen([binary] + args, env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 60
    while time.time() < deadline:
        with open(log_path) as f:
            if ready in f.read():
                return proc
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    proc.kill()
    sys.exit(f"{args} did not start; see {log_path}")


def multipart(files):
    boundary = uuid.uuid4().hex
    body = bytearray()
    for name, data in files:
        body += f"--{boundary}\r\n".encode()
        body += f'Content-Disposition: form-data; name="file"; filename="{name}"\r\n'.encode()
        body += b"Content-Type: application/xml\r\n\r\n"
        body += data + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


def upload(base, token, files):
    body, ctype = multipart(files)
    req = urllib.request.Request(f"{base}/api/v1/invoices/upload", data=body, method="POST")
    req.add_header("Content-Type", ctype)
    req.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(req, timeout=120) as r:
        return [j["job_id"] for j in json.load(r)["jobs"]]


class Db:
    def __init__(self, url, sqlite_path=None):
        self.url, self.sqlite_path = url, sqlite_path

    def rows(self, sql):
        if self.sqlite_path:
            con = sqlite3.connect(self.sqlite_path)
            try:
                return con.execute(sql).fetchall()
            finally:
                con.close()
        out = subprocess.run(["psql", self.url, "-AtF", "\t", "-c", sql],
                             capture_output=True, text=True, check=True).stdout
        return [tuple(line.split("\t")) for line in out.splitlines() if line]

    def epoch(self, col):
        if self.sqlite_path:
            return f"(julianday({col}) - 2440587.5) * 86400.0"
        return f"extract(epoch from {col})"

    def open_jobs(self, ids):
        id_list = ",".join(f"'{i}'" for i in ids)
        return int(self.rows(
            f"SELECT COUNT(*) FROM processing_jobs WHERE id IN ({id_list}) "
            "AND status NOT IN ('succeeded','failed','cancelled')")[0][0])

    def span(self, ids):
        id_list = ",".join(f"'{i}'" for i in ids)
        r = self.rows(
            f"SELECT MIN({self.epoch('created_at')}), MAX({self.epoch('finished_at')}), "
            f"SUM(CASE WHEN status = 'succeeded' THEN 1 ELSE 0 END) "
            f"FROM processing_jobs WHERE id IN ({id_list})")[0]
        return float(r[0]), float(r[1]), int(r[2])

    def pickup_latencies(self, ids):
        id_list = ",".join(f"'{i}'" for i in ids)
        return sorted(float(r[0]) for r in self.rows(
            f"SELECT {self.epoch('started_at')} - {self.epoch('created_at')} "
            f"FROM processing_jobs WHERE id IN ({id_list})"))


def wait_done(db, ids, procs, peaks, limit=600):
    deadline = time.time() + limit
    while time.time() < deadline:
        for name, p in procs.items():
            peaks[name] = max(peaks.get(name, 0), rss_kib(p.pid))
        if db.open_jobs(ids) == 0:
            return
        time.sleep(0.2)
    sys.exit("jobs did not finish in time")


def pct(values, p):
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_shape(shape, args, docs):
    tmp = tempfile.mkdtemp(prefix=f"doxin-bench-{shape}-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME")}
    env.update({"DATA_DIR": f"{tmp}/data", "PORT": str(port), "HOST": "127.0.0.1",
                "LOG_FORMAT": "json", "RUST_LOG": "warn,doxin=info,doxin_jobs=info",
                "WORKER_CONCURRENCY": str(args.concurrency), "QUEUE_MAX": "1000000"})
    db_name = None
    if shape == "embedded":
        db = Db(None, sqlite_path=f"{tmp}/data/doxin.db")
    else:
        db_name = f"doxin_bench_{uuid.uuid4().hex[:12]}"
        admin = args.database_url
        subprocess.run(["psql", admin, "-c", f'CREATE DATABASE "{db_name}"'], check=True,
                       capture_output=True)
        url = admin.rsplit("/", 1)[0] + "/" + db_name
        env.update({"DATABASE_URL": url, "REDIS_URL": args.redis_url,
                    "REDIS_KEY_PREFIX": f"bench-{uuid.uuid4().hex[:8]}"})
        db = Db(url)
    procs = {}
    try:
        if shape == "embedded":
            procs["api+worker"] = start(args.binary, ["serve"], env, f"{tmp}/api.log", "doxin serving")
        else:
            procs["api"] = start(args.binary, ["serve", "--no-worker"], env, f"{tmp}/api.log", "doxin serving")
            for i in range(int(shape.rsplit("-", 1)[1])):
                procs[f"worker{i + 1}"] = start(args.binary, ["worker"], env, f"{tmp}/worker{i}.log",
                                                "worker started")
        base = f"http://127.0.0.1:{port}"
        # Uploads need an account: an administrator and an API token, made with the CLI on
        # the same database (the server has migrated it by now).
        cli_env = dict(env, DOXIN_USER_PASSWORD="pipeline load 2026 sesame")
        subprocess.run([args.binary, "user", "create", "--email", "loader@example.test", "--admin"],
                       env=cli_env, check=True, capture_output=True)
        token = subprocess.run([args.binary, "user", "token", "--email", "loader@example.test"],
                               env=cli_env, check=True, capture_output=True,
                               text=True).stdout.strip()
        time.sleep(2)
        idle = {name: rss_kib(p.pid) for name, p in procs.items()}

        # Throughput: everything at once.
        ids = []
        for i in range(0, len(docs), 50):
            ids += upload(base, token, docs[i:i + 50])
        peaks = {}
        wait_done(db, ids, procs, peaks)
        first, last, ok = db.span(ids)
        hwm = {name: rss_kib(p.pid, "VmHWM") for name, p in procs.items()}

        # Pickup latency: one document at a time at a pace the workers keep up with.
        lat_ids = []
        for i in range(args.latency_docs):
            lat_ids += upload(base, token, [docs[i % len(docs)]])
            time.sleep(1.0 / args.latency_rate)
        wait_done(db, lat_ids, procs, {})
        lat = db.pickup_latencies(lat_ids)
        return {
            "shape": shape, "docs": len(ids), "succeeded": ok,
            "jobs_per_s": round(len(ids) / (last - first), 1),
            "wall_s": round(last - first, 2),
            "pickup_ms_p50": round(pct(lat, 50) * 1000, 1),
            "pickup_ms_p99": round(pct(lat, 99) * 1000, 1),
            "rss_idle_mib": {k: round(v / 1024, 1) for k, v in idle.items()},
            "rss_peak_mib": {k: round(v / 1024, 1) for k, v in hwm.items()},
        }
    finally:
        for p in procs.values():
            p.terminate()
        for p in procs.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
        if db_name:
            subprocess.run(["psql", args.database_url, "-c",
                            f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'], capture_output=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", required=True, help="directory of XML invoices (synth_ubl example)")
    ap.add_argument("--binary", default=BIN_DEFAULT)
    ap.add_argument("--database-url", help="PostgreSQL admin URL (pg-redis shapes)")
    ap.add_argument("--redis-url", default="redis://127.0.0.1:6379")
    ap.add_argument("--shapes", default="embedded,pg-redis-1,pg-redis-2")
    ap.add_argument("--concurrency", type=int, default=2, help="jobs at once per worker")
    ap.add_argument("--latency-docs", type=int, default=200)
    ap.add_argument("--latency-rate", type=float, default=20.0, help="documents per second")
    args = ap.parse_args()
    names = sorted(n for n in os.listdir(args.docs) if n.endswith(".xml"))
    docs = [(n, open(os.path.join(args.docs, n), "rb").read()) for n in names]
    for shape in args.shapes.split(","):
        if shape != "embedded" and not args.database_url:
            print(f"skipping {shape}: no --database-url", file=sys.stderr)
            continue
        print(json.dumps(run_shape(shape, args, docs)), flush=True)


if __name__ == "__main__":
    main()
