#!/usr/bin/env python3
"""Writes DoxIn's Grafana dashboards (deploy/monitoring/grafana/dashboards/*.json).

The dashboards are generated so that every panel has the same shape and every query is easy
to review in one place. Run it after editing a panel:

    python3 scripts/deploy/make_dashboards.py            # write the JSON files
    python3 scripts/deploy/make_dashboards.py --check    # exit 1 if the files differ

Metric names must be listed in deploy/monitoring/METRICS.md (scripts/check-deploy.sh checks).
Figures read from the database (doxin_jobs, doxin_queue_*, doxin_workers_live, ...) are the
same on every API replica, so those panels take max(), not sum().
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "deploy" / "monitoring" / "grafana" / "dashboards"
DS = {"type": "prometheus", "uid": "doxin-prometheus"}


def panel(title, exprs, unit="short", kind="timeseries", desc="", w=12, h=8, legend=None):
    """One panel; `exprs` is a list of (expr, legend) pairs."""
    targets = []
    for i, (expr, leg) in enumerate(exprs):
        targets.append(
            {
                "datasource": DS,
                "expr": expr,
                "legendFormat": leg,
                "refId": chr(ord("A") + i),
            }
        )
    p = {
        "type": kind,
        "title": title,
        "description": desc,
        "datasource": DS,
        "targets": targets,
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "gridPos": {"w": w, "h": h},
        "options": {},
    }
    if kind == "timeseries":
        p["options"] = {"legend": {"displayMode": "list", "placement": "bottom"}}
    elif kind == "stat":
        p["options"] = {"reduceOptions": {"calcs": ["lastNotNull"]}, "colorMode": "value"}
    return p


def stat(title, expr, unit="short", desc=""):
    return panel(title, [(expr, "")], unit=unit, kind="stat", desc=desc, w=6, h=4)


def dashboard(uid, title, panels, tags):
    x = y = 0
    row_h = 0
    laid = []
    for i, p in enumerate(panels, start=1):
        w, h = p["gridPos"]["w"], p["gridPos"]["h"]
        if x + w > 24:
            x, y = 0, y + row_h
            row_h = 0
        p = dict(p, id=i, gridPos={"x": x, "y": y, "w": w, "h": h})
        laid.append(p)
        x += w
        row_h = max(row_h, h)
    return {
        "uid": uid,
        "title": title,
        "tags": ["doxin"] + tags,
        "timezone": "browser",
        "schemaVersion": 39,
        "version": 1,
        "editable": False,
        "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": []},
        "annotations": {"list": []},
        "links": [],
        "panels": laid,
    }


def q(quantile, metric, by="", sel="", window="5m"):
    by = f", {by}" if by else ""
    return (
        f"histogram_quantile({quantile}, sum by (le{by}) "
        f"(rate({metric}_bucket{sel}[{window}])))"
    )


API = dashboard(
    "doxin-api",
    "DoxIn — API",
    [
        stat("API targets up", 'sum(up{job="doxin-api"})'),
        stat(
            "Requests/s",
            'sum(rate(doxin_http_requests_total{route!="/metrics"}[5m]))',
            unit="reqps",
        ),
        stat(
            "5xx ratio (5 min)",
            '(sum(rate(doxin_http_requests_total{status=~"5.."}[5m])) or vector(0)) / sum(rate(doxin_http_requests_total[5m]))',
            unit="percentunit",
        ),
        stat(
            "p95 latency",
            q(0.95, "doxin_http_request_duration_seconds", sel='{route!~"/ws|/metrics"}'),
            unit="s",
        ),
        panel(
            "Requests/s by route",
            [("sum by (route) (rate(doxin_http_requests_total[5m]))", "{{route}}")],
            unit="reqps",
        ),
        panel(
            "Requests/s by status",
            [("sum by (status) (rate(doxin_http_requests_total[5m]))", "{{status}}")],
            unit="reqps",
        ),
        panel(
            "Latency quantiles (WebSocket and /metrics excluded)",
            [
                (q(0.5, "doxin_http_request_duration_seconds", sel='{route!~"/ws|/metrics"}'), "p50"),
                (q(0.95, "doxin_http_request_duration_seconds", sel='{route!~"/ws|/metrics"}'), "p95"),
                (q(0.99, "doxin_http_request_duration_seconds", sel='{route!~"/ws|/metrics"}'), "p99"),
            ],
            unit="s",
        ),
        panel(
            "p95 latency by route",
            [
                (
                    q(0.95, "doxin_http_request_duration_seconds", by="route", sel='{route!~"/ws|/metrics"}'),
                    "{{route}}",
                )
            ],
            unit="s",
        ),
        panel(
            "Mean latency by route",
            [
                (
                    "sum by (route) (rate(doxin_http_request_duration_seconds_sum[5m])) / sum by (route) (rate(doxin_http_requests_total[5m]))",
                    "{{route}}",
                )
            ],
            unit="s",
            desc="From the per-route time counter every DoxIn version serves.",
        ),
        panel(
            "5xx by route",
            [('sum by (route, status) (rate(doxin_http_requests_total{status=~"5.."}[5m])) or vector(0)', "{{route}} {{status}}")],
            unit="reqps",
        ),
        panel(
            "API memory (RSS)",
            [('doxin_process_resident_memory_bytes{job="doxin-api"}', "{{instance}}")],
            unit="bytes",
        ),
        panel(
            "API CPU",
            [('rate(doxin_process_cpu_seconds_total{job="doxin-api"}[5m])', "{{instance}}")],
            unit="percentunit",
        ),
    ],
    ["api"],
)

JOBS = dashboard(
    "doxin-jobs",
    "DoxIn — Jobs and queue",
    [
        stat("Queued", "max(doxin_queue_depth)"),
        stat("In flight", "max(doxin_queue_in_flight)"),
        stat("Dead letters", "max(doxin_queue_dead_letters)"),
        stat("Live workers", "max(doxin_workers_live)"),
        panel(
            "Queue depth and limit",
            [("max(doxin_queue_depth)", "queued"), ("max(doxin_queue_limit)", "limit (QUEUE_MAX)")],
        ),
        panel("Jobs by status", [("max by (status) (doxin_jobs)", "{{status}}")]),
        panel("Running jobs by stage", [("max by (stage) (doxin_jobs_by_stage)", "{{stage}}")]),
        panel(
            "Worker capacity",
            [
                ("max(doxin_worker_jobs_in_hand)", "jobs in hand"),
                ('sum(doxin_worker_concurrency{job="doxin-worker"})', "concurrency (all workers)"),
            ],
        ),
        panel(
            "Jobs finished per minute",
            [("sum by (status, outcome) (rate(doxin_jobs_finished_total[5m])) * 60", "{{status}} {{outcome}}")],
            unit="short",
        ),
        panel(
            "Job failure rate (15 min)",
            [
                (
                    '(sum(rate(doxin_jobs_finished_total{status="failed"}[15m])) or vector(0)) / sum(rate(doxin_jobs_finished_total[15m]))',
                    "failed",
                )
            ],
            unit="percentunit",
        ),
        panel(
            "p95 stage duration",
            [(q(0.95, "doxin_job_stage_duration_seconds", by="stage"), "{{stage}}")],
            unit="s",
        ),
        panel(
            "Queue wait and job duration (p95)",
            [
                (q(0.95, "doxin_job_queue_wait_seconds"), "queue wait"),
                (q(0.95, "doxin_job_duration_seconds"), "processing"),
            ],
            unit="s",
        ),
        panel(
            "Redis job stream length",
            [("redis_stream_length", "{{stream}}")],
            desc="From redis-exporter (REDIS_EXPORTER_CHECK_STREAMS).",
        ),
        panel(
            "Worker memory (RSS)",
            [('doxin_process_resident_memory_bytes{job="doxin-worker"}', "{{instance}}")],
            unit="bytes",
        ),
        panel(
            "Worker CPU",
            [('rate(doxin_process_cpu_seconds_total{job="doxin-worker"}[5m])', "{{instance}}")],
            unit="percentunit",
        ),
        panel("Worker targets up", [('up{job="doxin-worker"}', "{{instance}}")]),
    ],
    ["jobs"],
)

EXTRACTION = dashboard(
    "doxin-extraction",
    "DoxIn — Extraction quality",
    [
        stat(
            "Review rate (1 h)",
            '(sum(rate(doxin_extractions_total{outcome="needs_review"}[1h])) or vector(0)) / sum(rate(doxin_extractions_total[1h]))',
            unit="percentunit",
        ),
        stat(
            "Mean confidence (1 h)",
            "sum(rate(doxin_extraction_confidence_sum[1h])) / sum(rate(doxin_extraction_confidence_count[1h]))",
            unit="percentunit",
        ),
        stat(
            "Extractions (1 h)",
            "sum(increase(doxin_extractions_total[1h]))",
        ),
        stat(
            "Auto-approved (1 h)",
            '(sum(rate(doxin_extractions_total{outcome="approved"}[1h])) or vector(0)) / sum(rate(doxin_extractions_total[1h]))',
            unit="percentunit",
        ),
        panel(
            "Extractions per minute by path",
            [("sum by (path) (rate(doxin_extractions_total[5m])) * 60", "{{path}}")],
        ),
        panel(
            "Outcomes per minute",
            [("sum by (outcome) (rate(doxin_extractions_total[5m])) * 60", "{{outcome}}")],
        ),
        panel(
            "Review rate by path (1 h)",
            [
                (
                    '(sum by (path) (rate(doxin_extractions_total{outcome="needs_review"}[1h])) or 0 * sum by (path) (rate(doxin_extractions_total[1h])))'
                    " / sum by (path) (rate(doxin_extractions_total[1h]))",
                    "{{path}}",
                )
            ],
            unit="percentunit",
        ),
        panel(
            "Document confidence (p10, median)",
            [
                (q(0.1, "doxin_extraction_confidence", window="1h"), "p10"),
                (q(0.5, "doxin_extraction_confidence", window="1h"), "median"),
            ],
            unit="percentunit",
        ),
        panel(
            "Median confidence by path",
            [(q(0.5, "doxin_extraction_confidence", by="path", window="1h"), "{{path}}")],
            unit="percentunit",
        ),
        panel(
            "Validation findings (top 10 rules, 1 h)",
            [("topk(10, sum by (rule, severity) (increase(doxin_validation_findings_total[1h])))", "{{rule}} ({{severity}})")],
        ),
        panel(
            "Embedding time (p95)",
            [(q(0.95, "doxin_embedding_duration_seconds", by="provider"), "{{provider}}")],
            unit="s",
        ),
        panel(
            "Extract and OCR stage time (p95)",
            [
                (
                    q(0.95, "doxin_job_stage_duration_seconds", by="stage", sel='{stage=~"extract|ocr|llm|validate"}'),
                    "{{stage}}",
                )
            ],
            unit="s",
        ),
    ],
    ["extraction"],
)

LLM = dashboard(
    "doxin-llm",
    "DoxIn — LLM usage and cost",
    [
        stat("Cost, last hour (USD)", "sum(increase(doxin_llm_cost_usd_total[1h]))", unit="currencyUSD"),
        stat("Cost, last 24 h (USD)", "sum(increase(doxin_llm_cost_usd_total[24h]))", unit="currencyUSD"),
        stat("Requests, last hour", "sum(increase(doxin_llm_requests_total[1h]))"),
        stat(
            "Error ratio (1 h)",
            '(sum(rate(doxin_llm_requests_total{result!="ok"}[1h])) or vector(0)) / sum(rate(doxin_llm_requests_total[1h]))',
            unit="percentunit",
        ),
        panel(
            "Requests per minute by model and result",
            [("sum by (provider, model, result) (rate(doxin_llm_requests_total[5m])) * 60", "{{provider}} {{model}} {{result}}")],
        ),
        panel(
            "Tokens per minute",
            [("sum by (model, direction) (rate(doxin_llm_tokens_total[5m])) * 60", "{{model}} {{direction}}")],
        ),
        panel(
            "Cost per hour by model (USD)",
            [("sum by (provider, model) (increase(doxin_llm_cost_usd_total[1h]))", "{{provider}} {{model}}")],
            unit="currencyUSD",
            desc="The DoxinLlmCostOverBudget alert fires above 5 USD per hour.",
        ),
        panel(
            "Request latency by model (p50, p95)",
            [
                (q(0.5, "doxin_llm_request_duration_seconds", by="model"), "p50 {{model}}"),
                (q(0.95, "doxin_llm_request_duration_seconds", by="model"), "p95 {{model}}"),
            ],
            unit="s",
        ),
        panel(
            "Cost per extraction that asked a model (USD)",
            [
                (
                    "sum(rate(doxin_llm_cost_usd_total[1h])) / sum(rate(doxin_llm_requests_total[1h]))",
                    "USD per request",
                )
            ],
            unit="currencyUSD",
        ),
        panel(
            "Share of extractions that asked a model (1 h)",
            [
                (
                    '(sum(rate(doxin_extractions_total{llm="true"}[1h])) or vector(0)) / sum(rate(doxin_extractions_total[1h]))',
                    "asked a model",
                )
            ],
            unit="percentunit",
        ),
    ],
    ["llm"],
)

DB = dashboard(
    "doxin-db-redis",
    "DoxIn — Database and Redis",
    [
        stat("PostgreSQL up", "min(pg_up)"),
        stat("Redis up", "min(redis_up)"),
        stat("DB connections in use", 'sum(doxin_db_pool_connections{state="in_use"})'),
        stat("Redis memory", "max(redis_memory_used_bytes)", unit="bytes"),
        panel(
            "DoxIn pool connections by process",
            [
                ('sum by (job, instance) (doxin_db_pool_connections{state="in_use"})', "in use {{instance}}"),
                ('sum by (job, instance) (doxin_db_pool_connections{state="idle"})', "idle {{instance}}"),
                ("max by (job, instance) (doxin_db_pool_max_connections)", "max {{instance}}"),
            ],
        ),
        # sqlx reports no waiters or acquire times; a pool at its maximum is where they start.
        panel(
            "Pool saturation (in use / max)",
            [
                (
                    'sum by (job, instance) (doxin_db_pool_connections{state="in_use"})'
                    " / max by (job, instance) (doxin_db_pool_max_connections)",
                    "{{instance}}",
                ),
            ],
            unit="percentunit",
        ),
        panel(
            "PostgreSQL backends",
            [("sum by (datname) (pg_stat_database_numbackends)", "{{datname}}")],
        ),
        panel(
            "PostgreSQL transactions/s",
            [
                ("sum by (datname) (rate(pg_stat_database_xact_commit[5m]))", "commit {{datname}}"),
                ("sum by (datname) (rate(pg_stat_database_xact_rollback[5m]))", "rollback {{datname}}"),
            ],
            unit="ops",
        ),
        panel("Database size", [("pg_database_size_bytes", "{{datname}}")], unit="bytes"),
        panel(
            "Redis clients and commands/s",
            [
                ("max(redis_connected_clients)", "clients"),
                ("sum(rate(redis_commands_processed_total[5m]))", "commands/s"),
            ],
        ),
        panel("Redis streams (jobs, dead letters)", [("redis_stream_length", "{{stream}}")]),
        panel(
            "Host CPU busy",
            [('1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[5m]))', "{{instance}}")],
            unit="percentunit",
        ),
        panel(
            "Host memory available",
            [("node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes", "{{instance}}")],
            unit="percentunit",
        ),
        panel(
            "Host disk free",
            [
                (
                    'node_filesystem_avail_bytes{fstype!~"tmpfs|overlay"} / node_filesystem_size_bytes{fstype!~"tmpfs|overlay"}',
                    "{{mountpoint}}",
                )
            ],
            unit="percentunit",
        ),
    ],
    ["database", "redis"],
)

DASHBOARDS = {
    "doxin-api.json": API,
    "doxin-jobs.json": JOBS,
    "doxin-extraction.json": EXTRACTION,
    "doxin-llm.json": LLM,
    "doxin-db-redis.json": DB,
}


def render(d):
    return json.dumps(d, indent=2, ensure_ascii=False) + "\n"


def main():
    check = "--check" in sys.argv[1:]
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, d in DASHBOARDS.items():
        path = OUT / name
        text = render(d)
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
    if stale:
        print("dashboards differ from scripts/deploy/make_dashboards.py: " + ", ".join(stale))
        print("run: python3 scripts/deploy/make_dashboards.py")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
