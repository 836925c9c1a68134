#!/usr/bin/env python3
"""Checks docker-compose.yml, as rendered per profile, against the deployment contract.

    check_compose.py DIR

DIR holds `PROFILE.yml` for each of the eight profiles: the output of
`docker-compose --env-file ENV --profile PROFILE config`. Docker Compose 1.x prints every
service with its `profiles` whatever the profile; Compose 2 prints only the active ones; both
are read the same way (a service is active when it has no profiles or lists PROFILE).

The contract (docs/deployment.md, DESIGN.md "Deployment"): for each profile exactly the
services below, exactly these published ports, a health check of the named kind on every
service, `depends_on` only on healthy services of the same profile, named volumes for data,
and production services that read NEON_DATABASE_URL / PRODUCTION_REDIS_URL through the TLS
guard. Exit status 1 with one line per breach.
"""

import sys
from pathlib import Path

import yaml

LOCAL_DB = {"postgres", "redis"}
MONITORING = {
    "prometheus",
    "grafana",
    "alertmanager",
    "node-exporter",
    "postgres-exporter",
    "redis-exporter",
}

PROFILES = {
    "local-db": LOCAL_DB,
    "api": LOCAL_DB | {"api"},
    "worker": LOCAL_DB | {"worker", "flower"},
    "monitoring": LOCAL_DB | {"flower"} | MONITORING,
    "full": LOCAL_DB | {"api", "worker", "flower"} | MONITORING,
    "production-api": {"api-production"},
    "production-worker": {"worker-production"},
    "production": {"api-production", "worker-production"},
}

# host port -> container port
PORTS = {
    "postgres": {(5433, 5432)},
    "redis": {(6379, 6379)},
    "api": {(8000, 8000)},
    "worker": set(),
    "flower": {(5555, 5555)},
    "prometheus": {(9090, 9090)},
    "grafana": {(3001, 3000)},
    "node-exporter": set(),
    "postgres-exporter": set(),
    "redis-exporter": set(),
    "alertmanager": {(9093, 9093)},
    "api-production": {(8000, 8000)},
    "worker-production": set(),
}

# Each service's health check must contain all of these words, in order.
HEALTH = {
    "postgres": ["pg_isready"],
    "redis": ["redis-cli", "ping"],
    "api": ["curl", "http://127.0.0.1:8000/api/health"],
    "worker": ["doxin", "worker", "--ping"],
    "flower": ["curl", "http://127.0.0.1:5555/api/health"],
    "prometheus": ["http://127.0.0.1:9090/-/healthy"],
    "grafana": ["http://127.0.0.1:3000/api/health"],
    "node-exporter": ["http://127.0.0.1:9100/metrics"],
    "postgres-exporter": ["http://127.0.0.1:9187/metrics"],
    "redis-exporter": ["http://127.0.0.1:9121/metrics"],
    "alertmanager": ["http://127.0.0.1:9093/-/healthy"],
    "api-production": ["curl", "http://127.0.0.1:8000/api/health"],
    "worker-production": ["worker", "--ping"],
}

# Data that must survive `docker compose down`: service -> named volume it mounts.
DATA_VOLUMES = {
    "postgres": "postgres-data",
    "redis": "redis-data",
    "api": "doxin-data",
    "worker": "doxin-data",
    "prometheus": "prometheus-data",
    "grafana": "grafana-data",
    "alertmanager": "alertmanager-data",
    "api-production": "doxin-production-data",
    "worker-production": "doxin-production-data",
}

DOXIN_COMMANDS = {
    "api": ["serve"],
    "worker": ["worker"],
    "flower": ["monitor"],
    "api-production": ["serve"],
    "worker-production": ["worker"],
}


def ports_of(svc):
    out = set()
    for p in svc.get("ports") or []:
        if isinstance(p, dict):
            out.add((int(p["published"]), int(p["target"])))
        else:  # "HOST:CONTAINER" short syntax
            parts = str(p).split("/")[0].split(":")
            out.add((int(parts[-2]), int(parts[-1])))
    return out


def test_words(svc):
    hc = svc.get("healthcheck") or {}
    if hc.get("disable"):
        return None
    test = hc.get("test")
    if not test:
        return None
    if isinstance(test, str):
        return test.split()
    if test[0] in ("CMD", "CMD-SHELL"):
        test = test[1:]
    words = []
    for t in test:
        words.extend(str(t).split())
    return words


def has_in_order(words, wanted):
    text = " ".join(words)
    pos = 0
    for w in wanted:
        i = text.find(w, pos)
        if i < 0:
            return False
        pos = i + len(w)
    return True


def volume_sources(svc):
    out = set()
    for v in svc.get("volumes") or []:
        if isinstance(v, dict):
            if v.get("type", "volume") == "volume":
                out.add(v.get("source"))
        else:
            src = str(v).split(":")[0]
            if not src.startswith((".", "/")):
                out.add(src)
    return out


def active(services, profile):
    return {
        name
        for name, svc in services.items()
        if not svc.get("profiles") or profile in svc["profiles"]
    }


def check_profile(profile, doc, errors):
    services = doc.get("services") or {}
    named_volumes = set((doc.get("volumes") or {}).keys())
    got = active(services, profile)
    want = PROFILES[profile]
    if got != want:
        missing = sorted(want - got)
        extra = sorted(got - want)
        errors.append(f"{profile}: services {sorted(got)}; missing {missing}, unexpected {extra}")
    for name in sorted(got & want):
        svc = services[name]
        where = f"{profile}/{name}"
        if ports_of(svc) != PORTS[name]:
            errors.append(f"{where}: ports {sorted(ports_of(svc))}, contract {sorted(PORTS[name])}")
        words = test_words(svc)
        if words is None:
            errors.append(f"{where}: no health check")
        elif not has_in_order(words, HEALTH[name]):
            errors.append(f"{where}: health check {' '.join(words)!r} is not {HEALTH[name]}")
        deps = svc.get("depends_on") or {}
        if isinstance(deps, list):
            errors.append(f"{where}: depends_on must use condition: service_healthy")
            deps = {}
        for dep, cond in deps.items():
            if (cond or {}).get("condition") != "service_healthy":
                errors.append(f"{where}: depends_on {dep} without condition: service_healthy")
            if dep not in got:
                errors.append(f"{where}: depends on {dep}, which is not in profile {profile}")
        if name in DATA_VOLUMES:
            vol = DATA_VOLUMES[name]
            if vol not in volume_sources(svc) or vol not in named_volumes:
                errors.append(f"{where}: data not on the named volume {vol}")
        if name in DOXIN_COMMANDS:
            cmd = svc.get("command") or []
            if isinstance(cmd, str):
                cmd = cmd.split()
            if cmd[: len(DOXIN_COMMANDS[name])] != DOXIN_COMMANDS[name]:
                errors.append(f"{where}: command {cmd}, expected doxin {DOXIN_COMMANDS[name]}")
        env = svc.get("environment") or {}
        if isinstance(env, list):
            env = dict(e.split("=", 1) if "=" in e else (e, None) for e in env)
        if name.endswith("-production"):
            entry = svc.get("entrypoint") or []
            if isinstance(entry, str):
                entry = entry.split()
            if not any("doxin-require-tls" in str(e) for e in entry):
                errors.append(f"{where}: entrypoint does not go through doxin-require-tls")
            for var in ("NEON_DATABASE_URL", "PRODUCTION_REDIS_URL"):
                if var not in env:
                    errors.append(f"{where}: does not pass {var}")
            for var in ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"):
                if env.get(var):
                    errors.append(f"{where}: sets {var}, which would bypass the production URLs")
            if env.get("ENVIRONMENT") != "production":
                errors.append(f"{where}: ENVIRONMENT is not production")
        elif name in DOXIN_COMMANDS:
            for var in ("DATABASE_URL", "REDIS_URL"):
                if not env.get(var):
                    errors.append(f"{where}: {var} not set")
        if name == "postgres" and "pgvector" not in str(svc.get("image", "")):
            errors.append(f"{where}: image {svc.get('image')} is not a pgvector image")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    root = Path(sys.argv[1])
    errors = []
    for profile in PROFILES:
        path = root / f"{profile}.yml"
        if not path.exists():
            errors.append(f"{profile}: no rendered configuration at {path}")
            continue
        check_profile(profile, yaml.safe_load(path.read_text()), errors)
    for e in errors:
        print(f"  compose contract: {e}")
    if not errors:
        print(f"  compose contract: {len(PROFILES)} profiles, services, ports, health checks, depends_on, volumes ok")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
