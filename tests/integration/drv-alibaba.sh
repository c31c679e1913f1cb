#!/bin/sh
# The alibaba driver (drivers/alibaba.so) against cloudtwin's ECS dialect,
# through the driver ABI (tests/drv/harness.c): the table, health, the
# catalogue, an idempotent create, suspend/resume/reboot/tag/terminate,
# refusals (wrong secret, unknown spec and image), injected faults (5xx,
# throttling, stalls), the quota, and what the connection made cleaned up.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
twin_need curl /usr/bin/python3
drv_setup alibaba
drv_scenario web ecs.g6.large ubuntu_22_04_x64_20G_alibase_20240130.vhd
drv_refusals ecs.g6.large ubuntu_22_04_x64_20G_alibase_20240130.vhd \
	'{"access_key_secret": "not-the-secret"}' i-doesnotexist
drv_expect_err "unknown access key" EACCES InvalidAccessKeyId.NotFound \
	drv_bad '{"access_key_id": "nobody"}' health
drv_fault_cases
drv_quota_case ecs.g6.large ubuntu_22_04_x64_20G_alibase_20240130.vhd
drv cleanup >/dev/null || drv_fail "cleanup: $(drv cleanup)"
echo "ok: cleanup"
twin_no_leaks alibaba terminated
echo "PASS: drv-alibaba"
