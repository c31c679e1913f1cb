#!/bin/bash
# A real barista-agent process on this machine pushing its real metrics into
# a real mount: vms/<v>/metrics/mem agrees with /proc/meminfo read at the
# same time (within what one interval can move), disk with statvfs; the
# agent file goes absent -> healthy -> unhealthy (agent stopped) -> healthy;
# a just-in-time read pulls from an agent that pushes rarely; the collector
# answers wrong tokens 401 and bad lines 400 while keeping the good ones, and
# serves it all to Prometheus.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
AGENT=$BFS_OUT/monitor/barista-agent
AGENT_PID=

stop_agent() {
	[ -n "$AGENT_PID" ] || return 0
	kill "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID" 2>/dev/null
	AGENT_PID=
}
trap 'rc=$?; stop_agent; (exit $rc); cleanup' EXIT

start_agent() { # extra options
	"$AGENT" --config "$TMP/agent.conf" --listen 127.0.0.1:0 "$@" >>"$TMP/agent.log" 2>&1 &
	AGENT_PID=$!
}

field() { # file key
	awk -v k="$2" '$1 == k {print $2}' "$1"
}

[ -x "$AGENT" ] || { fail "barista-agent not built at $AGENT"; exit 1; }
bfs_mount agent_interval=1,jit_age=2s
mock_cloud m1 || fail "mock cloud"
mkdir "$MNT/groups/shop"
echo '{"count":1,"cloud":"m1","spec":"m1.small","image":"ubuntu-22.04"}' >"$MNT/groups/shop/spec"
eq "Running:1 (R:1/1)" "$(cat "$MNT/groups/shop/wait")" "group up"
V=$MNT/groups/shop/vms/shop-1
COLLECTOR=$(cat "$MNT/system/collector")

# --- the files before any agent ----------------------------------------------------------
eq "agent agent.conf" "$(cd "$V" && ls -d agent* | xargs)" "agent files"
eq "-r-------- agent.conf" "$(cd "$V" && stat -c '%A %n' agent.conf)" "agent.conf is the owner's"
eq "cpu cpu.history disk disk.history diskio diskio.history mem mem.history net net.history" \
   "$(ls "$V/metrics" | xargs)" "metrics/"
eq "status absent" "$(head -n 1 "$V/agent")" "no agent yet"
eq "observed_at none" "$(head -n 1 "$V/metrics/mem")" "no sample yet"
contains "collector=http://$COLLECTOR" "$(cat "$V/agent.conf")" "agent.conf"
contains "vm=shop/shop-1" "$(cat "$V/agent.conf")" "agent.conf"
case $COLLECTOR in 127.0.0.1:[0-9]*) ;; *) fail "system/collector: $COLLECTOR" ;; esac

# --- a real agent: mem and disk agree with the kernel --------------------------------------
cp "$V/agent.conf" "$TMP/agent.conf"
start_agent
wait_for 15 grep -q '^cpu_idle ' "$V/metrics/cpu" || fail "no cpu sample: $(cat "$V/metrics/cpu")"
cp "$V/metrics/mem" "$TMP/mem"
cp /proc/meminfo "$TMP/meminfo"
kb() { # meminfo keys to add up, in bytes
	awk -v keys="$*" 'BEGIN {n = split(keys, k)} {for (i = 1; i <= n; i++) if ($1 == k[i] ":") s += $2}
		END {printf "%.0f\n", s * 1024}' "$TMP/meminfo"
}
total=$(kb MemTotal)
eq "$total" "$(field "$TMP/mem" mem_total)" "mem_total is MemTotal"
tolerance=$((total / 50))
check_close() { # what got want
	d=$(($2 - $3))
	[ ${d#-} -le $tolerance ] || fail "$1: $2 vs /proc/meminfo $3 (more than $tolerance apart)"
}
check_close mem_free "$(field "$TMP/mem" mem_free)" "$(kb MemFree)"
check_close mem_buffers "$(field "$TMP/mem" mem_buffers)" "$(kb Buffers)"
check_close mem_cached "$(field "$TMP/mem" mem_cached)" "$(kb Cached SReclaimable)"
eq "$(stat -f -c '%b %S' / | awk '{printf "%.0f\n", $1 * $2}')" "$(field "$V/metrics/disk" disk_total)" \
   "disk_total is statvfs(/)"
for m in cpu mem disk diskio net; do
	grep -q '^observed_at 20' "$V/metrics/$m" || fail "$m has no observed_at: $(cat "$V/metrics/$m")"
	grep -q '^period_s ' "$V/metrics/$m" || fail "$m has no period_s"
done
eq "cpu_utilization cpu_user cpu_system cpu_idle cpu_iowait cpu_steal observed_at period_s age_s" \
   "$(awk '{print $1}' "$V/metrics/cpu" | xargs)" "cpu's keys in order"
eq "bytes_in bytes_out pkts_in pkts_out err_in err_out drop_in drop_out observed_at period_s age_s" \
   "$(awk '{print $1}' "$V/metrics/net" | xargs)" "net's keys in order"
# live files are direct I/O, like /proc: stat says 0 (it never pulls), cat reads it all
eq 0 "$(stat -c %s "$V/metrics/cpu")" "stat size of a live metrics file"
[ "$(wc -c <"$V/metrics/cpu")" -gt 100 ] || fail "cat of metrics/cpu is short"
grep -q '^period_s ' "$V/metrics/cpu" || fail "metrics/cpu read whole"
grep -q '^status healthy$' "$V/agent" || fail "agent: $(cat "$V/agent")"
grep -q '^pull 127.0.0.1:[0-9]*$' "$V/agent" || fail "pull address learned: $(cat "$V/agent")"
grep -q '^vms_reporting 1$' "$MNT/groups/shop/metrics/mem" || fail "group: $(cat "$MNT/groups/shop/metrics/mem")"
eq "$total" "$(field "$MNT/groups/shop/metrics/mem" mem_total_max)" "group max of one VM"

# --- health: stop the agent, watch healthy -> unhealthy; start it again -------------------------
seen=$(field "$V/agent" last_seen)
stop_agent
wait_for 10 grep -q '^status unhealthy$' "$V/agent" || fail "never unhealthy: $(cat "$V/agent")"
grep -q '^vms_reporting 0$' "$MNT/groups/shop/metrics/cpu" || fail "a stale VM counted"

# --- just in time: an agent that pushes every minute is pulled on read --------------------------
start_agent --interval 60
wait_for 10 grep -q '^status healthy$' "$V/agent" || fail "agent not back: $(cat "$V/agent")"
before=$(field "$V/metrics/cpu" observed_at)
sleep 2.2
now=$(date -u +%s)
after=$(field "$V/metrics/cpu" observed_at)
[ "$after" != "$before" ] || fail "a stale read did not pull: observed_at still $before"
[ $(($(date -u -d "$after" +%s) - now)) -ge -2 ] || fail "pulled sample is old: $after"
sleep 2.2
[ "$(field "$V/metrics/cpu" observed_at)" != "$after" ] || fail "second pull did not happen"
stop_agent

# --- the collector itself ----------------------------------------------------------------------
token=$(awk -F= '$1 == "token" {print $2}' "$TMP/agent.conf")
code=$(curl -s -o "$TMP/out" -w '%{http_code}' -H "Authorization: Token not-$token" \
	--data-binary 'app requests=1i' "http://$COLLECTOR/write")
eq 401 "$code" "a wrong token"
code=$(curl -s -o "$TMP/out" -w '%{http_code}' -H "Authorization: Token $token" \
	--data-binary $'app,route=/x requests=5i\napp requests= \n' "http://$COLLECTOR/write")
eq 400 "$code" "a bad line"
contains "partial write: unable to parse 'app requests= ': missing field value dropped=1" \
	"$(cat "$TMP/out")" "400 names the bad line"
curl -s "http://$COLLECTOR/metrics" >"$TMP/prom"
grep -q "^app_requests{vm=\"shop/shop-1\",route=\"/x\"} 5$" "$TMP/prom" || fail "good line not kept"
grep -q "^mem_total{vm=\"shop/shop-1\"} $total$" "$TMP/prom" || fail "mem_total not scraped"
grep -q '^# TYPE mem_total gauge$' "$TMP/prom" || fail "no TYPE line"
grep -q 'barista-agent: pushing to http://' "$TMP/agent.log" || fail "agent log"

# --- a terminated VM's token stops working ---------------------------------------------------------
echo terminate >"$MNT/groups/shop/ctl"
cat "$MNT/groups/shop/wait" >/dev/null
code=$(curl -s -o "$TMP/out" -w '%{http_code}' -H "Authorization: Token $token" \
	--data-binary 'app requests=1i' "http://$COLLECTOR/write")
eq 401 "$code" "the token of a terminated VM"
exit $FAILS
