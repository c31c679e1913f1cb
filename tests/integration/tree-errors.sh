#!/bin/bash
# Cloud errors reach the tree: throttling after the retries ran out is
# EAGAIN, a failing cloud is EIO, each with the cloud's own code in the VM's
# error file and in events; health says what the cloud answered; retries show
# in stats and calls, and tail -f follows calls.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
bfs_mount

# --- throttled, retries exhausted: EAGAIN ------------------------------------------------
ok mock_cloud slow '"rate":1,"burst":1,"retries":0,"boot_ms":200,"seed":1'
ok mkdir "$MNT/groups/t"
sleep 1.1 # let the mock's bucket refill after the health and catalog calls
ok bash -c "echo '{\"count\":4,\"cloud\":\"slow\",\"spec\":\"m1.small\",\"image\":\"debian-12\"}' > '$MNT/groups/t/spec'"
st=$(cat "$MNT/groups/t/wait")
case $st in Partial-Failed:*|Failed:*) ;; *) fail "throttled group: $st" ;; esac
grep -l 'create: EAGAIN Throttling' "$MNT/groups/t"/vms/*/error >/dev/null ||
	fail "no VM error names EAGAIN Throttling: $(cat "$MNT/groups/t"/vms/*/error)"
grep -q 'error: create: EAGAIN Throttling' "$MNT/groups/t/events" || fail "events lack EAGAIN"
grep -q '^create_vm.errors [1-9]' "$MNT/clouds/slow/stats" || fail "stats count no create errors"

# --- retries succeed where the cloud throttles only sometimes ----------------------------------
ok mock_cloud flaky '"error_rate":0.5,"boot_ms":200,"seed":4,"retries":8,"backoff_ms":5'
tail -n 0 -f "$MNT/clouds/flaky/calls" >"$TMP/calls" 2>/dev/null &
tailpid=$!
ok mkdir "$MNT/groups/f"
ok bash -c "echo '{\"count\":5,\"cloud\":\"flaky\",\"spec\":\"m1.small\",\"image\":\"debian-12\"}' > '$MNT/groups/f/spec'"
eq "Running:5 (R:5/5)" "$(cat "$MNT/groups/f/wait")" "retried through 5xx answers"
grep -q '^create_vm.retries [1-9]' "$MNT/clouds/flaky/stats" ||
	fail "no retries in stats: $(grep create_vm "$MNT/clouds/flaky/stats")"
wait_for 5 grep -q 'create_vm f/f-[0-9] [0-9]* EIO InternalError.*(HTTP 500)' "$TMP/calls" ||
	fail "tail -f calls saw no retried failure: $(head -5 "$TMP/calls")"
grep -q '(retry 1)' "$TMP/calls" || fail "calls do not mark retries"
kill "$tailpid"; wait "$tailpid" 2>/dev/null

# --- a cloud that fails every call: EIO, and health says so -------------------------------------
ok mkdir "$MNT/clouds/down"
ok bash -c "echo '{\"driver\":\"mock\",\"error_rate\":1,\"retries\":1,\"backoff_ms\":5}' > '$MNT/clouds/down/spec'"
wait_for 10 grep -q '^error: EIO InternalError' "$MNT/clouds/down/health" ||
	fail "health of a failing cloud: $(cat "$MNT/clouds/down/health")"
ok mkdir "$MNT/groups/d"
ok bash -c "echo '{\"count\":2,\"cloud\":\"down\",\"spec\":\"m1.small\",\"image\":\"debian-12\"}' > '$MNT/groups/d/spec'"
eq "Failed:2 (R:0/2)" "$(cat "$MNT/groups/d/wait")" "every create failed"
contains 'create: EIO InternalError' "$(cat "$MNT/groups/d/vms/d-1/error")" "EIO in the VM's error"
# nothing is stuck: the failed VMs can be terminated and the group removed
ok bash -c "echo terminate > '$MNT/groups/d/ctl'"
eq "Terminated:2 (R:0/2)" "$(cat "$MNT/groups/d/wait")"
ok rmdir "$MNT/groups/d"
finish
