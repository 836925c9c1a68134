# Shared by scripts/fuzz.sh and scripts/fuzz-minimize.sh: the repository root as the working
# directory, the tool paths, the fuzz build's own target directory and the list of targets.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"
# shellcheck source=scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"
add_tool_paths
# The fuzz build (nightly, instrumented) never shares the main target directory.
FUZZ_TARGET_DIR=${FUZZ_TARGET_DIR:-$ROOT/fuzz/target}
# shellcheck disable=SC2034 # used by the scripts that source this file
FUZZ_TARGETS=(sniff einvoice_xml pdf_budget pdf_text image_decode)
