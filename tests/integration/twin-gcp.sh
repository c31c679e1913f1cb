#!/bin/sh
# cloudtwin's GCE dialect against its real clients: python3-google-auth
# (token URI of the key file, assertion checks, compute calls) and
# python3-libcloud's GCE driver; no VM leaked.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
twin_need /usr/bin/python3 curl
twin_need_py libcloud google.oauth2 cryptography requests
CONF=$(mktemp "${TMPDIR:-/tmp}/twin-gcp.XXXXXX.json")
twin_fast_config "$CONF" gcp
twin_start --config "$CONF"
rm -f "$CONF"
KEY=$TWIN_DIR/sa.json
twin_get /_twin/clouds/gcp | "$TWIN_PY" -c 'import json,sys; json.dump(json.load(sys.stdin)["credential"], open(sys.argv[1], "w"))' "$KEY"

"$TWIN_PY" tests/twin/gce_googleauth.py gcp "$KEY"
"$TWIN_PY" tests/twin/gce_libcloud.py gcp "$KEY"

twin_no_leaks gcp terminated terminating
echo "all GCE checks passed"
