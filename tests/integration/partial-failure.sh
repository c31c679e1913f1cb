#!/bin/bash
# Partial failure (DESIGN.md section 3): a vCPU quota that leaves 2 of 10 VMs
# out (EDQUOT) and a boot failure rate.  Each policy must end in the state it
# promises: continue keeps what came up, rollback terminates all of the
# request's VMs, refine drops the failed ones from the record.  The cloud's
# inventory is checked too: nothing of a rolled-back or refined VM survives.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
bfs_mount
# m1.small has 2 vCPUs: a 16-vCPU quota admits 8 of 10; 1 in 4 boots fail.
CLOUD='"boot_ms":300,"terminate_ms":200,"quota_vcpus":16,"fail_rate":0.25,"seed":5,"terminated_ttl_ms":600000'

run() { # group policy
	ok mock_cloud "c-$1" "$CLOUD"
	ok mkdir "$MNT/groups/$1"
	ok bash -c "echo '{\"count\":10,\"cloud\":\"c-$1\",\"spec\":\"m1.small\",\"image\":\"debian-12\",\"on_partial_failure\":\"$2\"}' > '$MNT/groups/$1/spec'"
	cat "$MNT/groups/$1/wait"
}

count() { grep -lx "$2" "$MNT/groups/$1"/vms/*/status 2>/dev/null | wc -l; }

# --- continue: keep what came up ------------------------------------------------------------
st=$(run keep continue)
failed=$(count keep Failed)
running=$(count keep Running)
eq 10 "$((failed + running))" "continue: every VM Failed or Running"
[ "$failed" -ge 2 ] || fail "continue: expected at least the 2 VMs over quota to fail, got $failed"
eq "Partial-Failed:$failed (R:$running/10)" "$st" "continue: the group string"
eq 2 "$(grep -l 'EDQUOT VcpuLimitExceeded' "$MNT/groups/keep"/vms/*/error | wc -l)" "VMs refused by quota"
grep -l 'Server.InternalError' "$MNT/groups/keep"/vms/*/error >/dev/null ||
	[ "$failed" = 2 ] || fail "boot failures lack the cloud's reason"
grep -q 'policy continue' "$MNT/groups/keep/events" || fail "continue: no policy event"
eq "$running" "$(mock_inventory c-keep | grep -c ' Running ')" "continue: running in the cloud"

# --- rollback: terminate all of this request's VMs ----------------------------------------------
# wait covers the rollback too: nothing is transitional until it is done
eq "Terminated:10 (R:0/10)" "$(run back rollback)" "rollback terminates all"
eq 0 "$(mock_inventory c-back | awk '$2 != "Terminated" && $2 != "Failed"' | wc -l)" \
   "rollback: VMs still alive in the cloud"
grep -q 'policy rollback' "$MNT/groups/back/events" || fail "rollback: no policy event"
ok rmdir "$MNT/groups/back"

# --- refine: drop the failed ones from the record ------------------------------------------------
st=$(run fine refine)
wait_for 10 bash -c "! grep -qx -e Failed -e Terminating -e Terminated '$MNT'/groups/fine/vms/*/status" ||
	fail "refine: failed VMs still in the record: $(cat "$MNT"/groups/fine/vms/*/status | sort | uniq -c | xargs)"
n=$(ls "$MNT/groups/fine/vms" | wc -l)
[ "$n" -le 8 ] && [ "$n" -ge 1 ] || fail "refine: $n VMs left"
eq "Running:$n (R:$n/$n)" "$(cat "$MNT/groups/fine/wait")" "refine keeps only the good"
eq "$n" "$(mock_inventory c-fine | grep -c ' Running ')" "refine: the cloud's running VMs"
eq 0 "$(mock_inventory c-fine | grep -c ' Failed ')" "refine: failed VMs left in the cloud"
grep -q 'removed from the record' "$MNT/groups/fine/events" || fail "refine: no removal event"

# --- refine on demand, after a continue ----------------------------------------------------------
ok bash -c "echo refine > '$MNT/groups/keep/ctl'"
wait_for 10 bash -c "[ \$(ls '$MNT/groups/keep/vms' | wc -l) -eq $running ]" ||
	fail "ctl refine left $(ls "$MNT/groups/keep/vms" | wc -l) VMs, expected $running"
eq "Running:$running (R:$running/$running)" "$(cat "$MNT/groups/keep/wait")" "after ctl refine"
finish
