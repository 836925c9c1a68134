#!/usr/bin/env python3
"""Checks the dashboards and alert rules against deploy/monitoring/METRICS.md.

    check_metrics.py REPO_ROOT

- every dashboard is valid JSON with a unique uid, panels with PromQL targets on the
  provisioned Prometheus data source (uid doxin-prometheus);
- every metric name in a panel query or an alert expression is listed in METRICS.md
  (histogram series `_bucket`, `_sum`, `_count` count as their histogram);
- every `doxin_` metric METRICS.md marks `exists = yes` occurs in the Rust code under crates/;
- prints the metrics marked `exists = no` (the Rust side's to-do list).
"""

import json
import re
import sys
from pathlib import Path

import yaml

KEYWORDS = {
    "and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
    "group_left", "group_right", "inf", "nan", "Inf", "NaN",
}
GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
IDENT = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")


def metric_names(expr):
    """The metric names a PromQL expression selects."""
    s = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # label values
    s = re.sub(r"'(?:[^'\\]|\\.)*'", "''", s)
    s = re.sub(r"\{[^}]*\}", " ", s)  # label matchers
    s = re.sub(r"\[[^\]]*\]", " ", s)  # ranges and subqueries
    s = GROUPING.sub(" ", s)
    names = set()
    for m in IDENT.finditer(s):
        word = m.group(0)
        rest = s[m.end():].lstrip()
        if rest.startswith("("):
            continue  # a function or aggregation
        if word in KEYWORDS:
            continue
        start = m.start()
        if start > 0 and (s[start - 1].isdigit() or s[start - 1] == "."):
            continue  # the exponent or unit of a number (1e3)
        names.add(word)
    return names


def read_table(path):
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        m = re.match(r"\|\s*`([a-zA-Z_:][a-zA-Z0-9_:]*)`\s*\|([^|]*)\|([^|]*)\|([^|]*)\|\s*(yes|no)\s*\|\s*$", line)
        if m:
            name, kind, _labels, _meaning, exists = m.groups()
            if name in rows:
                raise SystemExit(f"METRICS.md lists {name} twice")
            rows[name] = {"type": kind.strip(), "exists": exists == "yes"}
    return rows


def known(name, table):
    if name in table:
        return True
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix):
            base = name[: -len(suffix)]
            if base in table and table[base]["type"].startswith("histogram"):
                return True
    return False


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    mon = root / "deploy" / "monitoring"
    table = read_table(mon / "METRICS.md")
    errors = []
    used = {}  # name -> first place it is used

    uids = {}
    boards = sorted((mon / "grafana" / "dashboards").glob("*.json"))
    if len(boards) < 5:
        errors.append(f"expected 5 dashboards, found {len(boards)}")
    n_queries = 0
    for path in boards:
        try:
            d = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            errors.append(f"{path.name}: invalid JSON: {e}")
            continue
        uid = d.get("uid")
        if not uid or uid in uids:
            errors.append(f"{path.name}: missing or duplicate uid {uid!r}")
        uids[uid] = path.name
        if not d.get("title") or not d.get("panels"):
            errors.append(f"{path.name}: no title or no panels")
        for p in d.get("panels", []):
            targets = p.get("targets") or []
            if not targets:
                errors.append(f"{path.name}: panel {p.get('title')!r} has no query")
            for t in targets:
                ds = t.get("datasource") or p.get("datasource") or {}
                if ds.get("uid") != "doxin-prometheus":
                    errors.append(f"{path.name}: panel {p.get('title')!r} not on data source doxin-prometheus")
                expr = t.get("expr", "")
                if not expr.strip():
                    errors.append(f"{path.name}: panel {p.get('title')!r} has an empty query")
                n_queries += 1
                for name in metric_names(expr):
                    used.setdefault(name, f"{path.name}: {p.get('title')}")

    n_rules = 0
    for path in sorted((mon / "rules").glob("*.yml")):
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        for g in doc.get("groups", []):
            for r in g.get("rules", []):
                n_rules += 1
                for name in metric_names(str(r.get("expr", ""))):
                    used.setdefault(name, f"{path.name}: {r.get('alert') or r.get('record')}")

    for name, where in sorted(used.items()):
        if not known(name, table):
            errors.append(f"{where} uses {name}, which METRICS.md does not list")

    rust = "\n".join(
        p.read_text(encoding="utf-8", errors="replace")
        for p in (root / "crates").rglob("*.rs")
        if "/tests/" not in str(p)
    )
    def in_rust(name):
        # Written out (database figures), or registered in crates/doxin-metrics: without the
        # `doxin_` prefix the registry adds, and without the `_total` it adds to counters.
        if re.search(re.escape(name) + r"(?![a-z0-9_])", rust):
            return True
        short = name[len("doxin_"):]
        candidates = {short, short[: -len("_total")] if short.endswith("_total") else short}
        return any(f'"{c}"' in rust for c in candidates)

    missing_code = []
    for name, row in table.items():
        if row["exists"] and name.startswith("doxin_"):
            if not in_rust(name):
                missing_code.append(name)
    for name in missing_code:
        errors.append(f"METRICS.md says {name} exists, but no Rust source under crates/ contains it")
    unused = sorted(n for n in table if not any(known(u, {n: table[n]}) for u in used))
    todo = sorted(n for n, row in table.items() if not row["exists"])
    implemented = [n for n in todo if n.startswith("doxin_") and in_rust(n)]

    for e in errors:
        print(f"  metrics: {e}")
    print(
        f"  metrics: {len(boards)} dashboards, {n_queries} panel queries, {n_rules} rules, "
        f"{len(used)} metric names, all in METRICS.md" if not errors else "  metrics: FAILED"
    )
    if unused:
        print(f"  metrics: listed but unused by dashboards and rules: {', '.join(unused)}")
    print(f"  metrics: exists=no ({len(todo)}): {', '.join(todo)}")
    if implemented:
        print(f"  metrics: now found in the Rust code, mark exists=yes: {', '.join(implemented)}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
