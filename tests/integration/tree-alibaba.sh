#!/bin/sh
# The alibaba driver through the mounted tree against cloudtwin's ECS
# dialect: connect with mkdir and echo, health and catalog, a group of two
# subgroups through suspend/resume/reboot/terminate/rmdir, a refused
# credential, injected faults, the quota, and kill -9 of the mount in the
# middle of provisioning.  cloudtwin's inventory is the judge of what
# exists.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
. tests/drv/tree.sh
twin_need curl /usr/bin/python3
tree_setup alibaba
IMAGE=ubuntu_22_04_x64_20G_alibase_20240130.vhd
tree_lifecycle ecs.g6.large ecs.c6.large "$IMAGE"
tree_bad_credential '{"access_key_secret": "not-the-secret"}' ecs.g6.large "$IMAGE"
tree_faults ecs.g6.large "$IMAGE"
tree_quota ecs.g6.large "$IMAGE"
tree_crash_recovery ecs.g6.large "$IMAGE"
rmdir "$TREE_MNT/clouds/c1" || drv_fail "rmdir clouds/c1: $(cat "$TREE_MNT/clouds/c1/error")"
echo "ok: rmdir clouds/c1"
echo "PASS: tree-alibaba"
