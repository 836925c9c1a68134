#!/usr/bin/env bash
# Fuzz the code that reads untrusted bytes (fuzz/fuzz_targets: sniff, einvoice_xml, pdf_budget,
# pdf_text, image_decode) with cargo-fuzz / libFuzzer. Not part of scripts/test.sh.
#
#   scripts/fuzz.sh                 every target for 30 minutes, one after another
#   scripts/fuzz.sh 600 pdf_text    one target for 10 minutes
#   FUZZ_JOBS=2 scripts/fuzz.sh     targets two at a time
#
# Needs the nightly toolchain (rustup's `nightly`; libFuzzer's instrumentation uses -Z flags)
# and installs cargo-fuzz from crates.io when missing. Seeds come from the project's own
# generator (crates/doxin-synth/examples/fuzz_seeds.rs) and test fixtures; the corpus grows in
# fuzz/corpus/<target> (ignored by git; scripts/fuzz-minimize.sh shrinks it). A crash is saved
# under fuzz/artifacts/<target>/ and fails the run. Each target's last libFuzzer status line
# (executions, coverage, exec/s) is printed at the end and kept in fuzz/last-run.txt.
set -euo pipefail

# shellcheck source=scripts/lib/fuzz.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fuzz.sh"

SECONDS_PER_TARGET=${1:-1800}
shift || true
TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=("${FUZZ_TARGETS[@]}")
JOBS=${FUZZ_JOBS:-1}

rustup toolchain list | grep -q '^nightly' ||
    die "the nightly toolchain is needed for libFuzzer's instrumentation: rustup toolchain install nightly"
command -v cargo-fuzz >/dev/null 2>&1 || {
    info "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
}

section "seed corpus"
cargo run -q -p doxin-synth --example fuzz_seeds -- fuzz/corpus
mkdir -p fuzz/corpus/einvoice_xml
cp crates/doxin-extract/tests/fixtures/xml/*.xml fuzz/corpus/einvoice_xml/
cp crates/doxin-extract/tests/fixtures/xml/*.xml fuzz/corpus/sniff/

section "building the targets (nightly, release with debug assertions)"
CARGO_TARGET_DIR=$FUZZ_TARGET_DIR cargo +nightly fuzz build --fuzz-dir fuzz

run_target() {
    local t=$1 log=fuzz/logs/$1.log
    mkdir -p fuzz/logs "fuzz/artifacts/$t"
    # -rss_limit_mb: a case needing more is a finding (the sandbox caps real documents at 1 GB).
    if CARGO_TARGET_DIR=$FUZZ_TARGET_DIR cargo +nightly fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" -- \
        -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=30 -print_final_stats=1 \
        >"$log" 2>&1; then
        echo "ok"
    else
        echo "FAILED"
    fi
}

section "fuzzing ${TARGETS[*]} for $SECONDS_PER_TARGET s each, $JOBS at a time"
declare -A RESULT
pids=()
for t in "${TARGETS[@]}"; do
    (echo "$(run_target "$t")" >"fuzz/logs/$t.result") &
    pids+=($!)
    if ((${#pids[@]} >= JOBS)); then
        wait "${pids[0]}"
        pids=("${pids[@]:1}")
    fi
done
wait

section "results"
: >fuzz/last-run.txt
rc=0
for t in "${TARGETS[@]}"; do
    RESULT[$t]=$(cat "fuzz/logs/$t.result" 2>/dev/null || echo missing)
    status=$(grep -E '^#[0-9]+' "fuzz/logs/$t.log" | tail -n1 || true)
    runs=$(grep -E 'stat::number_of_executed_units' "fuzz/logs/$t.log" | awk '{print $2}' || true)
    line="$t: ${RESULT[$t]}; $runs runs in ${SECONDS_PER_TARGET} s; last status: $status"
    info "$line"
    echo "$line" >>fuzz/last-run.txt
    [[ ${RESULT[$t]} == ok ]] || {
        rc=1
        ls "fuzz/artifacts/$t" >&2 || true
    }
done
exit "$rc"
