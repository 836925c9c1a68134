#!/usr/bin/env bash
# OCR cost per image: the whole of `doxin extract FILE` (start-up, the sandbox child,
# decoding, Tesseract, the rules) against Tesseract alone with one language on the same
# file, `tesseract FILE - -l eng --psm 6 tsv`, as it comes and on one OpenMP thread (as
# DoxIn runs it). The commands run one after another for each image, in turned order every
# other round, so that load from elsewhere falls on all alike. Prints wall and CPU seconds
# (user + system of the command and its children) per image and the ratios of the sums.
#
#   scripts/ocr-timing.sh [-r ROUNDS] [-d DOXIN] [-b DOXIN_BEFORE] IMAGE|DIR...
#   scripts/ocr-timing.sh -r 2 -d target/release/doxin /path/to/sroie
#
# -d defaults to target/release/doxin; -b adds a second binary (an older build) as a column.
# Run it with `taskset -c 1` to keep every command on one core.
set -euo pipefail

rounds=1
doxin="${CARGO_TARGET_DIR:-target}/release/doxin"
before=""
while getopts "r:d:b:" opt; do
  case "$opt" in
    r) rounds="$OPTARG" ;;
    d) doxin="$OPTARG" ;;
    b) before="$OPTARG" ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-r ROUNDS] [-d DOXIN] [-b DOXIN_BEFORE] IMAGE|DIR..." >&2; exit 2; }
command -v tesseract >/dev/null || { echo "tesseract is not installed" >&2; exit 1; }
[ -x "$doxin" ] || { echo "no doxin binary at $doxin (cargo build --release -p doxin)" >&2; exit 1; }
doxin="$(cd "$(dirname "$doxin")" && pwd)/$(basename "$doxin")"
if [ -n "$before" ]; then before="$(cd "$(dirname "$before")" && pwd)/$(basename "$before")"; fi

files=()
for a in "$@"; do
  if [ -d "$a" ]; then
    while IFS= read -r f; do files+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")"); done \
      < <(find "$a" -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.jpeg' -o -name '*.png' \) | sort)
  else
    files+=("$(cd "$(dirname "$a")" && pwd)/$(basename "$a")")
  fi
done

# doxin reads ./.env and may write under ./data: run it in an empty folder.
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"

# `doxin extract` reads each document in a sandbox child that it keeps for the next
# document and never waits for, so that child's CPU time (and Tesseract's under it) is not
# counted: its wall time is right, and SANDBOX=false gives the CPU time of the same work.
names=("tess-eng" "tess-eng-omp1" "doxin" "doxin-nosandbox")
cmds=(
  'tesseract "$f" - -l eng --psm 6 tsv'
  'OMP_THREAD_LIMIT=1 tesseract "$f" - -l eng --psm 6 tsv'
  '"$doxin" extract "$f" --format fields'
  'SANDBOX=false "$doxin" extract "$f" --format fields'
)
if [ -n "$before" ]; then
  names+=("before-nosandbox")
  cmds+=('SANDBOX=false "$before" extract "$f" --format fields')
fi
n=${#cmds[@]}
declare -a wall cpu
for ((i = 0; i < n; i++)); do wall[i]=0; cpu[i]=0; done

TIMEFORMAT='%R %U %S'
calc() { awk "BEGIN { print $* }"; }
printf '%-22s' image; for ((i = 0; i < n; i++)); do printf ' %17s' "${names[i]}"; done; echo "   (wall/CPU s)"
for ((r = 0; r < rounds; r++)); do
  for f in "${files[@]}"; do
    order=$(seq 0 $((n - 1)))
    [ $((r % 2)) -eq 1 ] && order=$(seq $((n - 1)) -1 0)
    declare -a rw rc
    for i in $order; do
      t=$( { time eval "${cmds[i]}" >/dev/null 2>&1; } 2>&1 )
      read -r real user sys <<<"$t"
      rw[i]=$real
      rc[i]=$(calc "$user + $sys")
      wall[i]=$(calc "${wall[i]} + $real")
      cpu[i]=$(calc "${cpu[i]} + ${rc[i]}")
    done
    printf '%-22s' "$(basename "$f")"
    for ((i = 0; i < n; i++)); do printf ' %8s/%-8s' "${rw[i]}" "${rc[i]}"; done; echo
  done
done

count=$(( ${#files[@]} * rounds ))
echo
echo "per image, mean of $count runs (wall s / CPU s), and the ratio to tesseract eng alone / on one thread:"
for ((i = 0; i < n; i++)); do
  printf '  %-14s %6.3f / %6.3f   %5.2fx / %5.2fx wall   %5.2fx / %5.2fx CPU\n' "${names[i]}" \
    "$(calc "${wall[i]} / $count")" "$(calc "${cpu[i]} / $count")" \
    "$(calc "${wall[i]} / ${wall[0]}")" "$(calc "${wall[i]} / ${wall[1]}")" \
    "$(calc "${cpu[i]} / ${cpu[0]}")" "$(calc "${cpu[i]} / ${cpu[1]}")"
done
