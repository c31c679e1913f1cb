#!/bin/bash
# History after restart: minute rollups written through the collector show in
# vms/<v>/metrics/<m>.history (one line per closed minute, avg/min/max/last),
# survive an unmount and a new mount of the same state (with the minute that
# was still open at shutdown), and the VM's agent token still works after
# the restart.  A bad -o metrics_retention= stops the mount with a reason.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C

push() { # body (precision s); prints the HTTP status
	curl -s -o "$TMP/out" -w '%{http_code}' -H "Authorization: Token $token" \
		--data-binary "$1" "http://$(cat "$MNT/system/collector")/write?precision=s"
}

bfs_mount
mock_cloud m1 || fail "mock cloud"
mkdir "$MNT/groups/hist"
echo '{"count":1,"cloud":"m1","spec":"m1.small","image":"ubuntu-22.04"}' >"$MNT/groups/hist/spec"
eq "Running:1 (R:1/1)" "$(cat "$MNT/groups/hist/wait")" "group up"
V=$MNT/groups/hist/vms/hist-1
token=$(awk -F= '$1 == "token" {print $2}' "$V/agent.conf")
eq "" "$(cat "$V/metrics/cpu.history")" "no history yet"

# Four points in three whole minutes, four minutes ago.
base=$(( $(date -u +%s) / 60 * 60 - 240 ))
eq 204 "$(push "cpu cpu_utilization=10,cpu_user=1 $((base + 5))
cpu cpu_utilization=30,cpu_user=3 $((base + 35))
cpu cpu_utilization=50,cpu_user=5 $((base + 65))
cpu cpu_utilization=70,cpu_user=7 $((base + 125))")" "push"
m0=$(date -u -d "@$base" +%Y-%m-%dT%H:%M:%SZ)
m1=$(date -u -d "@$((base + 60))" +%Y-%m-%dT%H:%M:%SZ)
m2=$(date -u -d "@$((base + 120))" +%Y-%m-%dT%H:%M:%SZ)
line0="$m0 samples=2 cpu_utilization_avg=20 cpu_utilization_min=10 cpu_utilization_max=30 cpu_utilization_last=30 cpu_user_avg=2 cpu_user_min=1 cpu_user_max=3 cpu_user_last=3"
line1="$m1 samples=1 cpu_utilization_avg=50 cpu_utilization_min=50 cpu_utilization_max=50 cpu_utilization_last=50 cpu_user_avg=5 cpu_user_min=5 cpu_user_max=5 cpu_user_last=5"
line2="$m2 samples=1 cpu_utilization_avg=70 cpu_utilization_min=70 cpu_utilization_max=70 cpu_utilization_last=70 cpu_user_avg=7 cpu_user_min=7 cpu_user_max=7 cpu_user_last=7"
eq "$line0
$line1" "$(cat "$V/metrics/cpu.history")" "closed minutes"
eq "" "$(cat "$V/metrics/mem.history")" "no mem history"
eq 0 "$(stat -c %s "$V/metrics/cpu.history")" "history is a live file: stat size 0"

# Restart: the open minute was written at shutdown; everything is still there.
bfs_unmount
bfs_mount
eq "$line0
$line1
$line2" "$(cat "$V/metrics/cpu.history")" "history after restart"
eq "observed_at none" "$(head -n 1 "$V/metrics/cpu")" "the live sample starts over"
# The token was kept (sealed in the VM's record): the agent keeps pushing.
eq 204 "$(push "cpu cpu_utilization=90,cpu_user=9 $((base + 130))")" "token after restart"
contains "cpu_utilization 90" "$(cat "$V/metrics/cpu")" "push after restart"
eq "$line0
$line1
$(echo "$line2" | sed 's/samples=1 cpu_utilization_avg=70/samples=2 cpu_utilization_avg=80/; s/cpu_utilization_max=70 cpu_utilization_last=70/cpu_utilization_max=90 cpu_utilization_last=90/; s/cpu_user_avg=7/cpu_user_avg=8/; s/cpu_user_max=7 cpu_user_last=7/cpu_user_max=9 cpu_user_last=9/')" \
   "$(bfs_unmount; bfs_mount; cat "$V/metrics/cpu.history")" "a minute completed across a restart adds up"
! grep -q "$token" "$TMP/baristafs.log" || fail "the token reached the log"
[ -d "$STATE/store" ] && [ -d "$STATE/metrics" ] || fail "state layout: $(ls "$STATE")"
! grep -rqa "$token" "$STATE/store" "$STATE/metrics" || fail "the token is stored in clear"
grep -rqa "hist-1" "$STATE/store" || fail "the VM's record is not where the check looks"

# A bad option is refused with its reason.
mkdir -p "$TMP/m2"
if out=$("$BARISTAFS" -f -o "state=$TMP/s2,metrics_retention=banana" "$TMP/m2" 2>&1); then
	fail "metrics_retention=banana was accepted"
	fusermount3 -u "$TMP/m2"
fi
contains "metrics_retention=banana: want a duration" "$out" "bad retention"
if out=$("$BARISTAFS" -f -o "state=$TMP/s2,jit_age=soon" "$TMP/m2" 2>&1); then
	fail "jit_age=soon was accepted"
	fusermount3 -u "$TMP/m2"
fi
contains "jit_age=soon: want a duration" "$out" "bad jit_age"
exit $FAILS
