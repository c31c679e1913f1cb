#!/bin/sh
# cloudtwin's answers use the element and key names of the real clouds'
# recorded answers (../shared/fixtures/libcloud-compute), call by call, for
# all five dialects; see tests/twin/fixtures_compare.py and the reasoned
# list of accepted differences in tests/twin/fixtures_allow.py.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
FIX=../shared/fixtures/libcloud-compute
[ -d "$FIX" ] || twin_skip "../shared/fixtures is absent"
twin_need /usr/bin/python3 curl
twin_need_py libcloud botocore requests google.oauth2
CONF=$(mktemp "${TMPDIR:-/tmp}/twin-fx.XXXXXX.json")
twin_fast_config "$CONF"
twin_start --config "$CONF"
rm -f "$CONF"
KEY=$TWIN_DIR/sa.json
twin_get /_twin/clouds/gcp | "$TWIN_PY" -c 'import json,sys; json.dump(json.load(sys.stdin)["credential"], open(sys.argv[1], "w"))' "$KEY"
"$TWIN_PY" tests/twin/fixtures_compare.py "$FIX" "$KEY"
