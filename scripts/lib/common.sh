# shellcheck shell=bash
# Small helpers shared by the scripts in scripts/. Source it; do not execute it.

DOXIN_SCRIPT_START=${DOXIN_SCRIPT_START:-$SECONDS}

section() { printf '\n== %s  (t+%ss)\n' "$*" "$((SECONDS - DOXIN_SCRIPT_START))"; }
info() { printf '   %s\n' "$*"; }
warn() { printf 'WARNING: %s\n' "$*" >&2; }
die() {
    printf 'ERROR: %s\n' "$*" >&2
    exit 1
}

is_root() { [[ ${EUID:-$(id -u)} -eq 0 ]]; }

# Run a command as root (directly, or via sudo when not root).
as_root() {
    if is_root; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root for: $*"
    fi
}

# Put the usual per-user tool locations on PATH when a non-login shell (CI) lacks them.
add_tool_paths() {
    local d
    for d in "$HOME/.cargo/bin" "$HOME/.pyenv/shims" "$HOME/.pyenv/bin" /usr/local/bin; do
        if [[ -d $d && ":$PATH:" != *":$d:"* ]]; then
            PATH="$d:$PATH"
        fi
    done
    # runuser, useradd, pg_ctlcluster helpers live in sbin; a minimal PATH may lack it.
    for d in /usr/local/sbin /usr/sbin /sbin; do
        if [[ -d $d && ":$PATH:" != *":$d:"* ]]; then
            PATH="$PATH:$d"
        fi
    done
    export PATH
}

# wait_until SECONDS CMD...: retry CMD every 0.5s until it succeeds or SECONDS elapse.
wait_until() {
    local timeout=$1
    shift
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        ((SECONDS < deadline)) || return 1
        sleep 0.5
    done
}
