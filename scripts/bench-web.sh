#!/usr/bin/env bash
# Server time of the web interface's heaviest pages on PostgreSQL: seeds COUNT synthetic
# invoices (default 100,000) over 5 users, starts a release `doxin serve --no-worker`, signs
# in through the sign-in form as a user and as the administrator, and measures with wrk
# (one connection, so the figure is the server's time for one page, not queueing) the
# dashboard, the invoices page (first page, a filtered page, a full-text search) and the
# review page of an invoice that needs review. Prints p50/p99 and the page size.
#
#   BENCH_PG=postgres://postgres@127.0.0.1:5434/postgres scripts/bench-web.sh
#
# Needs: a PostgreSQL with pgvector and pg_trgm at BENCH_PG (an admin URL: the script creates
# and drops the database doxin_bench_web), psql, wrk (apt-get install wrk). Figures go to
# docs/benchmarks.md by hand. The server, the database and wrk share the machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BENCH_PG=${BENCH_PG:?set BENCH_PG to a PostgreSQL admin URL}
COUNT=${COUNT:-100000}
DURATION=${DURATION:-10s}
PORT=${PORT:-8766}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/.cache/doxin-target}
BIN=$CARGO_TARGET_DIR/release/doxin
SEED=$CARGO_TARGET_DIR/release/examples/seed_invoices

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    cargo build --release -p doxin -q
    cargo build --release -p doxin-store --example seed_invoices -q
fi

base=${BENCH_PG%/*}
db_url="$base/doxin_bench_web"
psql -q "$BENCH_PG" -c "DROP DATABASE IF EXISTS doxin_bench_web" -c "CREATE DATABASE doxin_bench_web"

work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL=$db_url DATA_DIR=$work LOG_FORMAT=json RUST_LOG=warn \
    DATABASE_MAX_CONNECTIONS=${DATABASE_MAX_CONNECTIONS:-32} PORT HOST=127.0.0.1 \
    SECRET_KEY=bench-secret-key-0123456789abcdef0123 JWT_SECRET_KEY=bench-jwt-key-0123456789abcdef0123 \
    AUTH_RATE_LIMIT_PER_MINUTE=1000
export DOXIN_USER_PASSWORD="bench password 123"
"$BIN" user create --email admin@bench.test --admin >/dev/null
for i in 1 2 3 4; do "$BIN" user create --email "user$i@bench.test" >/dev/null; done
"$SEED" "$db_url" "$COUNT"
psql -q "$db_url" -c "VACUUM ANALYZE"

"$BIN" serve --no-worker >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break
    sleep 0.2
done

# Signs in through the form; prints the Cookie header value.
cookie_of() {
    local jar="$work/jar-$1"
    curl -sf -o /dev/null -c "$jar" --data-urlencode "email=$1" \
        --data-urlencode "password=$DOXIN_USER_PASSWORD" "http://127.0.0.1:$PORT/login"
    awk '$6 ~ /^doxin_/ {printf "%s=%s; ", $6, $7}' "$jar"
}
user_cookie=$(cookie_of user1@bench.test)
admin_cookie=$(cookie_of admin@bench.test)
review_id=$(curl -sf -H "Cookie: $user_cookie" \
    "http://127.0.0.1:$PORT/api/v1/invoices?status=needs_review&per_page=1" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

run() {
    local who=$1 cookie=$2 path=$3
    local size
    size=$(curl -sf -o /dev/null -w '%{size_download}' -H "Cookie: $cookie" "http://127.0.0.1:$PORT$path")
    echo "== $who GET $path  ($size bytes)"
    wrk -t1 -c1 -d"$DURATION" --latency -H "Cookie: $cookie" "http://127.0.0.1:$PORT$path" \
        | grep -E "Requests/sec|50%|99%|Non-2xx|Socket errors"
}

run user "$user_cookie" "/"
run user "$user_cookie" "/invoices"
run user "$user_cookie" "/invoices?status=needs_review&sort=-gross_amount"
run user "$user_cookie" "/invoices?q=toner"
run user "$user_cookie" "/review/$review_id"
run user "$user_cookie" "/invoices/$review_id"
run admin "$admin_cookie" "/invoices"
run admin "$admin_cookie" "/"
echo "== RSS of the server after the runs: $(awk '/VmRSS/ {print $2 " kB"}' /proc/$server/status)"
