#!/bin/bash
# Group aggregates over a cloudtwin group: a mount with the aws driver
# against cloudtwin creates three VMs whose user-data carries the agent
# line; cloudtwin's simulated agents push with it; groups/<g>/metrics/<m>
# gives avg/min/max over them.  Suspending the group stops the agents
# (unhealthy, nobody reporting); resuming brings them back.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/twin/twin.sh"
export LC_ALL=C
twin_need curl python3

field() { # file key
	awk -v k="$2" '$1 == k {print $2}' "$1"
}

twin_fast_config "$TMP/twin.json" aws
twin_start --config "$TMP/twin.json"
trap 'rc=$?; twin_stop; (exit $rc); cleanup' EXIT
bfs_mount agent_interval=1,jit_age=30s
mkdir "$MNT/clouds/tw"
printf 'access_key_id=AKIDEXAMPLE\nsecret_access_key=wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY\n' \
	>"$MNT/clouds/tw/credential"
echo "{\"driver\":\"aws\",\"region\":\"us-east-1\",\"endpoint\":\"$TWIN_HTTP\"}" >"$MNT/clouds/tw/spec"
wait_for 20 grep -qx ok "$MNT/clouds/tw/health" || fail "twin cloud: $(cat "$MNT/clouds/tw/health")"
mkdir "$MNT/groups/web"
echo '{"count":3,"cloud":"tw","spec":"t3.micro","image":"ami-0c7217cdde317cfec"}' \
	>"$MNT/groups/web/spec" || fail "spec: $(cat "$MNT/groups/web/error")"
eq "Running:3 (R:3/3)" "$(cat "$MNT/groups/web/wait")" "group up"
G=$MNT/groups/web

# The user-data the cloud got carries the documented line for each VM.
twin_get /_twin/clouds/aws/inventory >"$TMP/inv.json"
python3 - "$TMP/inv.json" "$(cat "$MNT/system/collector")" <<'PY' || fail "agent lines in user-data"
import json, re, sys
vms = json.load(open(sys.argv[1]))["vms"]
names = set()
for vm in vms:
    m = re.search(r"^# baristafs-agent collector=http://(\S+) token=([0-9a-f]{64}) interval=1 vm=(\S+)$",
                  vm["user_data"], re.M)
    assert m and m.group(1) == sys.argv[2], vm["user_data"][:300]
    names.add(m.group(3))
assert names == {"web/web-1", "web/web-2", "web/web-3"}, names
PY

wait_for 15 grep -q '^vms_reporting 3$' "$G/metrics/cpu" || fail "group: $(cat "$G/metrics/cpu")"
eq "cpu disk diskio mem net" "$(ls "$G/metrics" | xargs)" "group metrics/"
for m in cpu mem disk diskio net; do
	grep -q '^vms_total 3$' "$G/metrics/$m" || fail "$m: $(cat "$G/metrics/$m")"
done
# avg/min/max are what the three VMs' own files say
cp "$G/metrics/mem" "$TMP/gmem"
for v in web-1 web-2 web-3; do field "$G/vms/$v/metrics/mem" mem_total; done | sort -n >"$TMP/totals"
eq "$(head -n 1 "$TMP/totals")" "$(field "$TMP/gmem" mem_total_min)" "min over VMs"
eq "$(tail -n 1 "$TMP/totals")" "$(field "$TMP/gmem" mem_total_max)" "max over VMs"
eq 1073741824 "$(field "$TMP/gmem" mem_total_max)" "t3.micro's 1 GiB"
awk '$1 ~ /^cpu_utilization_(min|avg|max)$/ {v[$1] = $2}
     END {exit !(v["cpu_utilization_min"] <= v["cpu_utilization_avg"] &&
                 v["cpu_utilization_avg"] <= v["cpu_utilization_max"] &&
                 v["cpu_utilization_min"] > 0 && v["cpu_utilization_max"] < 100)}' "$G/metrics/cpu" ||
	fail "cpu aggregate: $(cat "$G/metrics/cpu")"
for v in web-1 web-2 web-3; do
	grep -q '^status healthy$' "$G/vms/$v/agent" || fail "$v: $(cat "$G/vms/$v/agent")"
done
# the load moves: a later sample differs
u1=$(field "$G/vms/web-1/metrics/cpu" observed_at)
sleep 2
[ "$(field "$G/vms/web-1/metrics/cpu" observed_at)" != "$u1" ] || fail "web-1 stopped reporting"

# suspend: the agents stop; resume: they come back
echo suspend >"$G/ctl"
eq "Suspended:3 (R:0/3)" "$(cat "$G/wait")" "suspended"
wait_for 10 grep -q '^status unhealthy$' "$G/vms/web-2/agent" || fail "web-2: $(cat "$G/vms/web-2/agent")"
wait_for 5 grep -q '^vms_reporting 0$' "$G/metrics/cpu" || fail "stale VMs counted: $(cat "$G/metrics/cpu")"
echo resume >"$G/ctl"
eq "Running:3 (R:3/3)" "$(cat "$G/wait")" "resumed"
wait_for 10 grep -q '^vms_reporting 3$' "$G/metrics/cpu" || fail "not back: $(cat "$G/metrics/cpu")"
grep -q '^status healthy$' "$G/vms/web-2/agent" || fail "web-2 after resume: $(cat "$G/vms/web-2/agent")"

echo terminate >"$G/ctl"
cat "$G/wait" >/dev/null
exit $FAILS
