#!/bin/sh
# cloudtwin's OpenStack dialect against its real clients: the openstack
# CLI (python3-openstackclient) and python3-libcloud's OpenStack driver
# (API 2.0 and 1.1), Keystone errors and token expiry, no VM leaked.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
twin_need /usr/bin/openstack /usr/bin/python3 curl
twin_need_py libcloud
CONF=$(mktemp "${TMPDIR:-/tmp}/twin-os.XXXXXX.json")
cat >"$CONF" <<'JSON'
{"defaults": {"delays_ms": {"create": 3000, "start": 600, "stop": 600, "reboot": 400,
                            "terminate": 600}},
 "clouds": [{"name": "openstack", "dialect": "openstack",
             "credential": {"username": "demo", "password": "secret", "project": "demo",
                            "domain": "Default"}},
            {"name": "os-short", "dialect": "openstack", "token_ttl_s": 1}]}
JSON
twin_start --config "$CONF"
rm -f "$CONF"

export OS_AUTH_URL="$TWIN_HTTP/openstack/identity/v3" OS_USERNAME=demo OS_PASSWORD=secret \
	OS_PROJECT_NAME=demo OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default \
	OS_REGION_NAME=RegionOne OS_IDENTITY_API_VERSION=3 OS_INTERFACE=public
os() { /usr/bin/openstack "$@"; }
expect() { # what, want, got
	[ "$2" = "$3" ] || twin_fail "$1: want '$2', got '$3'"
	echo "ok: $1"
}
status_of() { os server show "$1" -f value -c status; }
wait_status() { # server status
	i=0
	while [ "$(status_of "$1")" != "$2" ]; do
		i=$((i + 1))
		[ $i -lt 60 ] || twin_fail "$1 never reached $2"
		sleep 0.2
	done
	echo "ok: $1 reached $2"
}

expect "flavor list" "m1.tiny m1.small m1.medium m1.large m1.xlarge g1.large" \
	"$(os flavor list -f value -c Name | xargs)"
expect "image list" "cirros-0.6.2-x86_64-disk debian-12 ubuntu-22.04" \
	"$(os image list -f value -c Name | sort | xargs)"
expect "network list" "private public" "$(os network list -f value -c Name | sort | xargs)"

# the CLI shows the server it GETs right after its POST: still building
out=$(os server create --flavor m1.small --image cirros-0.6.2-x86_64-disk --network private \
	--security-group default --property team=red -f value -c id -c status vm1)
ID=$(echo "$out" | sed -n 1p)
expect "server create starts BUILD" BUILD "$(echo "$out" | sed -n 2p)"
wait_status vm1 ACTIVE
expect "server list" "vm1 ACTIVE" "$(os server list -f value -c Name -c Status)"
expect "server show by name" "$ID" "$(os server show vm1 -f value -c id)"
expect "server show flavor" "m1.small (2)" "$(os server show vm1 -f value -c flavor)"
os server set --property tier=web vm1
os server unset --property team vm1
expect "server set/unset --property" "{'tier': 'web'}" \
	"$(os server show vm1 -f value -c properties)"
os server stop vm1
wait_status vm1 SHUTOFF
os server start vm1
wait_status vm1 ACTIVE
os server reboot vm1
wait_status vm1 ACTIVE
os server delete vm1
i=0
while os server show "$ID" >/dev/null 2>&1; do
	i=$((i + 1))
	[ $i -lt 60 ] || twin_fail "server $ID never went away"
	sleep 0.2
done
echo "ok: server delete"
expect "server list after delete" "" "$(os server list -f value -c Name)"

# errors
if out=$(os server show nosuch 2>&1); then twin_fail "show of a missing server succeeded"; fi
case $out in *"No server with a name or ID"*) echo "ok: missing server" ;; *) twin_fail "$out" ;; esac
if out=$(OS_PASSWORD=wrong os server list 2>&1); then twin_fail "a wrong password worked"; fi
case $out in *"HTTP 401"*) echo "ok: a wrong password is refused (401)" ;; *) twin_fail "$out" ;; esac
if out=$(os server create --flavor m1.small --image nosuch-image vm2 2>&1); then
	twin_fail "an unknown image worked"
fi
case $out in *"No Image found for nosuch-image"*) echo "ok: unknown image" ;; *) twin_fail "$out" ;; esac

# Keystone tokens and errors on the wire
code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' -d '{"auth":{}}' \
	"$TWIN_HTTP/openstack/identity/v3/auth/tokens")
expect "a malformed auth body" 400 "$code"
body=$(curl -sS "$TWIN_HTTP/openstack/RegionOne/compute/v2.1/servers/detail")
case $body in *'"code":401'*'"title":"Unauthorized"'*) echo "ok: no token gives 401" ;; *) twin_fail "$body" ;; esac
PW=$(twin_get /_twin/clouds/os-short | "$TWIN_PY" -c 'import json,sys; print(json.load(sys.stdin)["credential"]["password"])')
TOK=$(curl -sS -D - -o /dev/null -H 'Content-Type: application/json' -d \
	"{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"demo\",\"domain\":{\"id\":\"default\"},\"password\":\"$PW\"}}},\"scope\":{\"project\":{\"name\":\"demo\",\"domain\":{\"id\":\"default\"}}}}}" \
	"$TWIN_HTTP/os-short/identity/v3/auth/tokens" | tr -d '\r' | sed -n 's/^X-Subject-Token: //p')
[ -n "$TOK" ] || twin_fail "no X-Subject-Token"
expect "a fresh token works" 200 \
	"$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $TOK" "$TWIN_HTTP/os-short/RegionOne/compute/v2.1/flavors")"
expect "a token of another cloud is refused" 401 \
	"$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $TOK" "$TWIN_HTTP/openstack/RegionOne/compute/v2.1/flavors")"
sleep 2.2
expect "an expired token is refused" 401 \
	"$(curl -sS -o /dev/null -w '%{http_code}' -H "X-Auth-Token: $TOK" "$TWIN_HTTP/os-short/RegionOne/compute/v2.1/flavors")"

"$TWIN_PY" tests/twin/openstack_libcloud.py openstack 2.0
"$TWIN_PY" tests/twin/openstack_libcloud.py openstack 1.1

twin_no_leaks openstack terminated terminating
echo "all OpenStack checks passed"
