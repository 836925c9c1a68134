#!/usr/bin/env bash
# Invoices laid out by three invoice generators that DoxIn's rules were never written against
# (InvoiceGenerator 1.2.0 and PyInvoice 0.1.7 from PyPI, microinvoice 1.0.6 from npm), with
# their truth, for `doxin eval`:
#
#   scripts/third-party-invoices.sh OUT [COUNT_PER_GENERATOR] [SEED]
#   doxin eval OUT --json --misses 100000
#
# The generators go into folders of their own (/opt/doxin-invoice-generators as root, else the
# user's cache); scripts/third_party/invoices.py chooses the data and writes the truth.
# Defaults: 20 invoices per generator, seed 1.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/common.sh
source "$ROOT/scripts/lib/common.sh"
[[ $# -ge 1 ]] || die "usage: $0 OUT [COUNT_PER_GENERATOR] [SEED]"
ensure_pip_venv doxin-invoice-generators InvoiceGenerator 1.2.0
if ! "$PIP_VENV/bin/python" -c 'import pyinvoice' >/dev/null 2>&1; then
    PIP_ROOT_USER_ACTION=ignore "$PIP_VENV/bin/pip" install --quiet --disable-pip-version-check \
        --no-input "PyInvoice==0.1.7" </dev/null || die "pip could not install PyInvoice==0.1.7"
fi
node_dir=$PIP_VENV/node
if [[ ! -f $node_dir/node_modules/microinvoice/package.json ]]; then
    mkdir -p "$node_dir"
    (cd "$node_dir" && npm install --silent --no-audit --no-fund --prefix "$node_dir" \
        microinvoice@1.0.6 >/dev/null) || die "npm could not install microinvoice@1.0.6"
fi
export NODE_PATH=$node_dir/node_modules
exec "$PIP_VENV/bin/python" "$ROOT/scripts/third_party/invoices.py" "$@"
