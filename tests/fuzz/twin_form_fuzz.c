/*
 * twin_form_fuzz.c - query strings and form bodies: the request target
 * parser, the parameter parser (both '+' rules), the strict escape check,
 * numbered lists, fingerprints and the canonical encoding.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tools/cloudtwin/twin_params.h"
#include "tools/cloudtwin/twin_req.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void lists(const struct params *p)
{
	static const char *const prefixes[] = { "InstanceId", "Filter", "Filter.1.Value", "Tag",
		"TagSpecification", "IpPermissions", "SecurityGroupId", NULL };
	static const char *const skip[] = { "Signature", "X-Amz-*", NULL };
	unsigned char digest[32];
	struct sbuf canon = SBUF_INIT;

	for (const char *const *pre = prefixes; *pre; pre++) {
		json_t *list = json_array(), *idx = twin_params_indexes(p, *pre);

		twin_params_list(p, *pre, list);
		json_decref(list);
		json_decref(idx);
	}
	twin_params_digest(p, skip, digest);
	twin_params_canonical(p, "Signature", &canon);
	sbuf_release(&canon);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct twin_req req = { 0 };
	struct params p = PARAMS_INIT;
	char *target = malloc(size + 3);

	if (!target)
		return 0;
	memcpy(target, "/?", 2);
	memcpy(target + 2, data, size);
	target[size + 2] = '\0';	/* the target stops at the first NUL, as in HTTP */
	twin_params_wellformed((const char *)data, size);
	if (twin_req_set_target(&req, target) == 0) {
		twin_req_add_header(&req, "Content-Type", "application/x-www-form-urlencoded");
		twin_req_add_body(&req, (const char *)data, size);
		if (twin_req_params(&req, &p) == 0)
			lists(&p);
	}
	params_release(&p);
	twin_req_release(&req);
	free(target);
	return 0;
}
