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
else
	: >"$work/influx.txt"
	influx_version="influxd not installed"
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
} | tee "$RESULTS"
