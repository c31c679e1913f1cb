#!/bin/bash
# connect-twin.sh MOUNT TWIN_URL - connect every cloud a cloudtwin offers,
# with nothing but mkdir and echo into the mount.
#
# cloudtwin lists its clouds at TWIN_URL/_twin/clouds: name, driver, region,
# zone, endpoint, auth_endpoint, ca_file and the credential it accepts, in
# baristafs's own key names.  For each cloud whose driver is installed this
# does what a user would do by hand:
#
#   mkdir MOUNT/clouds/<name>
#   echo '{"driver":...,"region":...,"endpoint":...}' > MOUNT/clouds/<name>/spec
#   echo '{...credential...}'                          > MOUNT/clouds/<name>/credential
#
# Copy it for a real cloud: the same three lines with the cloud's real region
# and your credential, and no endpoint (the drivers default to the real APIs).
set -eu
mnt=${1:?usage: connect-twin.sh MOUNT TWIN_URL}
url=${2:?usage: connect-twin.sh MOUNT TWIN_URL}
drivers=$(cat "$mnt/system/drivers")

# One line per cloud: name, driver, spec JSON, credential JSON (tab-separated).
curl -fsS "$url/_twin/clouds" | /usr/bin/python3 -c '
import json, sys
for c in json.load(sys.stdin):
    spec = {k: c[k] for k in ("driver", "region", "zone", "endpoint", "auth_endpoint", "ca_file")
            if c.get(k)}
    print("\t".join([c["name"], c["driver"], json.dumps(spec), json.dumps(c["credential"])]))
' | while IFS=$'\t' read -r name driver spec cred; do
	if ! grep -qx "$driver" <<<"$drivers"; then
		echo "  $name: no $driver driver built, skipped"
		continue
	fi
	[ -d "$mnt/clouds/$name" ] || mkdir "$mnt/clouds/$name"
	echo "$spec" >"$mnt/clouds/$name/spec"
	echo "$cred" >"$mnt/clouds/$name/credential"
	echo "  clouds/$name: driver $driver"
done
