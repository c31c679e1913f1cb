#!/bin/sh
# cloudtwin's ECS dialect against its real client, python3-libcloud's
# Aliyun ECS driver (V2, XML, GET), and on the wire with V3 and V2 form
# requests in JSON (tests/twin/ecs_rpc.py); no VM leaked.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
twin_need /usr/bin/python3 curl
twin_need_py libcloud requests
CONF=$(mktemp "${TMPDIR:-/tmp}/twin-ali.XXXXXX.json")
twin_fast_config "$CONF" alibaba
twin_start --config "$CONF"
rm -f "$CONF"

"$TWIN_PY" tests/twin/ecs_libcloud.py alibaba
"$TWIN_PY" tests/twin/ecs_rpc.py alibaba

twin_no_leaks alibaba terminated terminating
echo "all ECS checks passed"
