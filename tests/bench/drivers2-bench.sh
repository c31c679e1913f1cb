#!/bin/sh
# Benchmark of the openstack, gcp and azure drivers through the mount, one
# cloud at a time (tests/bench/drivers-bench.sh runs the issue's mixed group over
# every cloud; this one isolates these three drivers' own costs):
#
#   tests/bench/drivers2-bench.sh [VMS]  (default 100 per cloud; BFS_OUT for the programs)
#
# For each cloud: a group of VMS VMs, 2 s boot, rps BENCH_RPS (50), the
# engine's default concurrency (16 calls in flight):
#   - spec to wait, against the ideal ((VMS - burst) / rps + boot, burst = rps);
#   - p50 and p99 of each operation (clouds/<c>/stats);
#   - the mount's CPU per VM created (/proc/<pid>/stat);
#   - the requests cloudtwin served per VM created (create, its set-up and
#     the polls until Running), and per list_vms call once the group is
#     up (what one poll of VMS VMs costs the cloud's rate limit);
#   - health on one connection (token cached): p50, p99, CPU per call.
# cloudtwin and the mount listen on 127.0.0.1 and are stopped by pid on exit.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
. tests/drv/tree.sh
VMS=${1:-100}
RPS=${BENCH_RPS:-50}
BOOT_MS=2000
tree_need_fuse
twin_need curl /usr/bin/python3

conf=$(mktemp "${TMPDIR:-/tmp}/bench-drivers2.XXXXXX.json")
"$TWIN_PY" - "$conf" "$BOOT_MS" <<'PY'
import json, sys
boot = int(sys.argv[2])
json.dump({"defaults": {"delays_ms": {"create": boot, "start": 500, "stop": 500,
                                      "reboot": 500, "terminate": 500},
                        "quota": {"vcpus_per_region": 1000000, "max_vms": 1000000}},
           "clouds": [{"name": d, "dialect": d} for d in ("openstack", "gcp", "azure")]},
          open(sys.argv[1], "w"))
PY
twin_start --config "$conf"
rm -f "$conf"
trap tree_stop_all EXIT
TREE_MNT=$TWIN_DIR/mnt
TREE_STATE=$TWIN_DIR/state
mkdir -p "$TREE_MNT" "$TREE_STATE"
tree_mount
hz=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$TREE_PID/stat"; }
served() { twin_get "/_twin/clouds/$1/stats" | "$TWIN_PY" -c 'import json,sys; print(json.load(sys.stdin)["requests"])'; }
calls() { awk -v k="$2.calls" '$1 == k {print $2}' "$TREE_MNT/clouds/$1/stats"; }

echo "$VMS VMs per cloud, boot ${BOOT_MS} ms, rps $RPS; $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) CPUs"
for d in openstack gcp azure; do
	[ -f "${BFS_OUT:-.}/drivers/$d.so" ] || { echo "$d: driver not built"; continue; }
	twin_get "/_twin/clouds/$d" >"$TWIN_DIR/$d.json"
	DRV_CLOUD=$TWIN_DIR/$d.json
	# The credential written with printf (a GCE key file), the spec again after it
	# (the engine loses the spec when a credential is set: see tree-gcp.sh).
	mkdir "$TREE_MNT/clouds/$d"
	for f in spec credential spec; do
		if [ $f = spec ]; then
			v=$(tree_spec_json "{\"rps\": $RPS, \"burst\": $RPS}")
		else
			v=$(tree_cred_json)
		fi
		printf '%s\n' "$v" >"$TREE_MNT/clouds/$d/$f"
	done
	tree_wait_health "$d" ok >/dev/null
	spec=$(ls "$TREE_MNT/clouds/$d/specs" | head -1)
	image=$(ls "$TREE_MNT/clouds/$d/images" | head -1)

	mkdir "$TREE_MNT/groups/b-$d"
	r0=$(served "$d")
	c0=$(cpu)
	t0=$(date +%s%N)
	echo "{\"count\":$VMS,\"cloud\":\"$d\",\"spec\":\"$spec\",\"image\":\"$image\"}" \
		>"$TREE_MNT/groups/b-$d/spec"
	status=$(cat "$TREE_MNT/groups/b-$d/wait")
	t1=$(date +%s%N)
	c1=$(cpu)
	r1=$(served "$d")
	echo "$d ($spec, $image): $status"
	awk -v a="$t0" -v b="$t1" -v n="$VMS" -v r="$RPS" -v boot="$BOOT_MS" \
		'BEGIN {printf "  spec to wait %.1f s (ideal %.1f s: (VMs - burst) / rps + boot)\n", (b - a) / 1e9, (n > r ? n - r : 0) / r + boot / 1000}'
	awk -v c="$((c1 - c0))" -v h="$hz" -v n="$VMS" -v q="$((r1 - r0))" \
		'BEGIN {printf "  mount CPU per VM created %.2f ms; cloud requests per VM created %.1f\n", c * 1000 / h / n, q / n}'

	# Five polls asked for once the group is up (it is polled every refresh_s
	# otherwise): what one list_vms of the group costs the cloud.
	l0=$(calls "$d" list_vms)
	q0=$(served "$d")
	for i in 1 2 3 4 5; do
		echo refresh >"$TREE_MNT/groups/b-$d/ctl"
		sleep 1
	done
	l1=$(calls "$d" list_vms)
	q1=$(served "$d")
	awk -v l="$((l1 - l0))" -v q="$((q1 - q0))" -v n="$VMS" \
		'BEGIN {if (l > 0) printf "  list_vms of %d VMs: %.1f requests per call (%d calls)\n", n, q / l, l}'
	echo "  per operation: calls p50_ms p99_ms retries"
	awk '{ split($1, k, "."); v[k[1], k[2]] = $2; ops[k[1]] = 1 }
		END { for (o in ops) if (v[o, "calls"] > 0)
			printf "    %-12s %6d %8.1f %8.1f %6d\n", o, v[o, "calls"], v[o, "p50_ms"], v[o, "p99_ms"], v[o, "retries"] }' \
		"$TREE_MNT/clouds/$d/stats" | sort
	echo "  health on one connection: $("${BFS_BUILD:-build}/tests/drvharness" \
		"${BFS_OUT:-.}/drivers/$d.so" "$DRV_CLOUD" bench 300)"

	c0=$(cpu)
	t0=$(date +%s%N)
	echo terminate >"$TREE_MNT/groups/b-$d/ctl"
	cat "$TREE_MNT/groups/b-$d/wait" >/dev/null
	t1=$(date +%s%N)
	c1=$(cpu)
	awk -v a="$t0" -v b="$t1" -v c="$((c1 - c0))" -v h="$hz" -v n="$VMS" \
		'BEGIN {printf "  terminate %.1f s, mount CPU per VM %.2f ms\n", (b - a) / 1e9, c * 1000 / h / n}'
	rmdir "$TREE_MNT/groups/b-$d"
	DRV_NAME=$d
	tree_expect_live 0 >/dev/null
done
echo "nothing left in cloudtwin"
