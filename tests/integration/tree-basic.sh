#!/bin/bash
# The tree's shape, modes, and the errno of every refused operation that
# needs no cloud (DESIGN.md sections 2 and 4), with the shell commands a
# user would type.
. "$(dirname "$0")/../lib.sh"
export LC_ALL=C
bfs_mount

# --- shape and modes -----------------------------------------------------------
eq "README apps clouds events groups system version" "$(ls "$MNT" | xargs)" "root listing"
eq "collector ctl drivers stats store" "$(ls "$MNT/system" | xargs)" "system/"
eq "-r--r--r-- README" "$(cd "$MNT" && stat -c '%A %n' README)"
eq "dr-xr-xr-x system" "$(cd "$MNT" && stat -c '%A %n' system)"
eq "drwxr-xr-x groups" "$(cd "$MNT" && stat -c '%A %n' groups)"
eq "--w------- ctl" "$(cd "$MNT/system" && stat -c '%A %n' ctl)"
eq 1 "$(stat -c %h "$MNT/groups")" "directory link count"
eq "$(id -u)" "$(stat -c %u "$MNT/clouds")" "owner"
grep -q "mkdir clouds/aws-seoul" "$MNT/README" || fail "README has no examples"
eq "$(cat "$MNT/version")" "$("$BARISTAFS" --version | awk '{print $2}')" "version"
# exact sizes: what ls -l says is what cat gives
eq "$(stat -c %s "$MNT/README")" "$(cat "$MNT/README" | wc -c)" "README size"
eq "$(stat -c %s "$MNT/system/stats")" "$(wc -c <"$MNT/system/stats")" "stats size"
grep -q '^backend leveldb$' "$MNT/system/store" || fail "system/store"
grep -qx mock "$MNT/system/drivers" || fail "system/drivers lacks mock"

# --- mkdir makes objects with their files; names are checked ------------------------
ok mkdir "$MNT/groups/g1"
eq "cost counts ctl error events metrics placement spec status vms wait" \
   "$(ls "$MNT/groups/g1" | xargs)" "a new group's files"
eq "Empty:0 (R:0/0)" "$(cat "$MNT/groups/g1/status")" "empty group"
eq "" "$(cat "$MNT/groups/g1/error")" "no error yet"
eq "-rw-r--r-- spec" "$(cd "$MNT/groups/g1" && stat -c '%A %n' spec)"
eq "--w------- ctl" "$(cd "$MNT/groups/g1" && stat -c '%A %n' ctl)"
eq "-r--r--r-- status" "$(cd "$MNT/groups/g1" && stat -c '%A %n' status)"
ok mkdir "$MNT/clouds/c1"
eq "-rw------- credential" "$(cd "$MNT/clouds/c1" && stat -c '%A %n' credential)"
eq "unconfigured" "$(cat "$MNT/clouds/c1/health")" "a cloud without a driver"
fails 'File exists' mkdir "$MNT/groups/g1"
fails 'File exists' mkdir "$MNT/clouds/c1"
for bad in Upper .hidden -dash _under 'sp ace' "$(printf 'a%.0s' {1..64})"; do
	fails 'Invalid argument' mkdir "$MNT/groups/$bad"
	fails 'Invalid argument' mkdir "$MNT/clouds/$bad"
done
ok mkdir "$MNT/groups/$(printf 'a%.0s' {1..63})"
ok mkdir "$MNT/groups/0.9_ok-name"
fails 'Operation not supported' mkdir "$MNT/apps/a1"
fails 'Operation not permitted' mkdir "$MNT/groups/g1/sub"
fails 'Operation not permitted' mkdir "$MNT/system/x"
fails 'File exists' mkdir "$MNT/groups/g1/vms"

# --- lookups of what does not exist --------------------------------------------------
fails 'No such file or directory' cat "$MNT/groups/nope/status"
fails 'No such file or directory' ls "$MNT/clouds/nope"
fails 'No such file or directory' cat "$MNT/groups/g1/nofile"
fails 'No such file or directory' rmdir "$MNT/groups/nope"

# --- protected files and dirs ----------------------------------------------------------
fails 'Operation not permitted' rm "$MNT/groups/g1/status"
fails 'Operation not permitted' rm -f "$MNT/README"
fails 'Operation not permitted' rmdir "$MNT/system"
fails 'Operation not permitted' rmdir "$MNT/groups/g1/vms"
fails 'Operation not permitted' mv "$MNT/groups/g1" "$MNT/groups/g2"
fails 'Permission denied' touch "$MNT/groups/g1/newfile"
fails 'Permission denied' bash -c "echo x > '$MNT/groups/g1/status'"
fails 'Permission denied' bash -c "echo x > '$MNT/README'"
fails 'Permission denied' cat "$MNT/groups/g1/ctl"
fails 'Operation not permitted' chmod 777 "$MNT/groups/g1/spec"

# --- bad values: the write fails, the reason is in error and events ---------------------
fails 'Invalid argument' bash -c "echo '{bad' > '$MNT/groups/g1/spec'"
contains 'malformed JSON' "$(cat "$MNT/groups/g1/error")" "group error"
grep -q 'groups/g1 error: malformed JSON' "$MNT/events" || fail "events lack the error"
grep -q 'groups/g1 error: malformed JSON' "$MNT/groups/g1/events" || fail "group events"
fails 'Invalid argument' bash -c "echo bogus > '$MNT/groups/g1/ctl'"
contains 'unknown verb "bogus"' "$(cat "$MNT/groups/g1/error")"
fails 'Invalid argument' bash -c "echo '{\"count\":1,\"cloud\":\"nope\",\"spec\":\"s\",\"image\":\"i\"}' > '$MNT/groups/g1/spec'"
contains 'unknown cloud "nope"' "$(cat "$MNT/groups/g1/error")"
fails 'Invalid argument' bash -c "echo '{\"count\":1,\"cloud\":\"c1\",\"spec\":\"s\",\"image\":\"i\"}' > '$MNT/groups/g1/spec'"
contains 'no driver' "$(cat "$MNT/groups/g1/error")"
fails 'Invalid argument' bash -c "echo bogus > '$MNT/system/ctl'"
# nothing was lost: the group is still there and still empty
eq "Empty:0 (R:0/0)" "$(cat "$MNT/groups/g1/status")" "after refused specs"
eq "" "$(cat "$MNT/groups/g1/spec")" "no spec was applied"

# --- a cloud's settings ------------------------------------------------------------------
fails 'Invalid argument' bash -c "echo '{\"driver\":\"nodriver\"}' > '$MNT/clouds/c1/spec'"
contains 'no driver "nodriver"' "$(cat "$MNT/clouds/c1/error")"
fails 'Invalid argument' bash -c "echo '{\"driver\":\"mock\",\"concurrency\":\"lots\"}' > '$MNT/clouds/c1/spec'"
contains '"concurrency" must be an integer' "$(cat "$MNT/clouds/c1/error")"
fails 'Invalid argument' bash -c "echo '{\"driver\":\"mock\",\"endpoint\":\"ftp://x\"}' > '$MNT/clouds/c1/spec'"
fails 'Invalid argument' bash -c "echo '{\"driver\":\"mock\",\"fail_rate\":7}' > '$MNT/clouds/c1/spec'"
contains 'fail_rate' "$(cat "$MNT/clouds/c1/error")"
fails 'Invalid argument' bash -c "echo '[1]' > '$MNT/clouds/c1/spec'"
eq "{}" "$(cat "$MNT/clouds/c1/spec")" "refused specs change nothing"
ok bash -c "echo mock > '$MNT/clouds/c1/driver'"
eq mock "$(cat "$MNT/clouds/c1/driver")" "driver file"
ok bash -c "printf r9 > '$MNT/clouds/c1/region'"
eq r9 "$(cat "$MNT/clouds/c1/region")" "region without a newline"
contains '"region": "r9"' "$(cat "$MNT/clouds/c1/spec")"
wait_for 10 grep -qx ok "$MNT/clouds/c1/health" || fail "health: $(cat "$MNT/clouds/c1/health")"
ok bash -c "printf 'user=u1\npassword=secret-value\n' > '$MNT/clouds/c1/credential'"
eq "password ********
user ********" "$(sort "$MNT/clouds/c1/credential")" "credential reads mask values"
grep -rq secret-value "$MNT" 2>/dev/null && fail "a secret is readable in the tree"
grep -rq secret-value "$STATE" 2>/dev/null && fail "a secret is stored in the clear"
fails 'Invalid argument' bash -c "echo 'no equals sign' > '$MNT/clouds/c1/credential'"
ok bash -c "echo '' > '$MNT/clouds/c1/zone'"
eq "" "$(cat "$MNT/clouds/c1/zone")" "an empty value removes the key"
ok rmdir "$MNT/clouds/c1"
fails 'No such file or directory' ls "$MNT/clouds/c1"

# --- other writers: printf without newline, cp, tee, >> ----------------------------------
ok mkdir "$MNT/clouds/c2"
printf '{"driver":"mock"}' >"$TMP/spec.json"
ok cp "$TMP/spec.json" "$MNT/clouds/c2/spec"
contains '"driver": "mock"' "$(cat "$MNT/clouds/c2/spec")" "cp into spec"
ok bash -c "echo '{\"driver\":\"mock\",\"region\":\"r2\"}' | tee '$MNT/clouds/c2/spec' >/dev/null"
eq r2 "$(cat "$MNT/clouds/c2/region")" "tee into spec"
ok bash -c "echo r3 >> '$MNT/clouds/c2/region'"
eq r3 "$(cat "$MNT/clouds/c2/region")" "append replaces a value"

# --- rmdir of groups and clouds ----------------------------------------------------------
ok rmdir "$MNT/groups/g1"
fails 'No such file or directory' cat "$MNT/groups/g1/status"
ok find "$MNT" -maxdepth 3 -name status
finish
