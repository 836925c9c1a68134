#!/usr/bin/env bash
# Where the time of one API request goes under load: a `perf` profile of the whole machine
# while wrk drives the request, against the database `scripts/bench-api.sh` left behind.
#
#   BENCH_PG=postgres://postgres@127.0.0.1:5434/postgres \
#       scripts/profile-api.sh '/api/v1/invoices/search?q=toner&per_page=50' [admin|user]
#
# Prints the CPU share of each process (postgres, doxin, wrk, the rest) and the hottest
# functions of the server and of PostgreSQL, and leaves perf.data in the printed folder
# (`perf report -i …` to look further).
#
# Settings (environment): BENCH_PG (required), BENCH_DB (doxin_bench), PORT (8765),
# DURATION (wrk and perf seconds, default 10), CONNECTIONS (64), CARGO_TARGET_DIR (the
# release build; for function names build it with symbols:
# CARGO_PROFILE_RELEASE_DEBUG=line-tables-only CARGO_PROFILE_RELEASE_STRIP=false).
# Needs perf, wrk, psql, curl.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BENCH_PG=${BENCH_PG:?set BENCH_PG to a PostgreSQL admin URL}
request=${1:?give the request path, e.g. /api/v1/invoices?per_page=50}
who=${2:-admin}
BENCH_DB=${BENCH_DB:-doxin_bench}
PORT=${PORT:-8765}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
BIN=${CARGO_TARGET_DIR:-/work/.cache/doxin-target}/release/doxin
for tool in perf wrk psql curl; do
    command -v "$tool" >/dev/null || { echo "$tool is missing" >&2; exit 1; }
done
[[ -x $BIN ]] || { echo "$BIN is missing: cargo build --release -p doxin" >&2; exit 1; }
[[ $who == admin || $who == user ]] || { echo "who: admin or user, not $who" >&2; exit 1; }
[[ $BENCH_DB =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "BENCH_DB: $BENCH_DB is not a plain name" >&2; exit 1; }

out=$(mktemp -d)
export DATABASE_URL=${BENCH_PG%/*}/$BENCH_DB DATA_DIR=$out LOG_FORMAT=json RUST_LOG=warn \
    DATABASE_MAX_CONNECTIONS=${DATABASE_MAX_CONNECTIONS:-32} PORT HOST=127.0.0.1 \
    EMBEDDINGS_PROVIDER=hash \
    SECRET_KEY=bench-secret-key-0123456789abcdef0123 JWT_SECRET_KEY=bench-jwt-key-0123456789abcdef0123
email=admin@bench.test
[[ $who == user ]] && email=user1@bench.test
psql -Atq "$DATABASE_URL" -c "SELECT 1 FROM users WHERE email = '$email'" | grep -q 1 ||
    { echo "$BENCH_DB has no $email: run scripts/bench-api.sh first" >&2; exit 1; }
token=$("$BIN" user token --email "$email")
url="http://127.0.0.1:$PORT"

"$BIN" serve --no-worker >"$out/serve.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 150); do
    curl -sf "$url/api/health" >/dev/null && break
    kill -0 "$server" 2>/dev/null || { echo "the server stopped:" >&2; tail "$out/serve.log" >&2; exit 1; }
    sleep 0.2
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" "$url$request")
[[ $code == 200 ]] || { echo "GET $request answered $code" >&2; exit 1; }

echo "== GET $request as $who: wrk -c$CONNECTIONS for ${DURATION}s under perf (whole machine)"
wrk -t2 -c"$CONNECTIONS" -d"$((DURATION + 2))s" --latency -H "Authorization: Bearer $token" \
    "$url$request" >"$out/wrk.txt" &
wrk_pid=$!
sleep 1
perf record -a -g -F 499 -o "$out/perf.data" -- sleep "$DURATION" 2>"$out/perf-record.log"
wait "$wrk_pid"
grep -E 'Requests/sec|99%|50%' "$out/wrk.txt"
echo
echo "== CPU share per process (all samples on both cores)"
perf report -i "$out/perf.data" --no-children --sort comm --stdio 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -8 || true
echo
echo "== hottest functions of the server (share of all samples)"
perf report -i "$out/perf.data" --no-children --comm doxin,tokio-rt-worker --sort dso,sym --stdio 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -25 || true
echo
echo "== hottest functions of PostgreSQL (share of all samples)"
perf report -i "$out/perf.data" --no-children --comm postgres --sort sym --stdio 2>/dev/null |
    grep -E '^ +[0-9.]+%' | head -20 || true
echo
echo "perf.data and wrk's output: $out"
