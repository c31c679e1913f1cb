#!/bin/sh
# cloudtwin's figures (standalone; `make bench` runs it through
# tests/bench/run-all.sh): list-all-VMs rate at 10,000 VMs per dialect,
# resident memory per VM, start-up time with the 100 x 100 configuration.
#
#   tests/bench/twin-bench.sh [SECONDS-PER-DIALECT]      (default 5)
#
# Needs a built cloudtwin ($BFS_OUT/tools/cloudtwin/cloudtwin, see
# tests/twin/twin.sh); the work is in tests/bench/twin_bench.py.  The
# figures go to stdout and $BFS_BUILD/bench/twin-results.txt.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
bin=$(twin_bin)
[ -x "$bin" ] || twin_fail "cloudtwin not built at $bin (make tools/cloudtwin/cloudtwin)"
twin_need "$TWIN_PY"
results=${BFS_BUILD:-build}/bench/twin-results.txt
mkdir -p "$(dirname "$results")"
"$TWIN_PY" tests/bench/twin_bench.py "$bin" "${1:-5}" >"$results.tmp"
mv "$results.tmp" "$results"
cat "$results"
