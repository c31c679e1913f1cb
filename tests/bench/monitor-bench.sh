#!/bin/sh
# Monitor benchmarks (make bench): ingest into baristafs's collector and
# into InfluxDB side by side, the same payload to both; read latency of a
# VM's metrics file while the ingest runs; memory per series.
#
#   tests/bench/monitor-bench.sh [SECONDS]     (default 10 per phase)
#
# Phases, each against baristafs then InfluxDB (Debian's influxd, started
# here on 127.0.0.1 with a temporary config and data directory):
#   interval  10,000 VMs pushing every 5 s (paced): 2,000 requests/s
#   push      10,000 VMs, one 5-line push per request, as fast as it goes
#   batch     10,000 VMs, 1,000 lines per request (Telegraf's batch size)
# A sample is one field value of one point, counted from 204 answers.
# Results go to stdout and $BFS_BUILD/bench/monitor-results.md.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BFS_BUILD:-build}
BENCH=$BUILD/bench/monitor_bench
SECS=${1:-10}
VMS=10000
RESULTS=$BUILD/bench/monitor-results.md
work=$(mktemp -d /tmp/monitor-bench.XXXXXX)
pids=""

cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	for p in $pids; do
		wait "$p" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

[ -x "$BENCH" ] || { echo "monitor-bench: $BENCH not built (make bench builds it)" >&2; exit 1; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

ticks() { # utime+stime of a pid, in clock ticks
	awk '{print $14 + $15}' "/proc/$1/stat"
}

# phase NAME PID URL ARGS...: run one load, print "name samples/s requests/s cpu%"
phase() {
	name=$1 pid=$2 url=$3
	shift 3
	t0=$(ticks "$pid")
	"$BENCH" load --url "$url" --vms "$VMS" --seconds "$SECS" "$@" >"$work/load.out" 2>&1
	t1=$(ticks "$pid")
	hz=$(getconf CLK_TCK)
	awk -v n="$name" -v t="$((t1 - t0))" -v hz="$hz" '
		/^samples_per_s/ {s=$2} /^requests_per_s/ {r=$2} /^seconds/ {sec=$2}
		/^requests_failed/ {f=$2}
		END {printf "%s %d %d %.0f %d\n", n, s, r, 100 * t / hz / sec, f}' "$work/load.out"
}

run_phases() { # label pid url
	phase interval "$2" "$3" --interval 5 --lines 5 --connections 32
	phase push "$2" "$3" --lines 5 --connections 32
	phase batch "$2" "$3" --lines 1000 --connections 8
}

# ---- baristafs ----
port=$(free_port)
"$BENCH" serve --vms "$VMS" --listen "127.0.0.1:$port" --state "$work/state" --read-us 1000 \
	>"$work/serve.out" 2>&1 &
serve=$!
pids="$pids $serve"
for i in $(seq 50); do
	grep -q '^ready' "$work/serve.out" && break
	sleep 0.1
done
grep -q '^ready' "$work/serve.out" || { echo "monitor-bench: collector did not start" >&2; exit 1; }
run_phases baristafs "$serve" "http://127.0.0.1:$port/write" >"$work/bfs.txt"
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$serve/status")
kill "$serve"
wait "$serve"
pids=""

# ---- InfluxDB ----
if command -v influxd >/dev/null 2>&1; then
	hport=$(free_port)
	rport=$(free_port)
	cat >"$work/influxdb.conf" <<EOF
reporting-enabled = false
bind-address = "127.0.0.1:$rport"
[meta]
  dir = "$work/influx/meta"
[data]
  dir = "$work/influx/data"
  wal-dir = "$work/influx/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$hport"
  log-enabled = false
[continuous_queries]
  enabled = false
[logging]
  level = "error"
EOF
	influxd -config "$work/influxdb.conf" >"$work/influxd.log" 2>&1 &
	influx=$!
	pids="$influx"
	for i in $(seq 100); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$hport/ping")" = 204 ] && break
		sleep 0.2
	done
	curl -s -XPOST "http://127.0.0.1:$hport/query" --data-urlencode 'q=CREATE DATABASE bench' >/dev/null
	run_phases influxdb "$influx" "http://127.0.0.1:$hport/write?db=bench" >"$work/influx.txt"
	influx_version=$(influxd version 2>/dev/null | head -n 1)
	kill "$influx"
	wait "$influx"
	pids=""
else
	: >"$work/influx.txt"
	influx_version="influxd not installed"
fi

# ---- the mount: cat vms/<v>/metrics/cpu while the collector ingests ----
# A real mount with a mock cloud and a group of $MOUNT_VMS VMs (making 10,000
# through the engine takes minutes); the load uses their own tokens.
MOUNT_VMS=1000
BFS=${BFS_OUT:-.}/baristafs
mount_phase() {
	mnt=$work/mnt
	mkdir -p "$mnt"
	"$BFS" -f -o "state=$work/bfs-state" "$mnt" >"$work/bfs.log" 2>&1 &
	bfs=$!
	pids="$pids $bfs"
	for i in $(seq 100); do
		mountpoint -q "$mnt" && break
		sleep 0.1
	done
	mkdir "$mnt/clouds/m1" "$mnt/groups/b"
	echo '{"driver":"mock","region":"r1","boot_ms":0}' >"$mnt/clouds/m1/spec"
	for i in $(seq 100); do
		grep -qx ok "$mnt/clouds/m1/health" && break
		sleep 0.1
	done
	echo "{\"count\":$MOUNT_VMS,\"cloud\":\"m1\",\"spec\":\"m1.small\",\"image\":\"ubuntu-22.04\"}" \
		>"$mnt/groups/b/spec"
	timeout 600 cat "$mnt/groups/b/wait" >"$work/wait.out"
	seq -f 'b-%.0f' 1 "$MOUNT_VMS" >"$work/names"
	while read -r v; do
		awk -F= '$1 == "token" {print $2}' "$mnt/groups/b/vms/$v/agent.conf"
	done <"$work/names" >"$work/tokens"
	url="http://$(cat "$mnt/system/collector")/write"
	"$BENCH" load --url "$url" --vms "$MOUNT_VMS" --tokens "$work/tokens" --seconds 3 \
		--lines 5 --connections 8 >/dev/null	# every VM has samples
	"$BENCH" read --dir "$mnt/groups/b/vms" --names "$work/names" --seconds "$SECS" \
		>"$work/read-idle.out"
	# the volume of 10,000 VMs every 5 s: 2,000 pushes/s
	"$BENCH" load --url "$url" --vms "$MOUNT_VMS" --tokens "$work/tokens" --seconds "$SECS" \
		--lines 5 --connections 32 --rate 2000 >"$work/mount-paced.out" &
	load=$!
	pids="$pids $load"
	sleep 1
	"$BENCH" read --dir "$mnt/groups/b/vms" --names "$work/names" --seconds $((SECS - 2)) \
		>"$work/read-paced.out"
	wait "$load"
	"$BENCH" load --url "$url" --vms "$MOUNT_VMS" --tokens "$work/tokens" --seconds "$SECS" \
		--lines 5 --connections 32 >"$work/mount-load.out" &
	load=$!
	pids="$pids $load"
	sleep 1
	"$BENCH" read --dir "$mnt/groups/b/vms" --names "$work/names" --seconds $((SECS - 2)) \
		>"$work/read-busy.out"
	for i in $(seq 200); do	# whole cat processes, fork and exec included
		t0=$(date +%s%N)
		cat "$mnt/groups/b/vms/b-$((i % MOUNT_VMS + 1))/metrics/cpu" >/dev/null
		echo $(( $(date +%s%N) - t0 ))
	done >"$work/cat.ns"
	wait "$load"
	fusermount3 -u "$mnt"
	wait "$bfs"
	pids=""
}
# The EXIT trap stops what is still in $pids; a mount left behind is removed too.
unmount_left() {
	mountpoint -q "$work/mnt" 2>/dev/null && fusermount3 -u "$work/mnt"
	cleanup
}
trap unmount_left EXIT
if [ -x "$BFS" ] && command -v fusermount3 >/dev/null 2>&1; then
	mount_phase
fi

# ---- report ----
{
	echo "### Monitor ingest ($VMS simulated VMs, $SECS s per phase, $(nproc) CPUs)"
	echo
	echo "| phase | baristafs samples/s | req/s | CPU % of a core | InfluxDB samples/s | req/s | CPU % of a core | ratio |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	join "$work/bfs.txt" "$work/influx.txt" 2>/dev/null | awk '{
		printf "| %s | %d | %d | %d | %d | %d | %d | %.1fx |\n", $1, $2, $3, $4, $6, $7, $8, $6 ? $2 / $6 : 0 }'
	[ -s "$work/influx.txt" ] || awk '{ printf "| %s | %d | %d | %d | - | - | - | - |\n", $1, $2, $3, $4 }' "$work/bfs.txt"
	echo
	echo "Failed requests (baristafs / InfluxDB): $(awk '{s+=$5} END {print s+0}' "$work/bfs.txt") / $(awk '{s+=$5} END {print s+0}' "$work/influx.txt")"
	echo "InfluxDB: $influx_version, default settings (WAL fsync on every write)."
	echo
	awk '/^reads/ {n=$2} /read_p50_us/ {p50=$2} /read_p99_us/ {p99=$2} /read_p999_us/ {p999=$2}
	     /^series / {s=$2} /bytes_per_series/ {b=$2}
	     END {
		printf "Reading vms/<v>/metrics/cpu (monitor_read_vm, the text the file serves) during all phases:\n"
		printf "%d reads, p50 %s us, p99 %s us, p99.9 %s us.\n\n", n, p50, p99, p999
		printf "Memory: %d series, %d bytes per series (rings for a 300 s window at 5 s).\n", s, b
	     }' "$work/serve.out"
	echo "Collector process RSS at the end: $((rss_kb / 1024)) MiB."
	if [ -s "$work/read-busy.out" ]; then
		echo
		echo "Through the mount ($MOUNT_VMS VMs in one group, FUSE), open+read+close of"
		echo "groups/b/vms/<random>/metrics/cpu, back to back:"
		awk '/^reads/ {n=$2} /read_p50_us/ {a=$2} /read_p99_us/ {b=$2} /read_p999_us/ {c=$2}
		     END {printf "  idle:  %d reads, p50 %s us, p99 %s us, p99.9 %s us\n", n, a, b, c}' \
			"$work/read-idle.out"
		awk '/^reads/ {n=$2} /read_p50_us/ {a=$2} /read_p99_us/ {b=$2} /read_p999_us/ {c=$2}
		     END {printf "  10,000 VMs at 5 s (%s): %d reads, p50 %s us, p99 %s us, p99.9 %s us\n",
			  rate, n, a, b, c}' rate="$(awk '/^samples_per_s/ {printf "%d samples/s", $2}' \
			"$work/mount-paced.out")" "$work/read-paced.out"
		awk '/^reads/ {n=$2} /read_p50_us/ {a=$2} /read_p99_us/ {b=$2} /read_p999_us/ {c=$2}
		     END {printf "  as fast as it goes (%s): %d reads, p50 %s us, p99 %s us, p99.9 %s us\n",
			  rate, n, a, b, c}' rate="$(awk '/^samples_per_s/ {printf "%d samples/s", $2}' \
			"$work/mount-load.out")" "$work/read-busy.out"
		sort -n "$work/cat.ns" | awk '{v[NR] = $1} END {
			printf "  whole `cat` processes (fork+exec included), 200 runs: p50 %.0f us, p99 %.0f us\n",
				v[int(NR * 0.5)] / 1000, v[int(NR * 0.99)] / 1000 }'
	fi
} | tee "$RESULTS"
