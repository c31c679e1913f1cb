#!/bin/sh
# The gcp driver (drivers/gcp.so) against cloudtwin's GCE dialect, through
# the driver ABI (tests/drv/harness.c): the service-account JWT exchange,
# the table, health, machine types and images (by family), an idempotent
# create (one requestId), suspend/resume/reboot/tag/terminate, refusals
# (an account the token endpoint does not know, unknown machine type and
# image, unknown instance), injected faults (5xx, throttling, stalls), the
# quota, and cleanup with nothing left in cloudtwin's inventory.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
twin_need curl /usr/bin/python3
drv_setup gcp
drv_scenario web e2-small debian-12
drv_refusals e2-small debian-12 '{"client_email": "nobody@gcp.iam.gserviceaccount.com"}' \
	us-central1-a/nothing-here
drv_fault_cases
drv_quota_case e2-small debian-12
drv cleanup >/dev/null || drv_fail "cleanup: $(drv cleanup)"
echo "ok: cleanup"
twin_no_leaks gcp terminated deleted
echo "PASS: drv-gcp"
