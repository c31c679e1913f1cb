#!/bin/bash
# Drivers are loaded by name from -o drivers=DIR; one built for another ABI
# version is refused with a message naming both versions, and a name with no
# driver is refused too.  Nothing is lost: the cloud keeps its old spec.
. "$(dirname "$0")/../lib.sh"
BUILD=${BFS_BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$TOP/$BUILD ;; esac
[ -f "$BUILD/tests/drivers/oldabi.so" ] || { echo "SKIP: $BUILD/tests/drivers/oldabi.so not built"; exit 77; }
mkdir -p "$TMP/drivers"
cp "$BFS_OUT/drivers/mock.so" "$BUILD/tests/drivers/oldabi.so" "$TMP/drivers/"
bfs_mount "drivers=$TMP/drivers"
eq "mock
oldabi" "$(cat "$MNT/system/drivers")" "system/drivers lists the directory"
ok mkdir "$MNT/clouds/c"
ok bash -c "echo mock > '$MNT/clouds/c/driver'"
fails 'Invalid argument' bash -c "echo oldabi > '$MNT/clouds/c/driver'"
contains "has ABI version 42, this baristafs needs ABI version 1" "$(cat "$MNT/clouds/c/error")"
contains "oldabi.so" "$(cat "$MNT/clouds/c/error")"
grep -q 'needs ABI version 1' "$MNT/events" || fail "events lack the refusal"
fails 'Invalid argument' bash -c "echo nosuch > '$MNT/clouds/c/driver'"
contains "no driver \"nosuch\" in $TMP/drivers" "$(cat "$MNT/clouds/c/error")"
fails 'Invalid argument' bash -c "echo ../mock > '$MNT/clouds/c/driver'"
eq mock "$(cat "$MNT/clouds/c/driver")" "the cloud kept its driver"
wait_for 10 grep -qx ok "$MNT/clouds/c/health" || fail "health $(cat "$MNT/clouds/c/health")"
finish
