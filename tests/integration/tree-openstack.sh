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
# tree_connect as tests/drv/tree.sh has it, with two differences: printf, not
# echo (dash's echo turns the "\n" escapes of a GCE key file into newlines),
# and the spec written again after the credential, because setting a
# credential loses the spec (engine/cloud.c cloud_configure frees c->spec
# before copying it; reported) and with it the retries the faults need.
tree_connect() { # name [credential-patch] [spec-patch]
	mkdir "$TREE_MNT/clouds/$1" || drv_fail "mkdir clouds/$1"
	for f in spec credential spec; do
		if [ $f = spec ]; then v=$(tree_spec_json "${3:-}"); else v=$(tree_cred_json "${2:-}"); fi
		printf '%s\n' "$v" >"$TREE_MNT/clouds/$1/$f" || drv_fail "$f of $1"
	done
	i=0	# the second spec reconnects: give its catalog a moment to arrive
	while [ -z "$(ls "$TREE_MNT/clouds/$1/specs")" ] && [ $i -lt 50 ]; do
		i=$((i + 1))
		sleep 0.1
	done
}
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
