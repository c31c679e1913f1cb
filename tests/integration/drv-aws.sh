#!/bin/sh
# The aws driver (drivers/aws.so) against cloudtwin's EC2 dialect, through
# the driver ABI (tests/drv/harness.c): the table, health, the catalogue,
# an idempotent create, suspend/resume/reboot/tag/terminate, refusals
# (wrong secret, unknown spec and image), injected faults (5xx,
# throttling, stalls), the quota, and what the connection made cleaned up.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
twin_need curl /usr/bin/python3
drv_setup aws
drv_scenario web t3.micro ami-0c7217cdde317cfec
drv_refusals t3.micro ami-0c7217cdde317cfec '{"secret_access_key": "not-the-secret"}' \
	i-0123456789abcdef0
drv_expect_err "unknown access key" EACCES AuthFailure drv_bad '{"access_key_id": "AKIDNOBODY"}' health
drv_fault_cases
drv_quota_case t3.micro ami-0c7217cdde317cfec
drv cleanup >/dev/null || drv_fail "cleanup: $(drv cleanup)"
echo "ok: cleanup"
twin_no_leaks aws terminated
echo "PASS: drv-aws"
