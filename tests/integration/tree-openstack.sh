#!/bin/sh
# The openstack driver through the mounted tree against cloudtwin's
# OpenStack dialect: connect with mkdir and echo, health and catalog, a
# group of two subgroups through suspend/resume/reboot/terminate/rmdir, a
# refused password, injected faults, the quota, and kill -9 of the mount in
# the middle of provisioning.  cloudtwin's inventory is the judge of what
# exists.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
. tests/drv/tree.sh
twin_need curl /usr/bin/python3
tree_setup openstack
tree_lifecycle m1.small m1.medium ubuntu-22.04
tree_bad_credential '{"password": "not-the-password"}' m1.small ubuntu-22.04
# Nova has no idempotency key: each create attempt looks its token up before
# it POSTs, two requests where other clouds send one, so at the 40% failure
# rate tree_faults injects, the cloud is given twice the retries.
echo "$(tree_spec_json '{"retries": 16}')" >"$TREE_MNT/clouds/c1/spec" ||
	drv_fail "respec c1: $(cat "$TREE_MNT/clouds/c1/error")"
tree_faults m1.small ubuntu-22.04
tree_quota m1.small ubuntu-22.04
tree_crash_recovery m1.small ubuntu-22.04

# Removing the cloud deletes what its connection made (driver cleanup()).
rmdir "$TREE_MNT/clouds/c1" || drv_fail "rmdir clouds/c1: $(cat "$TREE_MNT/clouds/c1/error")"
echo "ok: rmdir clouds/c1"
echo "PASS: tree-openstack"
