#!/bin/sh
# cloudtwin's Azure dialect over TLS against its real client, libcloud's
# Azure ARM driver (which only speaks to port 443), plus AAD v2, OIDC and
# instance discovery, async-operation polling and throttling on the wire.
# Skips when 127.0.0.1:443 is taken.
set -eu
cd "$(dirname "$0")/../.."
. tests/twin/twin.sh
twin_need /usr/bin/python3 curl
twin_need_py libcloud
"$TWIN_PY" -c 'import socket; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("127.0.0.1", 443))' 2>/dev/null ||
	twin_skip "127.0.0.1:443 is taken or not bindable (libcloud's Azure driver needs it)"
CONF=$(mktemp "${TMPDIR:-/tmp}/twin-az.XXXXXX.json")
twin_fast_config "$CONF" azure
twin_start --config "$CONF" --tls-listen 127.0.0.1:443
rm -f "$CONF"
expect() { # what, want, got
	[ "$2" = "$3" ] || twin_fail "$1: want '$2', got '$3'"
	echo "ok: $1"
}
field() { "$TWIN_PY" -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[k] if not k.isdigit() else d[int(k)]
print(d)' "$1"; }
CLOUD=$(twin_get /_twin/clouds/azure)
TENANT=$(echo "$CLOUD" | field credential.tenant_id)
SUB=$(echo "$CLOUD" | field credential.subscription_id)
CID=$(echo "$CLOUD" | field credential.client_id)
SECRET=$(echo "$CLOUD" | field credential.client_secret)
RG=$(echo "$CLOUD" | field credential.resource_group)
expect "the endpoint is the TLS listener" "https://127.0.0.1:443/" "$(echo "$CLOUD" | field endpoint)"
expect "ca_file is cloudtwin's CA" "$TWIN_CA" "$(echo "$CLOUD" | field ca_file)"
c() { curl -sS --cacert "$TWIN_CA" "$@"; }
A=https://127.0.0.1

# AAD: discovery documents and the v2 token
OIDC=$(c "$A/$TENANT/v2.0/.well-known/openid-configuration")
for k in issuer authorization_endpoint token_endpoint jwks_uri; do
	[ -n "$(echo "$OIDC" | field $k)" ] || twin_fail "OIDC document lacks $k"
done
echo "ok: the OIDC document has its four required fields"
expect "instance discovery" "$A/$TENANT/v2.0/.well-known/openid-configuration" \
	"$(c "$A/common/discovery/instance?api-version=1.1&authorization_endpoint=$A/$TENANT/oauth2/v2.0/authorize" | field tenant_discovery_endpoint)"
TOK=$(c -d "client_id=$CID&client_secret=$SECRET&grant_type=client_credentials&scope=https%3A%2F%2Fmanagement.azure.com%2F%2F.default" \
	"$A/$TENANT/oauth2/v2.0/token" | field access_token)
[ -n "$TOK" ] || twin_fail "no v2 access token"
echo "ok: AAD v2 client-credentials token"
expect "a wrong secret (v2)" invalid_client \
	"$(c -d "client_id=$CID&client_secret=nope&grant_type=client_credentials&scope=x" "$A/$TENANT/oauth2/v2.0/token" | field error)"
expect "an unknown client (v1)" unauthorized_client \
	"$(c -d "client_id=nobody&client_secret=nope&grant_type=client_credentials&resource=x" "$A/$TENANT/oauth2/token" | field error)"
arm() { c -H "Authorization: Bearer $TOK" -H 'Content-Type: application/json' "$@"; }
expect "subscriptions" "$SUB" "$(arm "$A/subscriptions?api-version=2019-11-01" | field value.0.subscriptionId)"
expect "no token" AuthenticationFailed "$(c "$A/subscriptions/$SUB/resourceGroups?api-version=2020-06-01" | field error.code)"
expect "a forged token" InvalidAuthenticationToken \
	"$(c -H 'Authorization: Bearer x.y.z' "$A/subscriptions/$SUB/resourceGroups?api-version=2020-06-01" | field error.code)"
expect "an unknown resource group" ResourceGroupNotFound \
	"$(arm "$A/subscriptions/$SUB/resourceGroups/nosuch/providers/Microsoft.Compute/virtualMachines/x?api-version=2020-06-01" | field error.code)"

# a VM by raw ARM calls, polled through Azure-AsyncOperation
NET=$A/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.Network
arm -X PUT -d '{"location":"eastus","properties":{"subnets":[{"name":"default","properties":{"addressPrefix":"10.0.0.0/24"}}]}}' \
	"$NET/virtualNetworks/vnet1?api-version=2020-06-01" >/dev/null
arm -X PUT -d "{\"location\":\"eastus\",\"properties\":{\"ipConfigurations\":[{\"name\":\"ip1\",\"properties\":{\"subnet\":{\"id\":\"/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.Network/virtualNetworks/vnet1/subnets/default\"}}}]}}" \
	"$NET/networkInterfaces/nic1?api-version=2020-06-01" >/dev/null
VM=$A/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.Compute/virtualMachines/vm1
HDRS=$TWIN_DIR/hdrs
arm -D "$HDRS" -o /dev/null -X PUT -d "{\"location\":\"eastus\",\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_B2s\"},\"storageProfile\":{\"imageReference\":{\"publisher\":\"Canonical\",\"offer\":\"0001-com-ubuntu-server-jammy\",\"sku\":\"22_04-lts-gen2\",\"version\":\"latest\"}},\"osProfile\":{\"computerName\":\"vm1\",\"adminUsername\":\"azureuser\"},\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.Network/networkInterfaces/nic1\"}]}}}" \
	"$VM?api-version=2020-06-01"
expect "PUT of a VM answers 201" 201 "$(sed -n 's/^HTTP[^ ]* \([0-9]*\).*/\1/p' "$HDRS" | tr -d '\r')"
OP=$(tr -d '\r' <"$HDRS" | sed -n 's/^Azure-AsyncOperation: //p')
[ -n "$OP" ] || twin_fail "no Azure-AsyncOperation header"
first=$(arm "$OP" | field status)
expect "the operation starts InProgress" InProgress "$first"
i=0
while [ "$(arm "$OP" | field status)" != Succeeded ]; do
	i=$((i + 1)); [ $i -lt 100 ] || twin_fail "the create operation never succeeded"; sleep 0.1
done
echo "ok: the create operation ends Succeeded"
expect "instanceView power state" PowerState/running \
	"$(arm "$VM/instanceView?api-version=2020-06-01" | field statuses.1.code)"
arm -D "$HDRS" -o /dev/null -X POST "$VM/powerOff?api-version=2020-06-01"
LOC=$(tr -d '\r' <"$HDRS" | sed -n 's/^Location: //p')
expect "powerOff answers 202 with Location" 202 "$(sed -n 's/^HTTP[^ ]* \([0-9]*\).*/\1/p' "$HDRS" | tr -d '\r')"
expect "Location polls 202 while it runs" 202 "$(arm -o /dev/null -w '%{http_code}' "$LOC")"
i=0
while [ "$(arm -o /dev/null -w '%{http_code}' "$LOC")" != 200 ]; do
	i=$((i + 1)); [ $i -lt 100 ] || twin_fail "the powerOff operation never finished"; sleep 0.1
done
expect "stopped after powerOff" PowerState/stopped \
	"$(arm "$VM?api-version=2020-06-01&\$expand=instanceView" | field properties.instanceView.statuses.1.code)"
expect "restart of a stopped VM" OperationNotAllowed "$(arm -X POST "$VM/restart?api-version=2020-06-01" | field error.code)"
expect "a NIC in use cannot be deleted" NicInUse "$(arm -X DELETE "$NET/networkInterfaces/nic1?api-version=2020-06-01" | field error.code)"

# quota and throttling
curl -sS -X PATCH -d '{"vcpus_per_region": 2}' "$TWIN_HTTP/_twin/clouds/azure/faults" >/dev/null
expect "the core quota" OperationNotAllowed \
	"$(arm -X PUT -d "{\"location\":\"eastus\",\"properties\":{\"hardwareProfile\":{\"vmSize\":\"Standard_D4s_v3\"},\"storageProfile\":{\"imageReference\":{\"publisher\":\"Debian\",\"offer\":\"debian-12\",\"sku\":\"12-gen2\",\"version\":\"latest\"}},\"osProfile\":{\"adminUsername\":\"u\"},\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"/subscriptions/$SUB/resourceGroups/$RG/providers/Microsoft.Network/networkInterfaces/nic1\"}]}}}" "${VM}q?api-version=2020-06-01" | field error.code)"
curl -sS -X PATCH -d '{"vcpus_per_region": 1024, "rate_limit": 1, "burst": 1}' "$TWIN_HTTP/_twin/clouds/azure/faults" >/dev/null
arm -o /dev/null "$A/subscriptions/$SUB?api-version=2020-06-01"
expect "throttled: 429" 429 "$(arm -o /dev/null -w '%{http_code}' "$A/subscriptions/$SUB?api-version=2020-06-01")"
curl -sS -X PATCH -d '{"rate_limit": 0}' "$TWIN_HTTP/_twin/clouds/azure/faults" >/dev/null
arm -X DELETE "$VM?api-version=2020-06-01" >/dev/null

"$TWIN_PY" tests/twin/azure_libcloud.py azure

i=0
while twin_get /_twin/clouds/azure/inventory | grep -q '"state":"terminating"'; do
	i=$((i + 1)); [ $i -lt 50 ] || break; sleep 0.1
done
twin_no_leaks azure terminated
echo "all Azure checks passed"
