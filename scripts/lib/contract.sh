# shellcheck shell=bash
# The API contract check: schemathesis (PyPI) against a real `doxin serve` and its own
# /api/v1/openapi.json. Source it after scripts/lib/common.sh.
#
#   ensure_schemathesis           venv with schemathesis==$SCHEMATHESIS_VERSION, sets SCHEMATHESIS
#   run_contract_tests BIN [URL]  serve BIN on a temporary SQLite data dir (or the empty PostgreSQL
#                                 database at URL), seed it, run schemathesis
#
# Knobs: DOXIN_CONTRACT_MAX_EXAMPLES (per operation and phase, default 50),
#        DOXIN_CONTRACT_SEED (default 1, for reproducible runs),
#        DOXIN_CONTRACT_INCLUDE (a path regex: only those operations, e.g. '^/api/v1/reports',
#        when working on one route group; the full run checks every operation).

SCHEMATHESIS_VERSION=${SCHEMATHESIS_VERSION:-4.32.5}
SCHEMATHESIS=""

# A virtual environment of its own: schemathesis has many dependencies (hypothesis, httpx,
# jsonschema…) that must not meet the system's or other tools' packages.
ensure_schemathesis() {
    ensure_pip_venv doxin-schemathesis schemathesis "$SCHEMATHESIS_VERSION"
    SCHEMATHESIS=$PIP_VENV/bin/schemathesis
    "$SCHEMATHESIS" --version >/dev/null 2>&1 || die "$SCHEMATHESIS does not run"
    info "schemathesis: $("$SCHEMATHESIS" --version 2>&1 | head -1)"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

CONTRACT_PID=""
CONTRACT_DIR=""

stop_contract_server() {
    if [[ -n $CONTRACT_PID ]]; then
        kill "$CONTRACT_PID" 2>/dev/null || true
        wait "$CONTRACT_PID" 2>/dev/null || true
        CONTRACT_PID=""
    fi
    if [[ -n $CONTRACT_DIR ]]; then
        rm -rf "$CONTRACT_DIR"
        CONTRACT_DIR=""
    fi
}

# run_contract_tests BIN [DATABASE_URL]: returns schemathesis's exit status (0: every check
# passed). Without DATABASE_URL the server uses a SQLite file in a temporary data directory.
run_contract_tests() {
    local bin=$1 database_url=${2:-} port email=contract-admin@example.com password token log rc
    local webhook_secret webhook_rc
    [[ -x $bin ]] || die "no doxin binary at $bin"
    [[ -n $SCHEMATHESIS ]] || die "ensure_schemathesis first"
    CONTRACT_DIR=$(mktemp -d "${TMPDIR:-/tmp}/doxin-contract.XXXXXX")
    port=$(free_port)
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    # The alert webhook answers 503 without a secret; with one, the run below exercises it.
    webhook_secret=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
    log=$CONTRACT_DIR/serve.log
    # Only what this run needs: a fresh SQLite data dir, no Redis (in-process queue), no LLM
    # keys; the environment of the caller (DATABASE_URL, REDIS_URL…) must not leak in.
    local -a env=(
        env -i "PATH=$PATH" "HOME=$CONTRACT_DIR" "DATA_DIR=$CONTRACT_DIR/data" "PORT=$port"
        "HOST=127.0.0.1" "LOG_LEVEL=warn" "WEBHOOK_SECRET=$webhook_secret"
    )
    # An empty PostgreSQL database instead of SQLite, when given.
    [[ -n $database_url ]] && env+=("DATABASE_URL=$database_url")
    mkdir -p "$CONTRACT_DIR/data"
    # From the temporary directory, so no `.env` of the working tree is read.
    pushd "$CONTRACT_DIR" >/dev/null || die "cd $CONTRACT_DIR"
    "${env[@]}" "$bin" migrate >"$CONTRACT_DIR/migrate.log" 2>&1 ||
        { cat "$CONTRACT_DIR/migrate.log"; die "doxin migrate failed"; }
    "${env[@]}" DOXIN_USER_PASSWORD="$password" "$bin" user create --email "$email" \
        --name "Contract Admin" --admin >/dev/null || die "doxin user create failed"
    token=$("${env[@]}" "$bin" user token --email "$email" --name schemathesis) ||
        die "doxin user token failed"
    [[ $token == dxn_* ]] || die "doxin user token printed no dxn_ token"

    "${env[@]}" "$bin" serve >"$log" 2>&1 &
    CONTRACT_PID=$!
    if ! wait_until 60 curl -fsS "http://127.0.0.1:$port/api/health"; then
        cat "$log"
        stop_contract_server
        die "doxin serve did not come up on $port"
    fi
    info "doxin serve on 127.0.0.1:$port (pid $CONTRACT_PID, log $log)"

    # One real document, so lists and counts have something in them.
    printf 'INVOICE\nInvoice number: CT-1\nDate: 2026-01-15\nSeller: Contract GmbH\nTotal: 119.00 EUR\n' \
        >"$CONTRACT_DIR/invoice.txt"
    curl -fsS -H "Authorization: Bearer $token" -F "file=@$CONTRACT_DIR/invoice.txt" \
        "http://127.0.0.1:$port/api/v1/invoices/upload" >/dev/null ||
        { cat "$log"; stop_contract_server; die "seeding upload failed"; }

    # Excluded, because they would end the run's own credential: revoking API tokens (the
    # stateful phase can read the token's id from GET /api-tokens and revoke it). Everything
    # else runs, logout and change-password included (with an API token, logout ends no
    # session, and a change needs the current password, which schemathesis does not know).
    local -a cmd=(
        "$SCHEMATHESIS" run "http://127.0.0.1:$port/api/v1/openapi.json"
        --checks not_a_server_error,response_schema_conformance
        -H "Authorization: Bearer $token"
        --exclude-operation-id revoke_api_token
        --max-examples "${DOXIN_CONTRACT_MAX_EXAMPLES:-50}"
        --seed "${DOXIN_CONTRACT_SEED:-1}"
        # One worker: hypothesis 6 on Python 3.11 can fail with "AST constructor recursion
        # depth mismatch" when two threads describe lambdas at once (a tool error, not ours).
        --workers 1
        --request-timeout 30
        --no-color
        --report json --report-json-path "$CONTRACT_DIR/report.json"
    )
    [[ -n ${DOXIN_CONTRACT_INCLUDE:-} ]] && cmd+=(--include-path-regex "$DOXIN_CONTRACT_INCLUDE")
    info "${cmd[*]//$token/dxn_…}"
    set +e
    "${cmd[@]}" 2>&1 | tee "$CONTRACT_DIR/schemathesis.out" | sed "s/$token/dxn_…/g"
    rc=${PIPESTATUS[0]}
    # The alert webhook takes the shared secret, not a user's token: a second run of that one
    # operation with the secret, so schemathesis reaches past the 401.
    local -a webhook_cmd=(
        "$SCHEMATHESIS" run "http://127.0.0.1:$port/api/v1/openapi.json"
        --checks not_a_server_error,response_schema_conformance
        -H "Authorization: Bearer $webhook_secret"
        --include-operation-id alerts_webhook
        # It has no links to follow: no stateful phase.
        --phases examples,coverage,fuzzing
        --max-examples "${DOXIN_CONTRACT_MAX_EXAMPLES:-50}"
        --seed "${DOXIN_CONTRACT_SEED:-1}"
        --workers 1
        --request-timeout 30
        --no-color
    )
    info "schemathesis: the alert webhook with WEBHOOK_SECRET"
    "${webhook_cmd[@]}" 2>&1 | tee -a "$CONTRACT_DIR/schemathesis.out" |
        sed -e "s/$token/dxn_…/g" -e "s/$webhook_secret/<WEBHOOK_SECRET>/g"
    webhook_rc=${PIPESTATUS[0]}
    ((rc != 0)) || rc=$webhook_rc
    set -e
    # The summary's case count, once more at the end where it is easy to find.
    # ("Test cases:" is followed by e.g. "1771 generated, 1771 passed".)
    # Two runs, two summaries: all operations with the user's token, then the webhook.
    info "schemathesis test cases: $(grep -A1 '^Test cases:' "$CONTRACT_DIR/schemathesis.out" |
        grep -v -e '^Test cases:' -e '^--' | sed 's/^ *//' | paste -sd ';' -)"
    if ((rc != 0)); then
        info "doxin serve log (last 40 lines):"
        tail -n 40 "$log" | sed 's/^/   /'
    fi
    popd >/dev/null || true
    stop_contract_server
    return "$rc"
}
