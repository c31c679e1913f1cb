/*
 * sigv4_fuzz.c - what a SigV4 verifier parses from the network: the
 * Authorization header, the raw query and path, the header block.
 * Input lines: Authorization value, path, query, then "Name: value" lines.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "drivers/common/sigv4.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NH 32

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *p = s, *line[3] = { "", "", "" };
	struct http_header h[NH];
	struct sigv4_request r = { .method = "POST", .headers = h, .body = data,
				   .body_len = size, .normalize_path = size & 1 };
	struct sigv4_auth a;
	struct sbuf canon = SBUF_INIT;
	size_t nh = 0;

	memcpy(s, data, size);
	s[size] = '\0';
	for (int i = 0; i < 3 && p; i++)
		line[i] = strsep(&p, "\n");
	while (p && nh < NH) {
		char *l = strsep(&p, "\n"), *colon = strchr(l, ':');

		if (!colon)
			continue;
		*colon = '\0';
		h[nh++] = (struct http_header){ l, colon + 1 };
	}
	r.path = line[1];
	r.query = line[2];
	r.nheaders = nh;
	if (sigv4_parse_authorization(line[0], &a) == 0) {
		sigv4_verify(&r, &a, "secret", "20150830T123600Z");
		r.signed_headers = a.signed_headers;
	}
	sigv4_canonical_request(&r, &canon, NULL);
	sbuf_release(&canon);
	free(s);
	return 0;
}
