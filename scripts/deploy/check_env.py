#!/usr/bin/env python3
"""Checks .env.example and .env.production.example against the configuration code.

    check_env.py REPO_ROOT

- every variable crates/doxin-config reads is in .env.example;
- every variable in either file is one DoxIn reads, or one of the known others below
  (compose-only, object-store credentials, the earlier system's ignored names, issue 15's
  listener ports);
- every variable sits in a block that starts with a comment (each is explained);
- the production file sets ENVIRONMENT=production and has NEON_DATABASE_URL and
  PRODUCTION_REDIS_URL with TLS.
"""

import re
import sys
from pathlib import Path

OTHERS = {
    # read by docker-compose.yml only
    "DOXIN_IMAGE", "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_DB",
    "GRAFANA_ADMIN_USER", "GRAFANA_ADMIN_PASSWORD", "PROMETHEUS_RETENTION",
    # the earlier system's result backend: accepted and ignored
    "CELERY_RESULT_BACKEND",
    # object_store's own variables (STORAGE_URL=s3://… / gs://…)
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_ENDPOINT",
    "GOOGLE_SERVICE_ACCOUNT",
    # issue 15: the worker metrics listener and the worker monitor
    "WORKER_METRICS_PORT", "MONITOR_PORT",
}
# read by DoxIn, but from the real environment only, never from a .env file
NOT_IN_FILE = {"DOXIN_ENV_FILE", "DOXIN_USER_PASSWORD"}


def config_vars(root):
    names = set()
    for p in (root / "crates" / "doxin-config" / "src").rglob("*.rs"):
        text = p.read_text(encoding="utf-8")
        text = text.split("#[cfg(test)]")[0]
        names |= set(re.findall(r'"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})"', text))
    names.discard("CARGO_PKG_VERSION")
    return names


def parse(path, errors):
    out = {}
    block_commented = False
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        s = line.strip()
        if not s:
            block_commented = False
            continue
        if s.startswith("#"):
            block_commented = True
            continue
        m = re.match(r"([A-Z][A-Z0-9_]*)=(.*)$", s)
        if not m:
            errors.append(f"{path.name}:{n}: not NAME=value")
            continue
        if not block_commented:
            errors.append(f"{path.name}:{n}: {m.group(1)} has no comment")
        if m.group(1) in out:
            errors.append(f"{path.name}:{n}: {m.group(1)} twice")
        out[m.group(1)] = m.group(2)
    return out


def main():
    root = Path(sys.argv[1] if len(sys.argv) > 1 else ".")
    errors = []
    read = config_vars(root) - NOT_IN_FILE
    dev = parse(root / ".env.example", errors)
    prod = parse(root / ".env.production.example", errors)
    for name in sorted(read - set(dev)):
        errors.append(f".env.example: misses {name}, which crates/doxin-config reads")
    for fname, vars_ in ((".env.example", dev), (".env.production.example", prod)):
        for name in sorted(set(vars_) - read - OTHERS):
            errors.append(f"{fname}: {name} is read neither by DoxIn nor by the compose file")
    if prod.get("ENVIRONMENT") != "production":
        errors.append(".env.production.example: ENVIRONMENT is not production")
    if not re.search(r"[?&]sslmode=(require|verify-ca|verify-full)(&|$)", prod.get("NEON_DATABASE_URL", "")):
        errors.append(".env.production.example: NEON_DATABASE_URL without sslmode=require|verify-ca|verify-full")
    if not prod.get("PRODUCTION_REDIS_URL", "").startswith("rediss://"):
        errors.append(".env.production.example: PRODUCTION_REDIS_URL is not rediss://")
    for e in errors:
        print(f"  env: {e}")
    if not errors:
        print(
            f"  env: .env.example lists all {len(read)} variables crates/doxin-config reads; "
            f"{len(dev)} + {len(prod)} variables, each explained"
        )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
