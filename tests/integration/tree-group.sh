#!/bin/bash
# A group's life on a mock cloud through the mounted tree: create, wait,
# act, rewrite (scale up, down, labels, the same spec again), EBUSY and
# ENOTEMPTY, terminate, rmdir; events with tail -f; poll(); wait's bounds.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
bfs_mount wait_timeout=3
G=$MNT/groups/shop
ok mock_cloud m1 '"boot_ms":400,"suspend_ms":200,"resume_ms":200,"reboot_ms":200,"terminate_ms":200,"seed":7'
ok mock_cloud m2 '"boot_ms":400,"seed":8'
wait_for 10 test -e "$MNT/clouds/m1/specs/m1.small" || fail "m1 catalog"
eq "arch x86_64" "$(grep '^arch ' "$MNT/clouds/m1/specs/m1.small")" "spec file"
grep -q '^price_usd_per_hour ' "$MNT/clouds/m1/specs/m1.small" || fail "spec has no price"
grep -q '^os ' "$MNT/clouds/m1/images/ubuntu-22.04" || fail "image file"

spec() { # web db labels
	printf '{"subgroups":[{"name":"web","count":%s,"cloud":"m1","spec":"m1.small","image":"ubuntu-22.04"},' "$1"
	printf '{"name":"db","count":%s,"cloud":"m2","spec":"m1.large","image":"debian-12"}],' "$2"
	printf '"labels":{"team":"%s"}}\n' "$3"
}

ok mkdir "$G"
ok bash -c "$(declare -f spec); spec 3 1 shop > '$G/spec'"
st=$(cat "$G/status")
case $st in "Creating:4 (R:0/4)"|"Partial-Creating:"*) ;; *) fail "just applied: $st" ;; esac
eq "db-1 web-1 web-2 web-3" "$(ls "$G/vms" | xargs)" "VMs named <subgroup>-<n>"
eq "status Running
action create" "$(cat "$G/vms/web-1/target")" "target while creating"
stat "$G/status" "$G/vms/web-1/status" "$G/vms/web-1/csp_id" >/dev/null # the kernel holds them now
eq "Running:4 (R:4/4)" "$(cat "$G/wait")" "wait"
# background changes reach attributes at once: sizes match contents
for f in "$G/status" "$G/counts" "$G/vms/web-1/status" "$G/vms/web-1/csp_id" "$G/vms/web-1/target"; do
	eq "$(wc -c <"$f")" "$(stat -c %s "$f")" "size of $f after background changes"
done
eq "Running:4 (R:4/4)" "$(cat "$G/status")" "status"
eq "total 4" "$(grep '^total' "$G/counts")" "counts total"
eq "running 4" "$(grep '^running' "$G/counts")" "counts running"
eq none "$(cat "$G/vms/web-2/target")" "no target when idle"
eq m1 "$(cat "$G/vms/web-2/cloud")"
eq m1.small "$(cat "$G/vms/web-2/spec")"
eq ubuntu-22.04 "$(cat "$G/vms/web-2/image")"
eq m2 "$(cat "$G/vms/db-1/cloud")"
[ -s "$G/vms/web-1/csp_id" ] || fail "csp_id empty"
[ -s "$G/vms/web-1/private_ip" ] || fail "private_ip empty"
grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$' "$G/vms/web-1/created" || fail "created: $(cat "$G/vms/web-1/created")"
grep -q 'Creating -> Running' "$G/vms/web-3/events" || fail "VM events"
grep -q 'web-1 ' "$G/vms/web-3/events" && fail "VM events show another VM"
grep -q '^estimate_usd_per_hour 0\.[0-9]' "$G/cost" || fail "cost: $(cat "$G/cost")"
eq "vms_priced 4" "$(grep vms_priced "$G/cost")"
eq "web.cloud m1" "$(grep '^web.cloud' "$G/placement")" "placement"
eq "db.spec m1.large" "$(grep '^db.spec' "$G/placement")" "placement"
[ "$(find "$G" | wc -l)" -gt 50 ] || fail "find sees the VM files"
eq 4 "$(grep -l Running "$G"/vms/*/status | wc -l)" "grep over statuses"
grep -q 'create_vm.calls 3' "$MNT/clouds/m1/stats" || fail "stats: $(grep create "$MNT/clouds/m1/stats")"
grep -q ' create_vm shop/web-1 ' "$MNT/clouds/m1/calls" || fail "calls log"

# --- the same spec again: nothing happens, no cloud call ---------------------------------
calls=$(grep -c . "$MNT/clouds/m1/calls")
events=$(wc -l <"$G/events")
sleep 0.2
ok bash -c "$(declare -f spec); spec 3 1 shop > '$G/spec'"
ok bash -c "$(declare -f spec); spec 3 1 shop | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin), indent=4))' > '$G/spec'"
eq "$events" "$(wc -l <"$G/events")" "the same spec made events"
grep -q "create_vm" <(tail -n +$((calls + 1)) "$MNT/clouds/m1/calls") && fail "the same spec called the cloud"

# --- actions ------------------------------------------------------------------------------
fails 'Device or resource busy' bash -c "echo resume > '$G/ctl'"
contains 'cannot resume' "$(cat "$G/error")"
ok bash -c "echo suspend > '$G/vms/web-2/ctl'"
eq Suspending "$(cat "$G/vms/web-2/status")" "status at once after the verb"
fails 'Device or resource busy' bash -c "echo reboot > '$G/vms/web-2/ctl'"
ok bash -c "echo suspend > '$G/vms/web-2/ctl'"   # the same action again: fine
eq "Partial-Running:3 (R:3/4)" "$(cat "$G/wait")"
eq Suspended "$(cat "$G/vms/web-2/status")"
eq 10 "$(stat -c %s "$G/vms/web-2/status")" "size of Suspended\\n"
eq "$(wc -c <"$G/status")" "$(stat -c %s "$G/status")" "group status size"
fails 'Device or resource busy' bash -c "echo suspend > '$G/vms/web-2/ctl'"
fails 'Device or resource busy' bash -c "echo reboot > '$G/vms/web-2/ctl'"
ok bash -c "echo resume > '$G/vms/web-2/ctl'"
ok cat "$G/wait"
eq Running "$(cat "$G/vms/web-2/status")"
ok bash -c "echo reboot > '$G/ctl'"
eq "Running:4 (R:4/4)" "$(cat "$G/wait")" "after a group reboot"
grep -q 'web-1 Running -> Rebooting' "$G/events" || fail "reboot not in events"
ok bash -c "echo suspend > '$G/ctl'"
eq "Suspended:4 (R:0/4)" "$(cat "$G/wait")"
eq "estimate_usd_per_hour 0.0000" "$(head -1 "$G/cost")" "suspended VMs cost nothing"
fails 'Device or resource busy' bash -c "echo reboot > '$G/ctl'"
ok bash -c "echo resume > '$G/ctl'"
eq "Running:4 (R:4/4)" "$(cat "$G/wait")"
fails 'Invalid argument' bash -c "echo create > '$G/vms/web-1/ctl'"
fails 'Invalid argument' bash -c "echo 'suspend now' > '$G/vms/web-1/ctl'"

# --- rewrites that reconcile -------------------------------------------------------------
ok bash -c "$(declare -f spec); spec 5 1 shop > '$G/spec'"
eq "db-1 web-1 web-2 web-3 web-4 web-5" "$(ls "$G/vms" | xargs)" "scaled up"
eq "Running:6 (R:6/6)" "$(cat "$G/wait")"
ok bash -c "$(declare -f spec); spec 2 1 shop > '$G/spec'"
eq "Partial-Running:3 (R:3/6)" "$(cat "$G/wait")" "scaled down"
eq Terminated "$(cat "$G/vms/web-5/status")" "highest-numbered go first"
eq Terminated "$(cat "$G/vms/web-3/status")"
eq Running "$(cat "$G/vms/web-2/status")"
ok bash -c "$(declare -f spec); spec 2 1 front > '$G/spec'"
grep -q 'labels applied' "$G/events" || fail "labels not applied live"
eq "Partial-Running:3 (R:3/6)" "$(cat "$G/status")" "labels changed nothing else"
fails 'Device or resource busy' bash -c "$(declare -f spec); spec 2 1 front | sed 's/m1.small/m1.medium/' > '$G/spec'"
contains 'its spec cannot change' "$(cat "$G/error")"
fails 'Device or resource busy' bash -c "$(declare -f spec); spec 2 1 front | sed 's/\"m1\"/\"m2\"/' > '$G/spec'"
contains 'its cloud cannot change' "$(cat "$G/error")"
fails 'Invalid argument' bash -c "$(declare -f spec); spec 2 1 front | sed 's/m1.small/m1.tiny/' > '$G/spec'"
contains 'no spec "m1.tiny"' "$(cat "$G/error")"
fails 'Invalid argument' bash -c "$(declare -f spec); spec 2 1 front | sed 's/ubuntu-22.04/windows/' > '$G/spec'"
contains 'no image "windows"' "$(cat "$G/error")"
fails 'Invalid argument' bash -c "$(declare -f spec); spec 2 1 front | sed 's/m1.small/a1.large/' > '$G/spec'"
contains 'spec a1.large is arm64 but image ubuntu-22.04 is x86_64' "$(cat "$G/error")"
fails 'Invalid argument' bash -c "$(declare -f spec); spec -1 1 front > '$G/spec'"
fails 'Invalid argument' bash -c "$(declare -f spec); spec 100000000 1 front > '$G/spec'"
eq "Partial-Running:3 (R:3/6)" "$(cat "$G/status")" "refused specs changed nothing"

# --- removal needs terminated VMs; clouds in use stay ---------------------------------------
fails 'Directory not empty' rmdir "$G"
contains 'not Terminated' "$(cat "$G/error")"
fails 'Device or resource busy' rmdir "$MNT/clouds/m1"
fails 'Device or resource busy' bash -c "echo '{\"driver\":\"mock\",\"region\":\"other\"}' > '$MNT/clouds/m1/spec'"

# --- tail -f follows events; poll() wakes on a change -------------------------------------------
tail -n 0 -f "$G/events" >"$TMP/tail" 2>/dev/null &
tailpid=$!
python3 - "$G/vms/web-1/status" "$G/vms/web-1/ctl" >"$TMP/poll" 2>&1 <<'EOF' &
import os, select, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
os.read(fd, 100)
p = select.poll(); p.register(fd, select.POLLIN | select.POLLPRI)
t0 = time.time()
ev = p.poll(10000)
print("woke %.3f" % time.time() if ev else "timeout", file=sys.stdout)
EOF
pollpid=$!
python3 - "$G/events" >"$TMP/poll-events" 2>&1 <<'EOF2' &
import os, select, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
while os.read(fd, 65536):
    pass  # read to the end: poll now waits for what comes next
import time
p = select.poll(); p.register(fd, select.POLLIN)
print("woke %.3f" % time.time() if p.poll(10000) else "timeout")
EOF2
pollevpid=$!
sleep 1
t_term=$(date +%s.%N)
ok bash -c "echo terminate > '$G/ctl'"
eq "Terminated:6 (R:0/6)" "$(cat "$G/wait")"
wait "$pollpid" "$pollevpid"
for f in poll poll-events; do # each poll() slept until the terminate changed something
	read -r word when <"$TMP/$f"
	eq woke "$word" "$f"
	awk -v w="$when" -v t="$t_term" 'BEGIN { exit !(w >= t) }' || fail "$f woke before the change"
done
wait_for 5 grep -q 'web-1 Terminating -> Terminated' "$TMP/tail" || fail "tail -f saw: $(cat "$TMP/tail")"
kill "$tailpid" 2>/dev/null
wait "$tailpid" 2>/dev/null
fails 'Device or resource busy' bash -c "echo terminate > '$G/ctl'"
ok rmdir "$G"
fails 'No such file or directory' ls "$G"

# --- wait is bounded (-o wait_timeout=3) and interruptible -----------------------------------
ok mock_cloud slow '"boot_ms":60000'
ok mkdir "$MNT/groups/slow"
ok bash -c "echo '{\"count\":1,\"cloud\":\"slow\",\"spec\":\"m1.small\",\"image\":\"debian-12\"}' > '$MNT/groups/slow/spec'"
fails 'Connection timed out' cat "$MNT/groups/slow/wait"
timeout -s INT 1 cat "$MNT/groups/slow/wait" >/dev/null 2>&1
eq 124 "$?" "wait interrupted by a signal"
ok cat "$MNT/groups/slow/status"
finish
