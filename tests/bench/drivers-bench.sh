#!/bin/sh
# Benchmark of the real drivers through the mount (the issue's figures):
#
#   tests/bench/drivers-bench.sh [VMS]          (default 500; BFS_OUT for the programs)
#
# A group of VMS VMs spread evenly over every twin cloud whose driver is
# built and whose cloudtwin dialect is ready, each VM taking 2 s to boot.
# Prints:
#   - the time from writing the group spec to `wait` returning, and the
#     ideal set by the per-cloud request rate: the first `burst` (= rps)
#     creates at once, the rest at rps, then the boot: (VMs - burst) / rps + boot;
#   - p50 and p99 of each driver operation, per cloud, from clouds/<c>/stats;
#   - the CPU time the mount (engine + drivers) spent per VM created, from
#     /proc/<pid>/stat, and the same for terminating the group.
# cloudtwin and the mount run on 127.0.0.1 and are stopped by pid on exit.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
. tests/drv/tree.sh
VMS=${1:-500}
RPS=${BENCH_RPS:-50}
BOOT_MS=2000
tree_need_fuse
twin_need curl /usr/bin/python3

# The clouds: every dialect with a built driver.
want=""
for d in aws alibaba openstack gcp azure; do
	[ -f "${BFS_OUT:-.}/drivers/$d.so" ] && want="$want $d"
done
conf=$(mktemp "${TMPDIR:-/tmp}/bench-drivers.XXXXXX.json")
"$TWIN_PY" - "$conf" "$BOOT_MS" $want <<'PY'
import json, sys
boot = int(sys.argv[2])
clouds = [{"name": d, "dialect": d} for d in sys.argv[3:]]
json.dump({"defaults": {"delays_ms": {"create": boot, "start": 500, "stop": 500,
                                      "reboot": 500, "terminate": 500},
                        "quota": {"vcpus_per_region": 1000000, "max_vms": 1000000}},
           "clouds": clouds}, open(sys.argv[1], "w"))
PY
twin_start --config "$conf"
rm -f "$conf"
trap tree_stop_all EXIT
TREE_MNT=$TWIN_DIR/mnt
TREE_STATE=$TWIN_DIR/state
mkdir -p "$TREE_MNT" "$TREE_STATE"
tree_mount

# Connect each ready cloud with mkdir and echo, as a user would.
ready=""
for d in $want; do
	twin_get "/_twin/clouds/$d" >"$TWIN_DIR/$d.json"
	[ -n "$(twin_json "$TWIN_DIR/$d.json" endpoint)" ] || continue
	DRV_CLOUD=$TWIN_DIR/$d.json
	tree_connect "$d" "" "{\"rps\": $RPS, \"burst\": $RPS, \"concurrency\": 64}"
	tree_wait_health "$d" ok >/dev/null
	ready="$ready $d"
done
[ -n "$ready" ] || twin_skip "no cloud ready"
n=$(echo $ready | wc -w)
per=$((VMS / n))

# One subgroup per cloud: the first spec and image of its catalog.
subs=""
for d in $ready; do
	spec=$(ls "$TREE_MNT/clouds/$d/specs" | head -1)
	image=$(ls "$TREE_MNT/clouds/$d/images" | head -1)
	subs="$subs{\"name\":\"$d\",\"count\":$per,\"cloud\":\"$d\",\"spec\":\"$spec\",\"image\":\"$image\"},"
done
cpu() { awk '{print $14 + $15}' "/proc/$TREE_PID/stat"; }
hz=$(getconf CLK_TCK)

echo "clouds:$ready; $((per * n)) VMs ($per per cloud), boot ${BOOT_MS} ms, rps $RPS per cloud"
mkdir "$TREE_MNT/groups/bench"
c0=$(cpu)
t0=$(date +%s%N)
echo "{\"subgroups\":[${subs%,}]}" >"$TREE_MNT/groups/bench/spec"
status=$(cat "$TREE_MNT/groups/bench/wait")
t1=$(date +%s%N)
c1=$(cpu)
ideal=$(awk -v p="$per" -v r="$RPS" -v b="$BOOT_MS" 'BEGIN {q = p > r ? p - r : 0; printf "%.1f", q / r + b / 1000}')
echo "status: $status"
awk -v a="$t0" -v b="$t1" -v i="$ideal" 'BEGIN {printf "spec to wait: %.1f s (ideal %s s: (VMs per cloud - burst) / rps + boot)\n", (b - a) / 1e9, i}'
awk -v c="$((c1 - c0))" -v h="$hz" -v n="$((per * n))" \
	'BEGIN {printf "mount CPU per VM created: %.2f ms (%.2f s for %d VMs)\n", c * 1000 / h / n, c / h, n}'

echo "per operation (from clouds/<c>/stats): calls p50_ms p99_ms retries"
for d in $ready; do
	first=$(grep ' create_vm ' "$TREE_MNT/clouds/$d/calls" | head -1 | cut -c12-23)
	last=$(grep ' create_vm ' "$TREE_MNT/clouds/$d/calls" | tail -1 | cut -c12-23)
	echo "  $d: creates sent from $first to $last (UTC)"
	awk -v d="$d" '
		{ split($1, k, "."); v[k[1], k[2]] = $2; ops[k[1]] = 1 }
		END { for (o in ops) if (v[o, "calls"] > 0)
			printf "  %-10s %-12s %6d %8.1f %8.1f %6d\n", d, o, v[o, "calls"], v[o, "p50_ms"], v[o, "p99_ms"], v[o, "retries"] }' \
		"$TREE_MNT/clouds/$d/stats" | sort
done

echo "one driver call (health, the cheapest signed request) on one connection:"
for d in $ready; do
	echo "  $d: $("${BFS_BUILD:-build}/tests/drvharness" "${BFS_OUT:-.}/drivers/$d.so" \
		"$TWIN_DIR/$d.json" bench 500)"
done

c0=$(cpu)
t0=$(date +%s%N)
echo terminate >"$TREE_MNT/groups/bench/ctl"
cat "$TREE_MNT/groups/bench/wait" >/dev/null
t1=$(date +%s%N)
c1=$(cpu)
awk -v a="$t0" -v b="$t1" -v c="$((c1 - c0))" -v h="$hz" -v n="$((per * n))" \
	'BEGIN {printf "terminate: %.1f s, mount CPU per VM %.2f ms\n", (b - a) / 1e9, c * 1000 / h / n}'
rmdir "$TREE_MNT/groups/bench"
for d in $ready; do
	DRV_NAME=$d
	tree_expect_live 0 >/dev/null
done
echo "nothing left in cloudtwin"
