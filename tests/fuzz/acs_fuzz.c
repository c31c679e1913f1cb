/*
 * acs_fuzz.c - what an Alibaba verifier parses: an ACS3 Authorization
 * header (first line) and a V2 query or form (the rest).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/acs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *nl;
	struct params p = PARAMS_INIT;
	struct acs_v3_auth a;
	struct http_header h[2] = { { "host", "ecs.aliyuncs.com" }, { "x-acs-action", "X" } };

	memcpy(s, data, size);
	s[size] = '\0';
	nl = strchr(s, '\n');
	if (nl)
		*nl = '\0';
	if (acs_v3_parse_authorization(s, &a) == 0) {
		struct acs_v3_request r = { .method = "POST", .query = nl ? nl + 1 : NULL,
					    .headers = h, .nheaders = 2 };

		acs_v3_verify(&r, &a, "secret");
	}
	if (nl && params_parse(&p, nl + 1, strlen(nl + 1), true) == 0)
		acs_v2_verify("GET", &p, "secret");
	params_release(&p);
	free(s);
	return 0;
}
