/*
 * twin_sigv4_fuzz.c - finding and verifying SigV4 in a received request:
 * line 1 is the request target, the other lines are headers (the
 * Authorization header, X-Amz-Date, whatever SignedHeaders names).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "tools/cloudtwin/twin_awssig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *eol;
	struct twin_req req = { 0 };
	struct twin_sigv4 a;
	char line[2048];

	strcpy(req.method, "POST");
	eol = memchr(p, '\n', size);
	snprintf(line, sizeof(line), "%.*s", (int)((eol ? eol : end) - p), p);
	if (twin_req_set_target(&req, line[0] == '/' ? line : "/") == 0) {
		for (p = eol ? eol + 1 : end; p < end; p = eol + 1) {
			const char *colon;
			char name[128], value[1024];

			eol = memchr(p, '\n', (size_t)(end - p));
			eol = eol ? eol : end;
			colon = memchr(p, ':', (size_t)(eol - p));
			if (colon && colon - p < (long)sizeof(name)) {
				snprintf(name, sizeof(name), "%.*s", (int)(colon - p), p);
				snprintf(value, sizeof(value), "%.*s", (int)(eol - colon - 1), colon + 1);
				twin_req_add_header(&req, name, value);
			}
			if (eol == end)
				break;
		}
		if (twin_awssig_v4_parse(&req, &a) == 0)
			twin_awssig_v4_verify(&req, &a, "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
	}
	twin_req_release(&req);
	return 0;
}
