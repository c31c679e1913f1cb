#!/bin/bash
# Crash recovery (DESIGN.md section 5): kill -9 the mount at several moments
# of provisioning a 50-VM group, mount again, cat wait.  Every VM must be
# Running exactly once, and the mock cloud's own inventory must equal the
# engine's record: nothing leaked, duplicated or lost.  The same for a
# terminate interrupted midway.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
N=50
# Calls take 40 ms (the mock acts halfway through, so a kill can land after
# the cloud acted and before the answer arrived), 4 at a time: provisioning
# 50 VMs lasts about half a second, which the kills below fall across.
CLOUD='"boot_ms":300,"terminate_ms":300,"latency_ms":40,"concurrency":4,"rps":1000,"poll_ms":100,"seed":11'

compare() { # the engine's record against the cloud's
	local what=$1 engine cloud
	engine=$(engine_record g)
	cloud=$(mock_inventory m1 | awk '{print $1, $2}')
	eq "$engine" "$cloud" "$what: engine record vs cloud inventory"
	eq "$N" "$(mock_inventory m1 | awk '{print $3}' | sort -u | wc -l)" "$what: one cloud VM per baristafs-id"
	eq "$N" "$(mock_inventory m1 | wc -l)" "$what: VMs in the cloud"
}

for delay in 0 0.1 0.25 0.45 0.7; do
	rm -rf "$STATE"
	bfs_mount
	ok mock_cloud m1 "$CLOUD"
	ok mkdir "$MNT/groups/g"
	ok bash -c "echo '{\"count\":$N,\"cloud\":\"m1\",\"spec\":\"m1.small\",\"image\":\"debian-12\"}' > '$MNT/groups/g/spec'"
	sleep "$delay"
	made=$(mock_inventory m1 | wc -l)
	bfs_kill9
	log "killed $delay s after the spec: the cloud had $made VMs"
	bfs_mount
	eq "Running:$N (R:$N/$N)" "$(cat "$MNT/groups/g/wait")" "after a kill at $delay s"
	compare "kill at $delay s"
	grep -q 'recovery:' "$MNT/events" || [ "$delay" = 0.7 ] || fail "no recovery event at $delay s"
	bfs_unmount
done

# --- a terminate interrupted midway --------------------------------------------------------
for delay in 0.05 0.3; do
	bfs_mount
	eq "Running:$N (R:$N/$N)" "$(cat "$MNT/groups/g/wait")" "before terminate"
	ok bash -c "echo terminate > '$MNT/groups/g/ctl'"
	sleep "$delay"
	bfs_kill9
	bfs_mount
	eq "Terminated:$N (R:0/$N)" "$(cat "$MNT/groups/g/wait")" "terminate killed at $delay s"
	left=$(mock_inventory m1 | awk '$2 != "Terminated"' | wc -l)
	eq 0 "$left" "cloud VMs still alive after an interrupted terminate"
	# bring the group back for the next round
	ok rmdir "$MNT/groups/g"
	ok mkdir "$MNT/groups/g"
	ok bash -c "echo '{\"count\":$N,\"cloud\":\"m1\",\"spec\":\"m1.small\",\"image\":\"debian-12\"}' > '$MNT/groups/g/spec'"
	eq "Running:$N (R:$N/$N)" "$(cat "$MNT/groups/g/wait")" "a new group after rmdir"
	bfs_unmount
done
finish
