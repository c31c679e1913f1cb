#!/bin/sh
# Runs every test tier and reports PASS / FAIL / SKIP per test.
#
#   tests/run-all.sh [unit|fuzz|integration|PATTERN]...
#
# Binaries come from $BFS_BUILD (build-san under `make check`, else build)
# and programs from $BFS_OUT.  Exit status 77 from a test means SKIP (its
# data or a tool is missing) and is never counted as a pass.  Logs go to
# $BFS_BUILD/test-logs/<test>.log; a failure prints the tail of its log.
set -u
cd "$(dirname "$0")/.."
BFS_BUILD=${BFS_BUILD:-build}
BFS_OUT=${BFS_OUT:-.}
export BFS_BUILD BFS_OUT
logs=$BFS_BUILD/test-logs
mkdir -p "$logs"
# Sanitizer settings for every program the tests start.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/lsan.supp:print_suppressions=0}

pass=0 fail=0 skip=0 failed=""
want=${*:-unit fuzz integration}

run_one() { # name, command...
	name=$1; shift
	log=$logs/$(echo "$name" | tr '/' '_').log
	start=$(date +%s)
	"$@" >"$log" 2>&1
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); printf 'PASS  %-44s %4ss\n' "$name" "$secs" ;;
	77) skip=$((skip + 1)); printf 'SKIP  %-44s %s\n' "$name" "$(grep -m1 '^SKIP' "$log" | cut -c7-)" ;;
	*) fail=$((fail + 1)); failed="$failed $name"
	   printf 'FAIL  %-44s %4ss (exit %s)\n' "$name" "$secs" "$rc"
	   tail -n 30 "$log" | sed 's/^/      | /' ;;
	esac
}

selected() { # tier, name
	for w in $want; do
		case $w in "$1") return 0 ;; esac
		case $2 in *"$w"*) return 0 ;; esac
	done
	return 1
}

for t in "$BFS_BUILD"/tests/*_test; do
	[ -x "$t" ] || continue
	n=unit/$(basename "$t")
	selected unit "$n" && run_one "$n" "$t"
done
for t in "$BFS_BUILD"/tests/*_fuzz; do
	[ -x "$t" ] || continue
	n=fuzz/$(basename "$t")
	selected fuzz "$n" && run_one "$n" env BFS_FUZZ_ITERS="${BFS_FUZZ_ITERS:-20000}" "$t"
done
for t in tests/integration/*.sh; do
	[ -f "$t" ] || continue
	n=integration/$(basename "$t" .sh)
	selected integration "$n" && run_one "$n" bash "$t"
done

echo "----"
echo "passed $pass, failed $fail, skipped $skip"
[ -z "$failed" ] || { echo "failed:$failed"; exit 1; }
exit 0
