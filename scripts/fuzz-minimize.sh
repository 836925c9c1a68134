#!/usr/bin/env bash
# Shrinks each fuzz target's corpus (fuzz/corpus/<target>) to the inputs that keep its coverage,
# with libFuzzer's merge (cargo fuzz cmin). The corpus itself is never committed.
#
#   scripts/fuzz-minimize.sh               every target
#   scripts/fuzz-minimize.sh pdf_text      one
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"
add_tool_paths
# The fuzz build (nightly, instrumented) never shares the main target directory.
FUZZ_TARGET_DIR=${FUZZ_TARGET_DIR:-$ROOT/fuzz/target}

TARGETS=("$@")
((${#TARGETS[@]})) || TARGETS=(sniff einvoice_xml pdf_budget pdf_text image_decode)
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
