#!/usr/bin/env bash
# The web interface in a real browser (issue 14): the end-to-end flow, axe-core on every page
# in light and dark, screenshots, and page weight / Lighthouse figures (tests/browser/).
#
#   scripts/browser-tests.sh            all three suites (scripts/test.sh runs it after the tests)
#   scripts/browser-tests.sh e2e a11y   only these suites (e2e, a11y, perf)
#
# Installs what it needs: the Debian `chromium` package (apt-get, when /usr/bin/chromium is
# missing) and tests/browser's npm packages (`npm ci`, when node_modules is missing or older
# than the lock file). Starts the already-built `$CARGO_TARGET_DIR/debug/doxin serve` (built
# here when missing) on a free port over a fresh SQLite data directory (its in-process worker
# reads the uploads), takes the one-time setup token from its JSON log, runs the suites and
# stops the server. Exit status: non-zero when any suite failed.
#
# Environment knobs:
#   DOXIN_BROWSER_REQUIRE_ALL=1|0  a page of the interface that does not exist (404) fails the
#                               suites (1, the default) or is reported as SKIP (0, while pages
#                               are still being built)
#   DOXIN_BROWSER_OUT           output folder (default target/browser): screenshots/,
#                               figures.json, server.log
#   DOXIN_TEST_MINILM_DIR       when set (scripts/test.sh sets it), semantic search uses the
#                               local all-MiniLM-L6-v2 model; otherwise the hash embedder
#   CARGO_TARGET_DIR            defaults to /work/.cache/doxin-target
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"
add_tool_paths

SUITES=("$@")
((${#SUITES[@]})) || SUITES=(e2e a11y perf)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/.cache/doxin-target}
BIN=$CARGO_TARGET_DIR/debug/doxin
WEB=$ROOT/tests/browser
OUT=${DOXIN_BROWSER_OUT:-$ROOT/target/browser}
export DOXIN_BROWSER_OUT=$OUT
export DOXIN_BROWSER_REQUIRE_ALL=${DOXIN_BROWSER_REQUIRE_ALL:-1}
export CHROMIUM=${CHROMIUM:-/usr/bin/chromium}

section "browser tests: installing"
if [[ ! -x $CHROMIUM ]]; then
    info "installing the Debian chromium package"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium ||
        { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium; }
fi
[[ -x $CHROMIUM ]] || die "no Chromium at $CHROMIUM"
info "$("$CHROMIUM" --version 2>/dev/null || echo chromium)"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    info "installing the Debian nodejs and npm packages"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends nodejs npm
fi
command -v node >/dev/null 2>&1 || die "node not found (Node 18.16 or later; 20 is what this was run with)"
lock_sum=$(sha256sum "$WEB/package-lock.json" | cut -d' ' -f1)
if [[ ! -d $WEB/node_modules || $(cat "$WEB/node_modules/.doxin-lock" 2>/dev/null) != "$lock_sum" ]]; then
    info "npm ci in tests/browser (node $(node --version))"
    (cd "$WEB" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error)
    echo "$lock_sum" >"$WEB/node_modules/.doxin-lock"
fi

if [[ ! -x $BIN ]]; then
    section "building doxin (not built yet)"
    LOCKED=()
    [[ -f Cargo.lock ]] && LOCKED=(--locked)
    cargo build --workspace --tests "${LOCKED[@]}"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/doxin-browser.XXXXXX")
SERVER_PID=""
# shellcheck disable=SC2317  # invoked via trap
stop_server() {
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 1 40); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.25
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
# shellcheck disable=SC2317  # invoked via trap
finish() {
    local rc=$?
    trap - EXIT
    stop_server
    [[ -f $WORK/server.log ]] && cp "$WORK/server.log" "$OUT/server.log" 2>/dev/null
    rm -rf "$WORK"
    exit "$rc"
}
trap finish EXIT
mkdir -p "$OUT"

section "browser tests: generated invoices"
FILES=$WORK/files
# Seeds whose documents the rules reader reads completely (two consistent ones, approved
# automatically at the default threshold) and one whose printed total does not add up.
"$BIN" demo files --out "$FILES" --count 2 --seed 5 >/dev/null
"$BIN" demo files --out "$FILES" --count 1 --misprinted 1 --seed 66 >/dev/null
export DOXIN_FILES_DIR=$FILES
info "$(cd "$FILES" && echo *.pdf)"

section "browser tests: starting doxin serve"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/data"
SERVER_ENV=(
    HOME="$WORK" DATA_DIR="$WORK/data" HOST=127.0.0.1 PORT="$PORT" LOG_FORMAT=json
    RUST_LOG="info,pdf_oxide=warn,lopdf=warn"
    # The suites sign in many times from one address (the default allows 10 a minute).
    AUTH_RATE_LIMIT_PER_MINUTE=600
)
if [[ -n ${DOXIN_TEST_MINILM_DIR:-} && -d ${DOXIN_TEST_MINILM_DIR:-} ]]; then
    SERVER_ENV+=(EMBEDDINGS_PROVIDER=local EMBEDDINGS_MODEL_DIR="$DOXIN_TEST_MINILM_DIR" HF_HUB_OFFLINE=1)
fi
(cd "$WORK" && exec env -i PATH="$PATH" "${SERVER_ENV[@]}" "$BIN" serve >"$WORK/server.log" 2>&1) &
SERVER_PID=$!
export DOXIN_BASE_URL=http://127.0.0.1:$PORT
export DOXIN_BROWSER_BASE_URL=$DOXIN_BASE_URL
token=""
for _ in $(seq 1 120); do
    token=$(grep -o '"setup_token":"[^"]*"' "$WORK/server.log" 2>/dev/null | head -1 | cut -d'"' -f4 || true)
    [[ -n $token ]] && curl -fsS -o /dev/null "$DOXIN_BASE_URL/login" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -30 "$WORK/server.log" >&2; die "doxin serve exited"; }
    sleep 0.5
done
[[ -n $token ]] || { tail -30 "$WORK/server.log" >&2; die "no setup_token in the server log"; }
export DOXIN_SETUP_TOKEN=$token
info "doxin serve on $DOXIN_BASE_URL (pid $SERVER_PID), data in $WORK/data"

rc=0
declare -A RESULT
for suite in "${SUITES[@]}"; do
    section "browser tests: $suite"
    start=$SECONDS
    if (cd "$WEB" && node "$suite.mjs"); then RESULT[$suite]="ok"; else
        RESULT[$suite]="FAILED"
        rc=1
    fi
    RESULT[$suite]+=" ($((SECONDS - start)) s)"
done
stop_server

section "browser tests: summary"
for suite in "${SUITES[@]}"; do info "$suite: ${RESULT[$suite]}"; done
info "screenshots: $OUT/screenshots  figures: $OUT/figures.json  server log: $OUT/server.log"
exit "$rc"
