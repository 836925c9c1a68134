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

# A Python tool in a virtual environment of its own (its dependencies must not meet the
# system's or other tools' packages), kept by version under /opt as root, else the user's
# cache: `ensure_pip_venv NAME PACKAGE VERSION` sets PIP_VENV to its directory. A venv is not
# relocatable, so it is built in place; `.complete` marks success and a half-built one is
# removed first.
PIP_VENV=""
ensure_pip_venv() {
    local name=$1 package=$2 version=$3 home py="" p
    if is_root; then
        home=/opt/$name/$version
    else
        home=${XDG_CACHE_HOME:-$HOME/.cache}/$name/$version
    fi
    for p in python3 "$HOME/.pyenv/shims/python3" /usr/bin/python3; do
        if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import venv' >/dev/null 2>&1; then
            py=$p
            break
        fi
    done
    [[ -n $py ]] || die "no python3 with venv found to install $package"
    if [[ ! -f $home/.complete ]]; then
        rm -rf "$home"
        mkdir -p "$(dirname "$home")"
        info "installing $package==$version into $home (via $py)"
        "$py" -m venv "$home" || die "python3 -m venv $home failed"
        PIP_ROOT_USER_ACTION=ignore "$home/bin/pip" install --quiet \
            --disable-pip-version-check --no-input "$package==$version" </dev/null ||
            die "pip could not install $package==$version"
        chmod -R a+rX "$home"
        echo "$version" >"$home/.complete"
    fi
    PIP_VENV=$home
}

