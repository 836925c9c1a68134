#!/usr/bin/env bash
# Load test of the invoice API on PostgreSQL: seeds COUNT synthetic invoices (default 100,000)
# spread over 5 users, starts a release `doxin serve --no-worker`, and runs wrk with 64
# connections against the invoice list and full-text search, as an administrator (who sees
# every invoice) and as a user (who sees a fifth of them).
#
#   BENCH_PG=postgres://postgres@127.0.0.1:5434/postgres scripts/bench-api.sh
#
# Needs: a PostgreSQL with pgvector and pg_trgm at BENCH_PG (an admin URL: the script creates
# and drops the database doxin_bench), psql, wrk (apt-get install wrk). Figures go to
# docs/benchmarks.md by hand. The server, the database and wrk share the machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BENCH_PG=${BENCH_PG:?set BENCH_PG to a PostgreSQL admin URL}
COUNT=${COUNT:-100000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-8765}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/.cache/doxin-target}
BIN=$CARGO_TARGET_DIR/release/doxin

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
cargo build --release -p doxin -q
cargo build --release -p doxin-store --example seed_invoices -q

base=${BENCH_PG%/*}
db_url="$base/doxin_bench"
psql -q "$BENCH_PG" -c "DROP DATABASE IF EXISTS doxin_bench" -c "CREATE DATABASE doxin_bench"

work=$(mktemp -d)
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
export DATABASE_URL=$db_url DATA_DIR=$work LOG_FORMAT=json RUST_LOG=warn \
    DATABASE_MAX_CONNECTIONS=${DATABASE_MAX_CONNECTIONS:-32} PORT HOST=127.0.0.1 \
    SECRET_KEY=bench-secret-key-0123456789abcdef0123 JWT_SECRET_KEY=bench-jwt-key-0123456789abcdef0123
export DOXIN_USER_PASSWORD="bench password 123"
"$BIN" user create --email admin@bench.test --admin >/dev/null
for i in 1 2 3 4; do "$BIN" user create --email "user$i@bench.test" >/dev/null; done
"$CARGO_TARGET_DIR/release/examples/seed_invoices" "$db_url" "$COUNT"
psql -q "$db_url" -c "VACUUM ANALYZE"
admin_token=$("$BIN" user token --email admin@bench.test)
user_token=$("$BIN" user token --email user1@bench.test)

"$BIN" serve --no-worker >"$work/serve.log" 2>&1 &
server=$!
for _ in $(seq 100); do
    curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break
    sleep 0.2
done

run() {
    local who=$1 token=$2 path=$3
    echo "== $who GET $path  (-c$CONNECTIONS, $DURATION)"
    curl -sf -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT$path" \
        | python3 -c 'import json,sys; d=json.load(sys.stdin); print("   total:", d["pagination"]["total"], "on this page:", len(d["items"]))'
    wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $token" \
        "http://127.0.0.1:$PORT$path" | grep -E "Requests/sec|Latency  |99%|50%|Non-2xx|Socket errors"
}

run admin "$admin_token" "/api/v1/invoices?per_page=50"
run user "$user_token" "/api/v1/invoices?per_page=50"
run admin "$admin_token" "/api/v1/invoices/search?q=toner&per_page=50"
run user "$user_token" "/api/v1/invoices/search?q=toner&per_page=50"
run admin "$admin_token" "/api/v1/invoices/search?q=Nordwind%20Logistik&per_page=50"
