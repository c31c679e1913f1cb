#!/bin/sh
# make bench: every tests/bench/*-bench.sh in turn (each prints its figures
# and writes them under $BFS_BUILD/bench/).  A failing benchmark fails the run.
cd "$(dirname "$0")/../.." || exit 1
rc=0
for b in tests/bench/*-bench.sh; do
	[ -f "$b" ] || continue
	echo "=== $b"
	bash "$b" || rc=1
done
exit $rc
