#!/usr/bin/env bash
# Shrinks each fuzz target's corpus (fuzz/corpus/<target>) to the inputs that keep its coverage,
# with libFuzzer's merge (cargo fuzz cmin). The corpus itself is never committed.
#
#   scripts/fuzz-minimize.sh               every target
#   scripts/fuzz-minimize.sh pdf_text      one
set -euo pipefail

# shellcheck source=scripts/lib/fuzz.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/fuzz.sh"

TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=("${FUZZ_TARGETS[@]}")
for t in "${TARGETS[@]}"; do
    [[ -d fuzz/corpus/$t ]] || {
        warn "no corpus for $t (run scripts/fuzz.sh first)"
        continue
    }
    before=$(find "fuzz/corpus/$t" -type f | wc -l)
    CARGO_TARGET_DIR=$FUZZ_TARGET_DIR cargo +nightly fuzz cmin --fuzz-dir fuzz "$t" "fuzz/corpus/$t" >"fuzz/logs/$t.cmin.log" 2>&1 ||
        die "cmin failed for $t (fuzz/logs/$t.cmin.log)"
    after=$(find "fuzz/corpus/$t" -type f | wc -l)
    info "$t: $before -> $after inputs"
done
