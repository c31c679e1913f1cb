#!/bin/sh
# The azure driver (drivers/azure.so) against cloudtwin's ARM and AAD
# dialect over TLS (cloudtwin's CA as ca_file), through the driver ABI
# (tests/drv/harness.c): the client-credentials token, the table, health,
# VM sizes and images, an idempotent create (the resource group, network,
# public IP and NIC it needs, then the VM by name), suspend (deallocate),
# resume, reboot, tag, terminate with what a VM leaves behind, refusals
# (wrong secret, unknown size and image, unknown VM), injected faults (5xx,
# throttling, stalls), the quota, and cleanup with nothing left in
# cloudtwin's inventory.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
. tests/drv/drv.sh
twin_need curl /usr/bin/python3
drv_setup azure
drv_scenario web standard_b1s ubuntu-22.04
drv_refusals standard_b1s ubuntu-22.04 '{"client_secret": "not-the-secret"}' no-such-vm
drv_fault_cases
drv_quota_case standard_b1s ubuntu-22.04
drv cleanup >/dev/null || drv_fail "cleanup: $(drv cleanup)"
echo "ok: cleanup"
twin_no_leaks azure terminated deleted
echo "PASS: drv-azure"
