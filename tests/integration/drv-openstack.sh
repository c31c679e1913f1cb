#!/bin/sh
# The openstack driver (drivers/openstack.so) against cloudtwin's OpenStack
# dialect (Keystone v3, Nova, Glance v2, Neutron), through the driver ABI
# (tests/drv/harness.c): the table, health, the catalogue, an idempotent
# create (found again by its token), suspend/resume/reboot/tag/terminate,
# refusals (wrong password, unknown flavor and image, unknown server),
# injected faults (5xx, throttling, stalls), the quota, and cleanup with
# nothing left in cloudtwin's inventory.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
twin_need curl /usr/bin/python3
drv_setup openstack
drv_scenario web m1.small ubuntu-22.04
drv_refusals m1.small ubuntu-22.04 '{"password": "not-the-password"}' \
	00000000-0000-0000-0000-000000000000
drv_expect_err "unknown user" EACCES Unauthorized drv_bad '{"username": "nobody"}' health
drv_fault_cases
drv_quota_case m1.small ubuntu-22.04
drv cleanup >/dev/null || drv_fail "cleanup: $(drv cleanup)"
echo "ok: cleanup"
twin_no_leaks openstack terminated deleted
echo "PASS: drv-openstack"
