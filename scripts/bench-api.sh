#!/usr/bin/env bash
# Load test of the invoice API on PostgreSQL, at one or more sizes (issue 16's goal table).
#
# For each size in SIZES (default 100000) it seeds a fresh database (BENCH_DB) with that many
# synthetic invoices over 5 users (an administrator and four users; 1–6 lines each, 400
# sellers, 4 currencies, issue dates over three years, semantic-search vectors of the default
# hash embedder), starts a release `doxin serve --no-worker`, and runs wrk (-t2, CONNECTIONS
# connections, DURATION) against every request of the goal table, as the administrator (who
# sees every invoice) and as a user (who sees a fifth of them):
#
#   health · list (50 a page) · list filtered by vendor, by an issue-date month, by an amount
#   range · detail of an invoice with lines · full-text search, broad ("toner", one invoice
#   in six) and narrow ("Nordwind Logistik", one in 400) · semantic search · dashboard stats
#   · CSV export of (up to) 10,000 invoices — the export is not a wrk run: EXPORT_RUNS
#   requests one after the other with curl, the median and the slowest reported.
#
# Before timing a request it asks it once and prints the status and what came back (the
# total of a list or search, the hits of a semantic search, the rows of the export), so the
# reader sees each request did what its name says. At the end it prints one Markdown table
# (size | request | who | req/s | p50 | p99 | non-2xx / timeouts) and one of seeding time and
# server RSS (VmRSS idle after start, and after the load) per size, and writes both to OUT.
#
#   BENCH_PG=postgres://postgres@127.0.0.1:5434/postgres scripts/bench-api.sh
#   SIZES="10000 100000 1000000" BENCH_PG=… scripts/bench-api.sh      # the scaling curve
#
# Settings (environment):
#   BENCH_PG     PostgreSQL admin URL (required); the database BENCH_DB (default doxin_bench)
#                is dropped and created for every size: give two runs at once different
#                BENCH_DB and PORT
#   SIZES        invoice counts, space-separated (default 100000)
#   DURATION     wrk duration per request (default 20s); CONNECTIONS (default 64); PORT (8765)
#   EXPORT_RUNS  timed CSV exports per caller (default 5)
#   OUT          where the tables go (default bench-api-results.md in a new temporary folder;
#                the path is printed)
#   SKIP_BUILD=1 use the binaries already built under CARGO_TARGET_DIR
#                (default /work/.cache/doxin-target): release/doxin and the seeder
#   SEEDER       the seeder binary (default $CARGO_TARGET_DIR/release/examples/seed_invoices)
#   SKIP_SEED=1  reuse BENCH_DB when it holds exactly the size's invoices (the last size of an
#                earlier run), migrated to the current schema, instead of seeding it again
#
# Seeding (`seed_invoices --bulk`: 1,000 invoices a statement, the HNSW index built once at
# the end), measured on the 2-core machine with PostgreSQL beside it: 10,000 invoices in 4 s;
# 100,000 in 65 s (26 s of loading at ~4,000/s, 40 s of HNSW index); 1,000,000 in 16 min
# (237 s of loading, 712 s of HNSW index over 1,000,000 vectors). VACUUM ANALYZE adds seconds.
# Then 19 wrk runs a size: about 7 minutes at the default 20 s.
#
# Needs: a PostgreSQL with pgvector and pg_trgm at BENCH_PG, psql, curl, python3, wrk
# (apt-get install wrk). wrk counts a request not answered within 2 s as a timeout. The server,
# the database and wrk share the machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BENCH_PG=${BENCH_PG:?set BENCH_PG to a PostgreSQL admin URL}
SIZES=${SIZES:-100000}
DURATION=${DURATION:-20s}
CONNECTIONS=${CONNECTIONS:-64}
PORT=${PORT:-8765}
EXPORT_RUNS=${EXPORT_RUNS:-5}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/.cache/doxin-target}
BIN=$CARGO_TARGET_DIR/release/doxin
SEEDER=${SEEDER:-$CARGO_TARGET_DIR/release/examples/seed_invoices}

for tool in wrk psql curl python3; do
    command -v "$tool" >/dev/null || { echo "$tool is missing (wrk: apt-get install wrk)" >&2; exit 1; }
done
for size in $SIZES; do
    [[ $size =~ ^[0-9]+$ && $size -gt 0 ]] || { echo "SIZES: $size is not a count" >&2; exit 1; }
done
if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    cargo build --release -p doxin -q
    cargo build --release -p doxin-store --example seed_invoices -q
fi
for f in "$BIN" "$SEEDER"; do
    [[ -x $f ]] || { echo "$f is missing: build it, or unset SKIP_BUILD" >&2; exit 1; }
done

work=$(mktemp -d)
OUT=${OUT:-$(mktemp -d)/bench-api-results.md}
server=
stop_server() {
    if [[ -n $server ]]; then
        kill "$server" 2>/dev/null || true
        wait "$server" 2>/dev/null || true
        server=
    fi
}
trap 'stop_server; rm -rf "$work"' EXIT

base=${BENCH_PG%/*}
BENCH_DB=${BENCH_DB:-doxin_bench}
[[ $BENCH_DB =~ ^[a-z_][a-z0-9_]*$ ]] || { echo "BENCH_DB: $BENCH_DB is not a plain name" >&2; exit 1; }
db_url="$base/$BENCH_DB"
export DATABASE_URL=$db_url DATA_DIR=$work LOG_FORMAT=json RUST_LOG=warn \
    DATABASE_MAX_CONNECTIONS=${DATABASE_MAX_CONNECTIONS:-32} PORT HOST=127.0.0.1 \
    EMBEDDINGS_PROVIDER=hash \
    SECRET_KEY=bench-secret-key-0123456789abcdef0123 JWT_SECRET_KEY=bench-jwt-key-0123456789abcdef0123
export DOXIN_USER_PASSWORD="bench password 123"
url="http://127.0.0.1:$PORT"

# wrk's summary in one line: req/s, p50 ms, p99 ms, non-2xx, timeouts, other socket errors.
cat >"$work/report.lua" <<'LUA'
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("WRK_RESULT %.1f %.2f %.2f %d %d %d\n",
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.status, e.timeout, e.connect + e.read + e.write))
end
LUA

# What a response holds, in a few words: a list's or search's total, a semantic search's hits
# and best score, the dashboard's invoice count, a detail's lines.
cat >"$work/describe.py" <<'PY'
import json, sys
d = json.load(sys.stdin)
if isinstance(d, dict) and "pagination" in d:
    p = d["pagination"]
    est = " (estimate)" if p.get("total_is_estimate") else ""
    print(f"total {p['total']}{est}, {len(d['items'])} on this page")
elif isinstance(d, dict) and "model" in d and "items" in d:
    best = d["items"][0]["score"] if d["items"] else None
    print(f"{len(d['items'])} hits (model {d['model']}), best score {best}")
elif isinstance(d, dict) and "total_invoices" in d:
    print(f"total_invoices {d['total_invoices']}, by_status {d.get('by_status')}")
elif isinstance(d, dict) and "lines" in d:
    print(f"invoice {d.get('id')} with {len(d['lines'])} lines")
elif isinstance(d, dict) and "invoice" in d:
    print(f"invoice {d.get('id')} with {len(d['invoice'].get('lines', []))} lines")
else:
    print(str(d)[:120])
PY

rows=()       # one Markdown row a timed request
size_rows=()  # one Markdown row a size
fail=0

# check WHO TOKEN PATH: asks once; prints the status and what came back; 1 unless 200.
check() {
    local who=$1 token=$2 path=$3 code
    local auth=()
    [[ -n $token ]] && auth=(-H "Authorization: Bearer $token")
    code=$(curl -s -o "$work/body" -w '%{http_code}' "${auth[@]}" "$url$path")
    if [[ $code != 200 ]]; then
        echo "   !! $who GET $path answered $code: $(head -c 300 "$work/body")" >&2
        fail=1
        return 1
    fi
    case $path in
        /api/health) echo "   200" ;;
        *) echo "   200: $(python3 "$work/describe.py" <"$work/body" 2>&1 | head -1)" ;;
    esac
}

# timed SIZE LABEL WHO TOKEN PATH: the check, then wrk; appends a table row.
timed() {
    local size=$1 label=$2 who=$3 token=$4 path=$5 line
    echo "== $size · $label · $who · GET $path"
    if ! check "$who" "$token" "$path"; then
        rows+=("| $size | $label | $who | — | — | — | answered non-200, not timed |")
        return
    fi
    local auth=()
    [[ -n $token ]] && auth=(-H "Authorization: Bearer $token")
    line=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$work/report.lua" "${auth[@]}" \
        "$url$path" | grep '^WRK_RESULT' || true)
    if [[ -z $line ]]; then
        echo "   !! wrk printed no result" >&2
        rows+=("| $size | $label | $who | — | — | — | wrk failed |")
        fail=1
        return
    fi
    local _tag rps p50 p99 non2xx timeouts socket errors
    read -r _tag rps p50 p99 non2xx timeouts socket <<<"$line"
    errors="$non2xx / $timeouts"
    [[ $socket != 0 ]] && errors+=" (+$socket socket errors)"
    echo "   $rps req/s, p50 $p50 ms, p99 $p99 ms, non-2xx / timeouts $errors"
    rows+=("| $size | $label | $who | $rps | $p50 ms | $p99 ms | $errors |")
}

# export_csv SIZE WHO TOKEN OWNER_CONDITION: the CSV export of the newest (up to) 10,000
# invoices the caller sees, by an issue-date lower bound found in the database; EXPORT_RUNS
# requests one at a time, median and slowest.
export_csv() {
    local size=$1 who=$2 token=$3 cond=$4 from path n times=() code t
    from=$(psql -Atq "$db_url" -c "SELECT issue_date + 1 FROM invoices WHERE deleted_at IS NULL $cond
        ORDER BY issue_date DESC OFFSET 9999 LIMIT 1")
    path="/api/v1/invoices/export?format=csv"
    [[ -n $from ]] && path+="&date_from=$from"
    echo "== $size · CSV export · $who · GET $path  ($EXPORT_RUNS requests, one at a time)"
    code=$(curl -s -o "$work/export.csv" -w '%{http_code}' -H "Authorization: Bearer $token" "$url$path")
    if [[ $code != 200 ]]; then
        echo "   !! answered $code: $(head -c 300 "$work/export.csv")" >&2
        rows+=("| $size | CSV export | $who | — | — | — | answered $code, not timed |")
        fail=1
        return
    fi
    n=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline=""))) - 1)' \
        "$work/export.csv")
    echo "   200: $n invoices, $(wc -c <"$work/export.csv") bytes"
    for _ in $(seq "$EXPORT_RUNS"); do
        t=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' -H "Authorization: Bearer $token" "$url$path")
        [[ ${t% *} == 200 ]] || { echo "   !! a timed export answered ${t% *}" >&2; fail=1; }
        times+=("${t#* }")
    done
    read -r median slowest < <(printf '%s\n' "${times[@]}" | sort -g | awk '
        { v[NR] = $1 } END { printf "%.0f %.0f\n", 1000 * v[int((NR + 1) / 2)], 1000 * v[NR] }')
    echo "   median $median ms, slowest $slowest ms"
    rows+=("| $size | CSV export ($n invoices; $EXPORT_RUNS one at a time: median, slowest) | $who | — | $median ms | $slowest ms | — |")
}

rss() { awk '/^VmRSS/ {printf "%.0f MiB", $2 / 1024}' "/proc/$1/status"; }

for size in $SIZES; do
    echo "#### $size invoices"
    started=$SECONDS
    if [[ ${SKIP_SEED:-0} == 1 ]] &&
        [[ $(psql -Atq "$db_url" -c "SELECT count(*) FROM invoices" 2>/dev/null) == "$size" ]]; then
        # The database of an earlier run at this size, as it was (migrations still apply).
        echo "   reusing $BENCH_DB: it holds $size invoices"
        : >"$work/seed.out"
        "$BIN" migrate >/dev/null
        psql -q "$db_url" -c "ANALYZE"
    else
        psql -q "$BENCH_PG" -c "DROP DATABASE IF EXISTS $BENCH_DB" -c "CREATE DATABASE $BENCH_DB"
        "$BIN" user create --email admin@bench.test --admin >/dev/null
        for i in 1 2 3 4; do "$BIN" user create --email "user$i@bench.test" >/dev/null; done
        if ! "$SEEDER" "$db_url" "$size" --bulk >"$work/seed.out" 2>"$work/seed.log"; then
            echo "seeding failed:" >&2
            tail "$work/seed.log" >&2
            exit 1
        fi
        cat "$work/seed.out"
        psql -q "$db_url" -c "VACUUM ANALYZE"
    fi
    seeded=$((SECONDS - started))
    lines=$(psql -Atq "$db_url" -c "SELECT count(*) FROM invoice_lines")
    admin_token=$("$BIN" user token --email admin@bench.test)
    user_token=$("$BIN" user token --email user1@bench.test)
    user_id=$(psql -Atq "$db_url" -c "SELECT id FROM users WHERE email = 'user1@bench.test'")
    # The user's first invoice with the most lines (6): the detail has something to show.
    detail_id=$(psql -Atq "$db_url" -c "SELECT i.id FROM invoices i JOIN invoice_lines l
        ON l.invoice_id = i.id WHERE i.owner_id = '$user_id' AND l.position = 6 LIMIT 1")

    if curl -s -o /dev/null "$url/api/health"; then
        echo "something already answers on port $PORT (another run?): set PORT" >&2
        exit 1
    fi
    "$BIN" serve --no-worker >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 150); do
        curl -sf "$url/api/health" >/dev/null && break
        kill -0 "$server" 2>/dev/null || { echo "the server stopped:" >&2; tail "$work/serve.log" >&2; exit 1; }
        sleep 0.2
    done
    sleep 1
    rss_idle=$(rss "$server")
    echo "   server RSS idle: $rss_idle"

    timed "$size" "health" "—" "" "/api/health"
    for who in admin user; do
        if [[ $who == admin ]]; then token=$admin_token; else token=$user_token; fi
        timed "$size" "list, 50 a page" "$who" "$token" "/api/v1/invoices?per_page=50"
        timed "$size" "list, vendor filter" "$who" "$token" \
            "/api/v1/invoices?per_page=50&vendor=Nordwind%20Logistik"
        timed "$size" "list, issue-date month" "$who" "$token" \
            "/api/v1/invoices?per_page=50&date_from=2025-06-01&date_to=2025-06-30"
        timed "$size" "list, amount 1,000–1,500" "$who" "$token" \
            "/api/v1/invoices?per_page=50&min_amount=1000&max_amount=1500"
        timed "$size" "detail (6 lines)" "$who" "$token" "/api/v1/invoices/$detail_id"
        timed "$size" "search, broad (toner)" "$who" "$token" \
            "/api/v1/invoices/search?q=toner&per_page=50"
        timed "$size" "search, narrow (Nordwind Logistik)" "$who" "$token" \
            "/api/v1/invoices/search?q=Nordwind%20Logistik&per_page=50"
        timed "$size" "semantic search" "$who" "$token" \
            "/api/v1/invoices/semantic-search?q=laser%20printer%20toner&limit=10"
        timed "$size" "dashboard stats" "$who" "$token" "/api/v1/dashboard/stats"
    done
    export_csv "$size" admin "$admin_token" ""
    export_csv "$size" user "$user_token" "AND owner_id = '$user_id'"
    rss_load=$(rss "$server")
    echo "   server RSS after the load: $rss_load"
    stop_server
    load=$(grep -o 'in [0-9.]* s ([0-9]*/s)' "$work/seed.out" | head -1 || true)
    index=$(grep -o 'HNSW index in [0-9.]* s' "$work/seed.out" || true)
    size_rows+=("| $size | $lines | ${load#in } | ${index#HNSW index in } | $seeded s | $rss_idle | $rss_load |")
done

{
    echo "DoxIn API, $(date -u +%Y-%m-%d), $(nproc) cores; wrk -t2 -c$CONNECTIONS -d$DURATION; 5 users (admin sees all, user a fifth)"
    echo
    echo "| size | request | who | req/s | p50 | p99 | non-2xx / timeouts |"
    echo "|---:|---|---|---:|---:|---:|---|"
    printf '%s\n' "${rows[@]}"
    echo
    echo "| size | lines | seeding: load | HNSW index | in all, with VACUUM ANALYZE | server RSS idle | RSS after the load |"
    echo "|---:|---:|---:|---:|---:|---:|---:|"
    printf '%s\n' "${size_rows[@]}"
} >"$OUT"
echo
cat "$OUT"
echo
echo "written to $OUT"
exit "$fail"
