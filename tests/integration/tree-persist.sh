#!/bin/bash
# State survives an unmount; bad state directories, stale mountpoints,
# signals and mount options behave as a FUSE user expects.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C

snapshot() { # everything a script could read, except what time changes
	(cd "$MNT" && find . -path ./events -prune -o -path '*/calls' -prune -o -path '*/stats' -prune \
		-o -path './system' -prune -o -path '*/events' -prune -o -type f -print | sort |
		while read -r f; do [ "${f##*/}" = ctl ] || printf '%s: %s\n' "$f" "$(cat "$f" | tr '\n' '|')"; done)
}

# --- a missing state directory is made (0700) --------------------------------------------
bfs_mount
eq 700 "$(stat -c %a "$STATE")" "state directory mode"
eq 600 "$(stat -c %a "$STATE/credential.key")" "key file mode"
ok mock_cloud m1 '"boot_ms":200,"seed":3'
ok bash -c "printf 'token=abc\n' > '$MNT/clouds/m1/credential'"
ok mkdir "$MNT/groups/g"
ok bash -c "echo '{\"subgroups\":[{\"name\":\"a\",\"count\":2,\"cloud\":\"m1\",\"spec\":\"m1.small\",\"image\":\"debian-12\"},{\"name\":\"b\",\"count\":1,\"cloud\":\"m1\",\"spec\":\"m1.medium\",\"image\":\"rocky-9\"}],\"on_partial_failure\":\"refine\"}' > '$MNT/groups/g/spec'"
ok cat "$MNT/groups/g/wait"
ok bash -c "echo suspend > '$MNT/groups/g/vms/a-2/ctl'"
ok cat "$MNT/groups/g/wait"
ok mkdir "$MNT/groups/empty"
before=$(snapshot)
contains "./groups/g/vms/a-2/status: Suspended|" "$before"

# --- unmount and mount again: the same tree, specs and statuses --------------------------
bfs_unmount
mountpoint -q "$MNT" && fail "still mounted after unmount"
bfs_mount
after=$(snapshot)
[ "$before" = "$after" ] || { fail "the tree changed across a remount"; diff <(echo "$before") <(echo "$after") >&2; }
eq "Partial-Running:2 (R:2/3)" "$(cat "$MNT/groups/g/status")"
eq "token ********" "$(cat "$MNT/clouds/m1/credential")" "credential kept (encrypted)"
wait_for 10 grep -qx ok "$MNT/clouds/m1/health" || fail "health after remount"
ok bash -c "echo resume > '$MNT/groups/g/vms/a-2/ctl'"
eq "Running:3 (R:3/3)" "$(cat "$MNT/groups/g/wait")" "works after remount"

# --- one state directory, one mount: a second is refused, clearly ---------------------------
mkdir -p "$TMP/mnt2"
out=$("$BARISTAFS" -f -o "state=$STATE" "$TMP/mnt2" 2>&1)
eq 1 "$?" "a second mount of the same state"
contains "is in use by another baristafs" "$out"
mountpoint -q "$TMP/mnt2" && { fail "the second mount is mounted"; fusermount3 -u "$TMP/mnt2"; }

# --- SIGTERM and SIGINT unmount cleanly ------------------------------------------------------
for sig in TERM INT; do
	kill -$sig "$BFS_PID"
	wait "$BFS_PID"
	eq 0 "$?" "exit status after SIG$sig"
	BFS_PID=
	mountpoint -q "$MNT" && fail "still mounted after SIG$sig"
	bfs_mount
done
eq "Running:3 (R:3/3)" "$(cat "$MNT/groups/g/status")" "after signals"

# --- a stale mountpoint gets a clear message --------------------------------------------------
kill -9 "$BFS_PID"; wait "$BFS_PID" 2>/dev/null; BFS_PID=
out=$("$BARISTAFS" -o "state=$STATE" "$MNT" 2>&1)
eq 1 "$?" "exit status on a stale mountpoint"
contains "stale mount" "$out"
contains "fusermount3 -u" "$out"
fusermount3 -u "$MNT" 2>/dev/null || fusermount3 -uz "$MNT"
mountpoint -q "$MNT" && fail "the stale mount is still there"

# --- without -f: the shell gets errors, and a daemon on success -------------------------------
out=$("$BARISTAFS" -o "state=$STATE" /nonexistent/dir 2>&1)
eq 1 "$?" "bad mountpoint"
contains "bad mount point" "$out"
out=$("$BARISTAFS" -o "state=/proc/nope" "$MNT" 2>&1)
eq 1 "$?" "unusable state directory"
contains "cannot use state directory /proc/nope" "$out"
ok "$BARISTAFS" -o "state=$STATE" "$MNT"
ok mountpoint -q "$MNT"
eq "Running:3 (R:3/3)" "$(cat "$MNT/groups/g/status")" "daemon mode"
ok fusermount3 -u "$MNT"
# the daemon is ours but not our child: wait for it to let go of the store
wait_for 20 bash -c "! fuser -s '$STATE/store/LOCK'" || fail "the daemon did not exit"

# --- a damaged store: a clear error, nothing deleted; repair -----------------------------------
cp -a "$STATE/store" "$TMP/store.good"
printf 'MANIFEST-999999\n' >"$STATE/store/CURRENT"
out=$("$BARISTAFS" -f -o "state=$STATE" "$MNT" 2>&1)
eq 1 "$?" "a damaged store refuses to mount"
contains "cannot open the state store" "$out"
contains "-o repair" "$out"
ok test -f "$STATE/store/CURRENT"
rm -rf "$STATE/store" && cp -a "$TMP/store.good" "$STATE/store"

# --- a store written by a newer baristafs is refused -------------------------------------------
bfs_mount
eq "Running:3 (R:3/3)" "$(cat "$MNT/groups/g/status")" "restored store"

# --- auto_unmount: a killed mount does not stay behind -------------------------------------------
bfs_unmount
bfs_mount auto_unmount
kill -9 "$BFS_PID"; wait "$BFS_PID" 2>/dev/null; BFS_PID=
wait_for 10 bash -c "! mountpoint -q '$MNT'" || { fail "auto_unmount left the mount"; fusermount3 -uz "$MNT"; }

# --- uid= and gid=: the top of the tree; objects belong to who made them ------------------------
bfs_mount uid=4242,gid=4343
eq "4242:4343" "$(stat -c %u:%g "$MNT")" "owner of the root"
eq "4242:4343" "$(stat -c %u:%g "$MNT/groups")" "owner of groups/"
eq "$(id -u):$(id -g)" "$(stat -c %u:%g "$MNT/groups/g")" "a group belongs to who made it"
ok mkdir "$MNT/groups/mine"
eq "$(id -u):$(id -g)" "$(stat -c %u:%g "$MNT/groups/mine/status")" "its files too"
ok rmdir "$MNT/groups/mine"
bfs_unmount

# --- -d: requests are logged, in the foreground ---------------------------------------------------
: >"$TMP/baristafs.log"
"$BARISTAFS" -d -o "state=$STATE" "$MNT" >>"$TMP/baristafs.log" 2>&1 &
BFS_PID=$!
wait_for 20 mountpoint -q "$MNT" || fail "-d did not mount"
ok cat "$MNT/version"
grep -q 'opcode: LOOKUP' "$TMP/baristafs.log" || fail "-d logs no requests"
bfs_unmount
bfs_mount

# --- -o ro: everything readable, nothing writable ----------------------------------------------
bfs_unmount
bfs_mount ro
eq "Running:3 (R:3/3)" "$(cat "$MNT/groups/g/status")"
fails 'Read-only file system' mkdir "$MNT/groups/x"
fails 'Read-only file system' bash -c "echo suspend > '$MNT/groups/g/ctl'"
bfs_unmount

# --- allow_other: other users see the tree, modes decide -----------------------------------------
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	chmod 755 "$TMP" # let another user reach the mountpoint
	bfs_mount allow_other
	as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
	eq "Running:3 (R:3/3)" "$(as_nobody cat "$MNT/groups/g/status")" "another user reads"
	fails 'Permission denied' as_nobody cat "$MNT/clouds/m1/credential"
	fails 'Permission denied' as_nobody bash -c "echo terminate > '$MNT/groups/g/ctl'"
	fails 'Permission denied' as_nobody mkdir "$MNT/groups/theirs"
	fails 'Permission denied' as_nobody bash -c "echo '{}' > '$MNT/groups/g/spec'"
	bfs_unmount
	# without allow_other, other users cannot even look
	bfs_mount
	fails 'Permission denied' setpriv --reuid=65534 --regid=65534 --clear-groups ls "$MNT"
fi
finish
