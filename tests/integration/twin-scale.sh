#!/bin/sh
# The Cloud-Twin scale: 100 clouds x 100 VMs in one cloudtwin
# (tools/cloudtwin/examples/scale-100x100.json, five dialects x 20
# replicas).  /_twin/ shows 100 clouds and 10,000 VMs; libcloud, awscli,
# the openstack CLI and raw ARM calls on sample replicas see exactly their
# own cloud; replicas do not share VMs or credentials.  Durations are
# measured by tests/bench/twin.sh, never asserted here.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
twin_need /usr/bin/python3 /usr/bin/aws /usr/bin/openstack curl
twin_need_py libcloud requests google.auth
twin_start --config tools/cloudtwin/examples/scale-100x100.json
expect() { # what, want, got
	[ "$2" = "$3" ] || twin_fail "$1: want '$2', got '$3'"
	echo "ok: $1"
}
field() { # cloud, python expression over the entry c
	twin_get "/_twin/clouds/$1" | "$TWIN_PY" -c 'import json,sys; c=json.load(sys.stdin); print(eval(sys.argv[1]))' "$2"
}

cd tests/twin
"$TWIN_PY" scale_check.py "$TWIN_DIR"
cd ../..

# awscli on aws-013, both regions, its paginator over NextToken
export AWS_ACCESS_KEY_ID="$(field aws-013 'c["credential"]["access_key_id"]')" \
	AWS_SECRET_ACCESS_KEY="$(field aws-013 'c["credential"]["secret_access_key"]')" \
	AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_MAX_ATTEMPTS=1 AWS_PAGER=
n=0
for r in us-east-1 ap-northeast-2; do
	got=$(/usr/bin/aws --endpoint-url "$TWIN_HTTP" --region "$r" ec2 describe-instances \
		--page-size 7 --query 'Reservations[].Instances[].InstanceId' --output text | wc -w)
	n=$((n + got))
done
expect "awscli describe-instances on aws-013, 7 a page" 100 "$n"

# the openstack CLI on openstack-017, both regions
export OS_AUTH_URL="$(field openstack-017 'c["endpoint"]')" OS_USERNAME=demo \
	OS_PASSWORD="$(field openstack-017 'c["credential"]["password"]')" OS_PROJECT_NAME=demo \
	OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 \
	OS_INTERFACE=public
n=0
for r in RegionOne RegionTwo; do
	got=$(/usr/bin/openstack --os-region-name "$r" server list --limit -1 -f value -c ID | wc -l)
	n=$((n + got))
done
expect "openstack server list on openstack-017" 100 "$n"
expect "openstack server list --limit 30" 30 \
	"$(/usr/bin/openstack --os-region-name RegionOne server list --limit 30 -f value -c ID | wc -l)"
