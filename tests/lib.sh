# tests/lib.sh - shared by the shell integration tests (bash).
#
#   . tests/lib.sh
#   bfs_mount [extra -o options]     start baristafs on $MNT with state $STATE
#   bfs_unmount                      unmount and wait for the process
#   bfs_kill9                        kill -9 the mount and clear the stale mount
#   ok CMD...                        CMD must succeed
#   fails ERRNO-TEXT CMD...          CMD must fail, its stderr naming the errno
#   eq WANT GOT [WHAT]               exact comparison
#   wait_for SECONDS CMD...          poll until CMD succeeds (timeouts fail the test)
#
# Everything lives under one temporary directory; the EXIT trap unmounts and
# stops (by pid) whatever the test started, even when it fails.
set -u
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BFS_OUT=${BFS_OUT:-.}
case $BFS_OUT in /*) ;; *) BFS_OUT=$TOP/$BFS_OUT ;; esac
BARISTAFS=$BFS_OUT/baristafs
TMP=$(mktemp -d /tmp/bfs-test.XXXXXX)
MNT=$TMP/mnt
STATE=$TMP/state
BFS_PID=
FAILS=0
mkdir -p "$MNT"

# Sanitizer reports go to files, so that a leak or error fails the test.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}:log_path=$TMP/asan"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}:log_path=$TMP/ubsan"

log() { printf '%s\n' "$*" >&2; }
fail() { log "FAIL: $*"; FAILS=$((FAILS + 1)); }

bfs_mount() {
	local opts="state=$STATE"
	for o in "$@"; do opts="$opts,$o"; done
	"$BARISTAFS" -f -o "$opts" "$MNT" >>"$TMP/baristafs.log" 2>&1 &
	BFS_PID=$!
	wait_for 20 mountpoint -q "$MNT" || { cat "$TMP/baristafs.log" >&2; exit 1; }
}

bfs_unmount() {
	[ -n "$BFS_PID" ] || return 0
	fusermount3 -u "$MNT" 2>/dev/null || kill -TERM "$BFS_PID" 2>/dev/null
	wait "$BFS_PID" 2>/dev/null
	BFS_PID=
}

bfs_kill9() {
	kill -9 "$BFS_PID" 2>/dev/null
	wait "$BFS_PID" 2>/dev/null
	BFS_PID=
	fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT" 2>/dev/null
}

cleanup() {
	local rc=$?
	bfs_unmount
	for r in "$TMP"/asan.* "$TMP"/ubsan.*; do
		[ -e "$r" ] || continue
		log "sanitizer report $r:"
		cat "$r" >&2
		rc=1
	done
	[ $rc -eq 0 ] || { log "--- baristafs log ---"; tail -n 40 "$TMP/baristafs.log" >&2; }
	rm -rf "$TMP"
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() {
	local secs=$1 end
	shift
	end=$(($(date +%s) + secs))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

ok() {
	local out
	if ! out=$("$@" 2>&1); then
		fail "expected success: $* -> $out"
		return 1
	fi
}

# fails 'Invalid argument' mkdir x: CMD must fail and say why.
fails() {
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "expected '$want', but it succeeded: $*"
		return 1
	fi
	case $out in
	*"$want"*) return 0 ;;
	*) fail "expected '$want': $* -> $out"; return 1 ;;
	esac
}

eq() {
	[ "$1" = "$2" ] || fail "${3:-value}: expected '$1', got '$2'"
}

contains() {
	case $2 in *"$1"*) ;; *) fail "${3:-text} lacks '$1': $2" ;; esac
}

# A mock cloud: mock_cloud NAME [JSON settings without braces]
mock_cloud() {
	mkdir "$MNT/clouds/$1" || return 1
	echo "{\"driver\":\"mock\",\"region\":\"r1\"${2:+,$2}}" >"$MNT/clouds/$1/spec" || return 1
	wait_for 10 grep -qx ok "$MNT/clouds/$1/health"
}

# The mock cloud's live VMs as lines "baristafs-id status", sorted.
mock_inventory() {
	python3 "$TOP/tests/tools/mockinv.py" "$STATE/clouds/$1/mock-journal.jsonl"
}

# The engine's VMs of a group as lines "csp_id status", sorted.
engine_record() {
	local v
	for v in "$MNT/groups/$1/vms"/*; do
		[ -d "$v" ] || continue
		printf '%s %s\n' "$(cat "$v/csp_id")" "$(cat "$v/status")"
	done | sort
}

finish() {
	[ "$FAILS" -eq 0 ] || { log "$FAILS checks failed"; exit 1; }
	log "all checks passed"
}
