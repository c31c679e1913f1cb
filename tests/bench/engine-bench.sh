#!/bin/bash
# Engine and mount benchmarks (issue: the mount and its engine).
#
#  1. 100 mock clouds x 100 VMs (10,000 VMs), boot_ms 0: time until every
#     group is Running; then `find MNT | wc -l`, `ls -lR MNT` and `cat` of
#     every VM's status, cold (just mounted) and warm (repeated), each as a
#     ratio to the same tree copied to tmpfs in the same run; the engine's
#     resident memory per VM.
#  2. 1,000 VMs over 10 mock clouds, boot_ms 2000, concurrency that lets
#     them all start together: time from writing the spec to `wait`.
#
# Usage: tests/bench/engine-bench.sh [clouds] [vms-per-cloud]   (defaults 100 100)
# Uses the optimised build ($BFS_OUT, default .).  Prints one line per figure.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
CLOUDS=${1:-100}
PER=${2:-100}
TOTAL=$((CLOUDS * PER))

ms() { date +%s%3N; }
timed() { # label command... -> prints ms, the command's output discarded
	local t0 t1
	t0=$(ms)
	"$@" >/dev/null 2>&1
	t1=$(ms)
	echo $((t1 - t0))
}
rss_kib() { awk '/^rss_kib/ {print $2}' "$MNT/system/stats"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b > 0 ? a / b : 0) }'; }

# --- 1. 100 x 100 ------------------------------------------------------------------
bfs_mount
CLOUD='"boot_ms":0,"concurrency":64,"rps":100000,"burst":1000,"poll_ms":100'
for c in $(seq -w 1 "$CLOUDS"); do mkdir "$MNT/clouds/c$c"; done
for c in $(seq -w 1 "$CLOUDS"); do
	echo "{\"driver\":\"mock\",\"region\":\"r$c\",$CLOUD}" >"$MNT/clouds/c$c/spec"
done
for c in $(seq -w 1 "$CLOUDS"); do wait_for 60 grep -qx ok "$MNT/clouds/c$c/health"; done
rss0=$(rss_kib)
t0=$(ms)
for c in $(seq -w 1 "$CLOUDS"); do
	mkdir "$MNT/groups/g$c"
	echo "{\"count\":$PER,\"cloud\":\"c$c\",\"spec\":\"m1.small\",\"image\":\"debian-12\"}" \
		>"$MNT/groups/g$c/spec"
done
for c in $(seq -w 1 "$CLOUDS"); do
	st=$(cat "$MNT/groups/g$c/wait")
	[ "$st" = "Running:$PER (R:$PER/$PER)" ] || fail "g$c: $st"
done
t1=$(ms)
rss1=$(rss_kib)
echo "provision ${TOTAL} VMs over ${CLOUDS} clouds, boot_ms 0: $((t1 - t0)) ms"
echo "engine RSS: $rss0 KiB with 0 VMs, $rss1 KiB with $TOTAL VMs:" \
	"$(( (rss1 - rss0) * 1024 / TOTAL )) bytes per VM"

# The same tree on tmpfs, and the list of every VM's status file.
COPY=$TMP/tmpfs
mkdir -p "$COPY"
mount -t tmpfs -o size=2g tmpfs "$COPY" 2>/dev/null || COPY=$(mktemp -d /dev/shm/bfs-bench.XXXXXX)
cp -r "$MNT/." "$COPY/" 2>/dev/null
(cd "$MNT" && find groups -path '*/vms/*' -name status) >"$TMP/status.list"
sed "s|^|$MNT/|" "$TMP/status.list" >"$TMP/fuse.list"
sed "s|^|$COPY/|" "$TMP/status.list" >"$TMP/tmpfs.list"
echo "tree: $(find "$MNT" | wc -l) entries, $(wc -l <"$TMP/status.list") VM status files"

bench_round() { # where list -> "find ls cat" in ms
	local where=$1 list=$2
	echo "$(timed find "$where") $(timed ls -lR "$where") $(timed xargs cat <"$list")"
}
sync
echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
read -r tf tl tc <<<"$(bench_round "$COPY" "$TMP/tmpfs.list")"
read -r tf2 tl2 tc2 <<<"$(bench_round "$COPY" "$TMP/tmpfs.list")"
bfs_unmount
bfs_mount
wait_for 120 grep -q "Running:$PER" "$MNT/groups/g$(printf %0${#CLOUDS}d "$CLOUDS")/status"
read -r ff fl fc <<<"$(bench_round "$MNT" "$TMP/fuse.list")"   # cold: just mounted
read -r ff2 fl2 fc2 <<<"$(bench_round "$MNT" "$TMP/fuse.list")" # warm: repeated
printf '%-22s %9s %9s %9s %9s %7s %7s\n' "" "tmpfs" "fuse" "tmpfs" "fuse" "cold" "warm"
printf '%-22s %9s %9s %9s %9s %7s %7s\n' "(ms)" "cold" "cold" "warm" "warm" "ratio" "ratio"
printf '%-22s %9s %9s %9s %9s %6sx %6sx\n' "find | wc -l" "$tf" "$ff" "$tf2" "$ff2" \
	"$(ratio "$ff" "$tf")" "$(ratio "$ff2" "$tf2")"
printf '%-22s %9s %9s %9s %9s %6sx %6sx\n' "ls -lR" "$tl" "$fl" "$tl2" "$fl2" \
	"$(ratio "$fl" "$tl")" "$(ratio "$fl2" "$tl2")"
printf '%-22s %9s %9s %9s %9s %6sx %6sx\n' "cat every VM status" "$tc" "$fc" "$tc2" "$fc2" \
	"$(ratio "$fc" "$tc")" "$(ratio "$fc2" "$tc2")"
umount "$COPY" 2>/dev/null || rm -rf "$COPY"

# --- 2. 1,000 VMs over 10 clouds, boot 2 s ---------------------------------------------
bfs_unmount
rm -rf "$STATE"
bfs_mount
CLOUD='"boot_ms":2000,"concurrency":100,"rps":100000,"burst":1000,"poll_ms":100'
spec='{"subgroups":['
for c in $(seq 1 10); do
	mkdir "$MNT/clouds/b$c"
	echo "{\"driver\":\"mock\",\"region\":\"r$c\",$CLOUD}" >"$MNT/clouds/b$c/spec"
	spec="$spec$([ "$c" = 1 ] || echo ,){\"name\":\"s$c\",\"count\":100,\"cloud\":\"b$c\",\"spec\":\"m1.small\",\"image\":\"debian-12\"}"
done
spec="$spec]}"
for c in $(seq 1 10); do wait_for 60 grep -qx ok "$MNT/clouds/b$c/health"; done
mkdir "$MNT/groups/big"
t0=$(ms)
echo "$spec" >"$MNT/groups/big/spec"
st=$(cat "$MNT/groups/big/wait")
t1=$(ms)
[ "$st" = "Running:1000 (R:1000/1000)" ] || fail "big: $st"
echo "1000 VMs over 10 clouds, boot 2000 ms: spec to wait $((t1 - t0)) ms" \
	"($(ratio "$((t1 - t0))" 2000)x the boot time)"
finish
