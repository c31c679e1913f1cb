#!/bin/sh
# The gcp driver through the mounted tree against cloudtwin's GCE dialect:
# connect with mkdir and echo (the credential is the service-account key
# file), health and catalog, a group of two subgroups through
# suspend/resume/reboot/terminate/rmdir, a refused account, injected faults,
# the quota, and kill -9 of the mount in the middle of provisioning.
# cloudtwin's inventory is the judge of what exists.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
. tests/drv/tree.sh
twin_need curl /usr/bin/python3
tree_setup gcp
tree_lifecycle e2-small e2-medium debian-12-bookworm-v20240110
tree_bad_credential '{"client_email": "nobody@gcp.iam.gserviceaccount.com"}' e2-small debian-12
tree_faults e2-small debian-12
tree_quota e2-small debian-12
tree_crash_recovery e2-small debian-12

# Removing the cloud deletes what its connection made (its firewall rule).
rmdir "$TREE_MNT/clouds/c1" || drv_fail "rmdir clouds/c1: $(cat "$TREE_MNT/clouds/c1/error")"
echo "ok: rmdir clouds/c1"
echo "PASS: tree-gcp"
