/*
 * twin_json_fuzz.c - one JSON body, as mutated, sent to every endpoint
 * that parses one: Keystone tokens, Nova server create, Neutron security
 * groups and rules, GCE insert and firewalls, ARM VM, NIC and resource
 * group PUTs, and the control API's settings.
 */
#include "tests/fuzz/twin_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct {
	const char *method, *target, *auth;
} endpoints[] = {
	{ "POST", "/os/identity/v3/auth/tokens", NULL },
	{ "POST", "/os/RegionOne/compute/v2.1/servers", "X-Auth-Token: %OS%" },
	{ "POST", "/os/RegionOne/compute/v2.1/os-keypairs", "X-Auth-Token: %OS%" },
	{ "POST", "/os/RegionOne/network/v2.0/security-groups", "X-Auth-Token: %OS%" },
	{ "POST", "/os/RegionOne/network/v2.0/security-group-rules", "X-Auth-Token: %OS%" },
	{ "POST", "/gcp/compute/v1/projects/gcp/zones/us-central1-a/instances",
	  "Authorization: Bearer %GCP%" },
	{ "POST", "/gcp/compute/v1/projects/gcp/global/firewalls", "Authorization: Bearer %GCP%" },
	{ "PUT", "/az/subscriptions/@SUB@/resourceGroups/rg-az/providers/Microsoft.Compute/"
	  "virtualMachines/vm1?api-version=2020-06-01", "Authorization: Bearer %AZ%" },
	{ "PUT", "/az/subscriptions/@SUB@/resourceGroups/rg-az/providers/Microsoft.Network/"
	  "networkInterfaces/nic1?api-version=2020-06-01", "Authorization: Bearer %AZ%" },
	{ "PUT", "/az/subscriptions/@SUB@/resourceGroups/rg2?api-version=2020-06-01",
	  "Authorization: Bearer %AZ%" },
	{ "PATCH", "/_twin/clouds/os/faults", NULL },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf in = SBUF_INIT;
	const char *sub;

	fz_server();
	sub = fz_cs("az", "subscription_id");
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		char target[512], *at;

		snprintf(target, sizeof(target), "%s", endpoints[i].target);
		at = strstr(target, "@SUB@");
		if (at) {
			char rest[512];

			snprintf(rest, sizeof(rest), "%s", at + 5);
			snprintf(at, sizeof(target) - (size_t)(at - target), "%s%s", sub, rest);
		}
		sbuf_reset(&in);
		sbuf_addf(&in, "%s %s\nContent-Type: application/json\n%s%s\n", endpoints[i].method,
			  target, endpoints[i].auth ? endpoints[i].auth : "",
			  endpoints[i].auth ? "\n" : "");
		sbuf_add(&in, data, size);
		fz_request((const uint8_t *)in.buf, in.len);
	}
	sbuf_release(&in);
	return 0;
}
