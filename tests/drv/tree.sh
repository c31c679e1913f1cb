# Shell helpers for the mounted-tree tests of a real driver against
# cloudtwin (POSIX sh; source after tests/twin/twin.sh and tests/drv/drv.sh).
#
#   tree_setup CLOUD          cloudtwin (via drv_setup) and a baristafs mount
#   tree_mount / tree_umount  start and stop the mount (same state folder)
#   tree_crash                kill -9 the mount and clear the dead mount point
#   tree_connect NAME [SECRET-PATCH]   mkdir clouds/NAME, spec and credential
#                             with echo only, as a user would
#   tree_wait_health NAME WORD          until health starts with WORD
#   tree_wait_catalog NAME    until specs/ and images/ list the cloud's catalog
#   tree_live                 VMs cloudtwin holds that are not terminated
#
# The mount and cloudtwin listen on 127.0.0.1 only and are stopped by pid in
# the EXIT trap, also on failure.

tree_need_fuse() {
	[ -c /dev/fuse ] || twin_skip "no /dev/fuse"
	command -v fusermount3 >/dev/null 2>&1 || twin_skip "fusermount3 is not installed"
	[ -x "${BFS_OUT:-.}/baristafs" ] || twin_skip "baristafs is not built"
}

tree_stop_all() {
	rc=$?
	set +e	# whatever fails here, cloudtwin is stopped too
	if [ "$rc" != 0 ] && [ -s "$TWIN_DIR/mount.log" ]; then
		echo "--- the mount's log (last 60 lines)" >&2
		tail -n 60 "$TWIN_DIR/mount.log" >&2
	fi
	tree_umount
	twin_stop
}

tree_setup() { # cloud
	tree_need_fuse
	drv_setup "$1"
	trap tree_stop_all EXIT
	TREE_MNT=$TWIN_DIR/mnt
	TREE_STATE=$TWIN_DIR/state
	mkdir -p "$TREE_MNT" "$TREE_STATE"
	tree_mount
}

tree_mount() {
	"${BFS_OUT:-.}/baristafs" -f -o "state=$TREE_STATE,drivers=${BFS_OUT:-.}/drivers" \
		"$TREE_MNT" >>"$TWIN_DIR/mount.log" 2>&1 &
	TREE_PID=$!
	i=0
	until [ -f "$TREE_MNT/README" ]; do
		kill -0 "$TREE_PID" 2>/dev/null || { cat "$TWIN_DIR/mount.log" >&2; drv_fail "mount died"; }
		i=$((i + 1))
		[ $i -lt 100 ] || drv_fail "mount not ready in 10 s"
		sleep 0.1
	done
}

tree_umount() {
	[ -n "${TREE_PID:-}" ] || return 0
	fusermount3 -u "$TREE_MNT" 2>/dev/null || true
	i=0
	while kill -0 "$TREE_PID" 2>/dev/null && [ $i -lt 100 ]; do
		i=$((i + 1))
		sleep 0.1
	done
	kill "$TREE_PID" 2>/dev/null || true
	wait "$TREE_PID" 2>/dev/null || true
	TREE_PID=
}

tree_crash() {
	kill -9 "$TREE_PID"
	wait "$TREE_PID" 2>/dev/null || true
	TREE_PID=
	fusermount3 -u "$TREE_MNT" 2>/dev/null || true	# the dead mount point
}

# The cloud's spec from cloudtwin's description: the keys a user writes.
tree_spec_json() {
	"$TWIN_PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))
keep = ("region", "zone", "endpoint", "auth_endpoint", "ca_file")
s = {"driver": c["driver"]}
s.update({k: c[k] for k in keep if k in c})
s.update(json.loads(sys.argv[2]))
print(json.dumps(s))' "$DRV_CLOUD" "${1:-{\}}"
}

tree_cred_json() { # patch
	"$TWIN_PY" -c '
import json, sys
c = json.load(open(sys.argv[1]))["credential"]
c.update(json.loads(sys.argv[2]))
print(json.dumps(c))' "$DRV_CLOUD" "${1:-{\}}"
}

tree_connect() { # name [credential-patch] [spec-patch]
	mkdir "$TREE_MNT/clouds/$1" || drv_fail "mkdir clouds/$1"
	# printf, not echo: a key file's "\n" escapes must reach the file as written.
	printf '%s\n' "$(tree_spec_json "${3:-}")" >"$TREE_MNT/clouds/$1/spec" ||
		drv_fail "spec of $1"
	printf '%s\n' "$(tree_cred_json "${2:-}")" >"$TREE_MNT/clouds/$1/credential" ||
		drv_fail "credential of $1"
}

# The catalog is read after the connection is made: until specs/ and images/ list it.
tree_wait_catalog() { # name
	i=0
	while [ -z "$(ls "$TREE_MNT/clouds/$1/specs")" ] || [ -z "$(ls "$TREE_MNT/clouds/$1/images")" ]; do
		i=$((i + 1))
		[ $i -lt 150 ] || drv_fail "clouds/$1: no catalog in 15 s: $(cat "$TREE_MNT/clouds/$1/error")"
		sleep 0.1
	done
}

tree_wait_health() { # name word
	i=0
	until case $(cat "$TREE_MNT/clouds/$1/health") in "$2"*) true ;; *) false ;; esac; do
		i=$((i + 1))
		[ $i -lt 150 ] || drv_fail "clouds/$1/health: $(cat "$TREE_MNT/clouds/$1/health"), not $2"
		sleep 0.1
	done
	echo "ok: clouds/$1/health: $(cat "$TREE_MNT/clouds/$1/health")"
}

# Live VMs: id and baristafs-id of each VM cloudtwin holds that is not terminated.
tree_live() {
	twin_get "/_twin/clouds/$DRV_NAME/inventory" | "$TWIN_PY" -c '
import json, sys
for v in json.load(sys.stdin)["vms"]:
    if v["state"] != "terminated":
        print(v["id"], v["tags"].get("baristafs-id", "-"))'
}

# Fail unless cloudtwin holds exactly n live VMs, each with its own baristafs-id.
tree_expect_live() { # n
	i=0
	while [ "$(tree_live | grep -c . || true)" -gt "$1" ] && [ $i -lt 100 ]; do
		i=$((i + 1))	# VMs still terminating
		sleep 0.1
	done
	live=$(tree_live)
	n=$(printf '%s' "$live" | grep -c . || true)
	uniq=$(printf '%s\n' "$live" | awk 'NF {print $2}' | sort -u | grep -c . || true)
	[ "$n" = "$1" ] || drv_fail "want $1 live VMs in $DRV_NAME, have $n: $live"
	[ "$uniq" = "$1" ] || drv_fail "a VM was created twice: $live"
	echo "ok: $1 live VMs in $DRV_NAME, none twice"
}

tree_group() { # name json
	mkdir "$TREE_MNT/groups/$1" || drv_fail "mkdir groups/$1"
	echo "$2" >"$TREE_MNT/groups/$1/spec" || drv_fail "spec of groups/$1: $(cat "$TREE_MNT/groups/$1/error")"
}

tree_expect_status() { # group want
	got=$(cat "$TREE_MNT/groups/$1/wait") || drv_fail "wait of $1: $(cat "$TREE_MNT/groups/$1/error")"
	if [ "$got" != "$2" ]; then	# say why before failing
		grep -H . "$TREE_MNT/groups/$1/error" "$TREE_MNT/groups/$1"/vms/*/error \
			"$TREE_MNT/groups/$1"/vms/*/status 2>/dev/null | grep -v ':Running$' | head -20
		tail -20 "$TREE_MNT/groups/$1/events" 2>/dev/null
	fi
	drv_expect "groups/$1 $2" "$2" "$got"
}

tree_ctl() { # group verb status-after
	echo "$2" >"$TREE_MNT/groups/$1/ctl" || drv_fail "$2 groups/$1: $(cat "$TREE_MNT/groups/$1/error")"
	tree_expect_status "$1" "$3"
}

# Terminate a group, remove it, and check that its cloud is empty of it.
tree_finish() { # group
	echo terminate >"$TREE_MNT/groups/$1/ctl" 2>/dev/null || true
	cat "$TREE_MNT/groups/$1/wait" >/dev/null
	rmdir "$TREE_MNT/groups/$1" || drv_fail "rmdir groups/$1"
	echo "ok: groups/$1 terminated and removed"
}

# Lifecycle through the tree: connect, health, catalog, a group of two
# subgroups, suspend, resume, reboot, terminate, rmdir, nothing left.
tree_lifecycle() { # spec1 spec2 image
	tree_connect c1 "" '{"retries": 8}'
	tree_wait_health c1 ok
	tree_wait_catalog c1
	[ -f "$TREE_MNT/clouds/c1/specs/$1" ] || drv_fail "specs/$1 missing: $(ls "$TREE_MNT/clouds/c1/specs")"
	grep -q '^vcpus ' "$TREE_MNT/clouds/c1/specs/$1" || drv_fail "specs/$1 has no vcpus"
	echo "ok: specs/$1: $(tr '\n' ' ' <"$TREE_MNT/clouds/c1/specs/$1")"
	[ -f "$TREE_MNT/clouds/c1/images/$3" ] || drv_fail "images/$3 missing: $(ls "$TREE_MNT/clouds/c1/images")"
	echo "ok: images/$3"
	tree_group g1 "{\"subgroups\":[{\"name\":\"web\",\"count\":2,\"cloud\":\"c1\",\"spec\":\"$1\",\"image\":\"$3\"},{\"name\":\"db\",\"count\":1,\"cloud\":\"c1\",\"spec\":\"$2\",\"image\":\"$3\"}]}"
	tree_expect_status g1 "Running:3 (R:3/3)"
	tree_expect_live 3
	[ -n "$(cat "$TREE_MNT/groups/g1/vms/web-1/csp_id")" ] || drv_fail "web-1 has no csp_id"
	tree_ctl g1 suspend "Suspended:3 (R:0/3)"
	tree_ctl g1 resume "Running:3 (R:3/3)"
	tree_ctl g1 reboot "Running:3 (R:3/3)"
	tree_ctl g1 terminate "Terminated:3 (R:0/3)"
	rmdir "$TREE_MNT/groups/g1" || drv_fail "rmdir groups/g1"
	tree_expect_live 0
}

# A wrong secret: health names the cloud's refusal, a group fails with EACCES.
tree_bad_credential() { # credential-patch spec image
	tree_connect bad "$1"
	tree_wait_health bad "error"
	tree_group gbad "{\"count\":1,\"cloud\":\"bad\",\"spec\":\"$2\",\"image\":\"$3\"}" 2>/dev/null || true
	cat "$TREE_MNT/groups/gbad/wait" >/dev/null
	grep -q EACCES "$TREE_MNT/groups/gbad/vms/gbad-1/error" "$TREE_MNT/groups/gbad/error" ||
		drv_fail "no EACCES: $(cat "$TREE_MNT/groups/gbad/vms/gbad-1/error" "$TREE_MNT/groups/gbad/error")"
	echo "ok: a group on a refused credential fails: $(cat "$TREE_MNT/groups/gbad/vms/gbad-1/error")"
	tree_finish gbad
	rmdir "$TREE_MNT/clouds/bad" || drv_fail "rmdir clouds/bad"
}

# 5xx answers, throttling, latency and stalls: the group converges, the
# retries show in stats, no VM is made twice.
tree_faults() { # spec image
	drv_faults '{"error_rate": 0.5, "latency_ms": 50, "stall_rate": 0.05, "stall_ms": 4000, "rate_limit": 40, "burst": 5}'
	tree_group gf "{\"count\":6,\"cloud\":\"c1\",\"spec\":\"$1\",\"image\":\"$2\"}"
	tree_expect_status gf "Running:6 (R:6/6)"
	echo "cloudtwin: $(twin_get "/_twin/clouds/$DRV_NAME/stats")"
	drv_faults '{"error_rate": 0, "latency_ms": 0, "stall_rate": 0, "rate_limit": 0}'
	tree_expect_live 6
	retries=$(awk '$1 ~ /\.retries$/ {s += $2} END {print s + 0}' "$TREE_MNT/clouds/c1/stats")
	[ "$retries" -gt 0 ] || drv_fail "no retries in stats: $(cat "$TREE_MNT/clouds/c1/stats")"
	echo "ok: $retries retries in clouds/c1/stats"
	tree_finish gf
	tree_expect_live 0
}

# The cloud's quota: the VMs beyond it fail with the cloud's message.
tree_quota() { # spec image
	drv_reset
	drv_faults '{"max_vms": 2}'
	tree_group gq "{\"count\":3,\"cloud\":\"c1\",\"spec\":\"$1\",\"image\":\"$2\",\"on_partial_failure\":\"continue\"}"
	tree_expect_status gq "Partial-Failed:1 (R:2/3)"
	grep -q EDQUOT "$TREE_MNT"/groups/gq/vms/*/error ||
		drv_fail "no EDQUOT: $(cat "$TREE_MNT"/groups/gq/vms/*/error)"
	echo "ok: beyond the quota: $(cat "$TREE_MNT"/groups/gq/vms/*/error | grep EDQUOT | head -1)"
	tree_expect_live 2
	tree_finish gq
	drv_faults '{"max_vms": 100000}'
}

# kill -9 the mount while a group is being made, mount again: no VM made
# twice, none leaked, none lost.
tree_crash_recovery() { # spec image
	drv_reset
	drv_faults '{"latency_ms": 100}'
	# One create at a time, so that the kill lands between two of them.
	echo "$(tree_spec_json '{"retries": 8, "concurrency": 1}')" >"$TREE_MNT/clouds/c1/spec" ||
		drv_fail "respec c1: $(cat "$TREE_MNT/clouds/c1/error")"
	tree_group gc "{\"count\":5,\"cloud\":\"c1\",\"spec\":\"$1\",\"image\":\"$2\"}"
	i=0
	until [ "$(tree_live | grep -c . || true)" -ge 2 ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || drv_fail "no VM was made before the kill"
		sleep 0.05
	done
	tree_crash
	made=$(tree_live | grep -c . || true)
	[ "$made" -lt 5 ] || echo "note: all 5 VMs were made before the kill landed"
	echo "ok: killed the mount (kill -9) with $made of 5 VMs made"
	drv_faults '{"latency_ms": 0}'
	tree_mount
	tree_expect_status gc "Running:5 (R:5/5)"
	tree_expect_live 5
	tree_finish gc
	tree_expect_live 0
}
