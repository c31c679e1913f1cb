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
