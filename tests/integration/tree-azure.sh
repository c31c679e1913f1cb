#!/bin/sh
# The azure driver through the mounted tree against cloudtwin's ARM and AAD
# dialect over TLS (cloudtwin's CA as the cloud's ca_file): connect with
# mkdir and echo, health and catalog, a group of two subgroups through
# suspend (deallocate)/resume/reboot/terminate/rmdir, a refused secret,
# injected faults, the quota, and kill -9 of the mount in the middle of
# provisioning.  cloudtwin's inventory is the judge of what exists.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
. tests/drv/tree.sh
twin_need curl /usr/bin/python3
tree_setup azure
tree_lifecycle standard_b1s standard_b2s ubuntu-22.04
tree_bad_credential '{"client_secret": "not-the-secret"}' standard_b1s ubuntu-22.04
# An ARM create is three PUTs (public IP, NIC, VM; a retry resumes after the
# ones done), where other clouds send one request, so at the failure rate
# tree_faults injects, the cloud is given twice the retries.
echo "$(tree_spec_json '{"retries": 16}')" >"$TREE_MNT/clouds/c1/spec" ||
	drv_fail "respec c1: $(cat "$TREE_MNT/clouds/c1/error")"
tree_faults standard_b1s ubuntu-22.04
tree_quota standard_b1s ubuntu-22.04
tree_crash_recovery standard_b1s ubuntu-22.04

# Removing the cloud deletes what its connection made (NSG, VNet, its group).
rmdir "$TREE_MNT/clouds/c1" || drv_fail "rmdir clouds/c1: $(cat "$TREE_MNT/clouds/c1/error")"
echo "ok: rmdir clouds/c1"
echo "PASS: tree-azure"
